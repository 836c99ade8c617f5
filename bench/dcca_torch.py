"""The dcca task's training step in PyTorch (CPU), as the reference for bench/dcca.bench.ts.

Same model and batch as the TypeScript task: one MLP encoder per view (view_dim -> hidden ->
hidden -> out_dim, ReLU), loss = -Corr(f1(X1), f2(X2)) with the total canonical correlation
computed by coupled Newton-Schulz iterations (whitening, then tr((T^T T + eps I)^1/2)), Adam.
Data are Gaussian (the step's cost does not depend on the values). Prints one JSON object with
the median steps per second over `repeats` runs of `steps` steps each.
Usage: dcca_torch.py VIEW_DIM HIDDEN OUT_DIM BATCH NS_ITERATIONS STEPS REPEATS [THREADS]
"""
import json
import statistics
import sys
import time


def newton_schulz(torch, a, iterations):
    d = a.shape[0]
    eye = torch.eye(d)
    c = torch.linalg.norm(a) + 1e-30
    y, z = a / c, eye
    for _ in range(iterations):
        m = 0.5 * (3 * eye - z @ y)
        y, z = y @ m, m @ z
    return y * c.sqrt(), z / c.sqrt()


def total_corr(torch, h1, h2, r, iterations, eps=1e-6):
    n = h1.shape[0]
    a = h1 - h1.mean(0, keepdim=True)
    b = h2 - h2.mean(0, keepdim=True)
    s11 = a.T @ a / (n - 1) + r * torch.eye(a.shape[1])
    s22 = b.T @ b / (n - 1) + r * torch.eye(b.shape[1])
    s12 = a.T @ b / (n - 1)
    w1 = newton_schulz(torch, s11, iterations)[1]
    w2 = newton_schulz(torch, s22, iterations)[1]
    t = w1 @ s12 @ w2
    gram = t @ t.T + eps * torch.eye(t.shape[0])
    return torch.trace(newton_schulz(torch, gram, iterations)[0])


def main():
    view_dim, hidden, out_dim, batch, ns, steps, repeats = (int(v) for v in sys.argv[1:8])
    threads = int(sys.argv[8]) if len(sys.argv) > 8 else 1
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)

    def encoder():
        return torch.nn.Sequential(
            torch.nn.Linear(view_dim, hidden), torch.nn.ReLU(),
            torch.nn.Linear(hidden, hidden), torch.nn.ReLU(),
            torch.nn.Linear(hidden, out_dim),
        )

    x1 = torch.randn(batch, view_dim)
    x2 = torch.randn(batch, view_dim)
    rates = []
    for _ in range(repeats):
        f1, f2 = encoder(), encoder()
        opt = torch.optim.Adam(list(f1.parameters()) + list(f2.parameters()), lr=3e-3)
        start = time.perf_counter()
        for _ in range(steps):
            opt.zero_grad()
            loss = -total_corr(torch, f1(x1), f2(x2), 1e-3, ns)
            loss.backward()
            opt.step()
        rates.append(steps / (time.perf_counter() - start))
    print(json.dumps({"stepsPerSecond": statistics.median(rates), "threads": threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
