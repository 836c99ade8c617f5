"""The diffusion task's denoiser training step and DDPM sampling in PyTorch (CPU), the reference
for bench/diffusion.bench.ts.

Same network, loss and batch as benchmarks/diffusion/ddpm.ts: the input [x (2), sinusoidal
embedding of t' = 1000 t / T (E dims: sin then cos, w_k = 10000^(-k/ceil(E/2))), one-hot label
(classes + 1)] -> LAYERS x (Linear(HIDDEN) + ReLU) -> Linear(2); the epsilon-prediction loss
mean ||eps - net(sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, t, c)||^2 with t uniform on 1..T,
labels replaced by the null label with probability 0.1; Adam (lr 2e-3). Minibatches are drawn
each step from a pool of 1000 labelled points (the step's cost does not depend on the values).
Sampling is ancestral DDPM over every timestep for SAMPLE_N points (one forward pass of all
points per step, no gradients), with the linear schedule of ddpm.ts (beta_min 0.1, beta_max 20).
Prints one JSON object: the median steps per second over REPEATS timed runs of STEPS steps and
the median sampling time in ms over REPEATS runs (each after one warm-up run).
Usage: diffusion_torch.py HIDDEN LAYERS BATCH EMBEDDING CLASSES T STEPS REPEATS SAMPLE_N [THREADS]
"""
import json
import math
import statistics
import sys
import time


def main():
    hidden, layers, batch, emb_dim, classes, T, steps, repeats, sample_n = (int(a) for a in sys.argv[1:10])
    threads = int(sys.argv[10]) if len(sys.argv) > 10 else 1
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)

    # Linear schedule (continuous VP parametrization), as linearSchedule in ddpm.ts.
    beta = torch.tensor([(0.1 + (20 - 0.1) * i / (T - 1)) / T for i in range(T)], dtype=torch.float64)
    alpha = 1 - beta
    alpha_bar = torch.cumprod(alpha, 0)
    signal = alpha_bar.sqrt().float()
    noise = (1 - alpha_bar).sqrt().float()

    half = math.ceil(emb_dim / 2)
    table = torch.empty(T, emb_dim)
    for t in range(1, T + 1):
        tt = 1000 * t / T
        for j in range(emb_dim):
            k = j if j < half else j - half
            angle = tt * 10000 ** (-k / half)
            table[t - 1, j] = math.sin(angle) if j < half else math.cos(angle)

    width = 2 + emb_dim + classes + 1

    def network():
        mods, fan_in = [], width
        for _ in range(layers):
            mods += [torch.nn.Linear(fan_in, hidden), torch.nn.ReLU()]
            fan_in = hidden
        mods.append(torch.nn.Linear(fan_in, 2))
        return torch.nn.Sequential(*mods)

    def inputs(x, t, labels):
        return torch.cat([x, table[t - 1], torch.nn.functional.one_hot(labels, classes + 1).float()], 1)

    pool_n = 1000
    pool = torch.randn(pool_n, 2)
    pool_labels = torch.randint(0, classes, (pool_n,))

    def train():
        net = network()
        opt = torch.optim.Adam(net.parameters(), lr=2e-3)
        start = time.perf_counter()
        for _ in range(steps):
            i = torch.randint(0, pool_n, (batch,))
            t = torch.randint(1, T + 1, (batch,))
            eps = torch.randn(batch, 2)
            labels = torch.where(torch.rand(batch) < 0.1, torch.full((batch,), classes), pool_labels[i])
            x = signal[t - 1, None] * pool[i] + noise[t - 1, None] * eps
            opt.zero_grad()
            loss = ((eps - net(inputs(x, t, labels))) ** 2).sum(1).mean()
            loss.backward()
            opt.step()
        return steps / (time.perf_counter() - start)

    # DDPM reverse constants, as sampleDdpm.
    scale = [0.0] * T
    coef = [0.0] * T
    sigma = [0.0] * T
    for k in range(T):
        t = T - k
        prev = float(alpha_bar[t - 2]) if t > 1 else 1.0
        scale[k] = 1 / math.sqrt(float(alpha[t - 1]))
        coef[k] = float(beta[t - 1]) / math.sqrt(1 - float(alpha_bar[t - 1])) / math.sqrt(float(alpha[t - 1]))
        sigma[k] = math.sqrt(float(beta[t - 1]) * (1 - prev) / (1 - float(alpha_bar[t - 1])))

    sampler = network()
    sample_labels = torch.randint(0, classes, (sample_n,))

    def sample():
        start = time.perf_counter()
        with torch.no_grad():
            x = torch.randn(sample_n, 2)
            for k in range(T):
                t = torch.full((sample_n,), T - k)
                eps = sampler(inputs(x, t, sample_labels))
                z = torch.randn(sample_n, 2)
                x = scale[k] * x - coef[k] * eps + sigma[k] * z
        return 1000 * (time.perf_counter() - start)

    train()  # warm-up
    rates = [train() for _ in range(repeats)]
    sample()  # warm-up
    sample_ms = [sample() for _ in range(repeats)]
    print(json.dumps({
        "stepsPerSecond": statistics.median(rates),
        "sampleMs": statistics.median(sample_ms),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
