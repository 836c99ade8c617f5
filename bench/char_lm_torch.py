"""The recursive-lm char model's training step in PyTorch (CPU), the reference for
bench/char-lm.bench.ts.

Same model and batch as benchmarks/recursive-lm/char.ts: per chain, an embedding of the
29 ids (28 characters + PAD) to E, the k embeddings concatenated, tanh(W1 x + b1) with H
units, logits W2 h + b2 over 28 characters; weighted cross-entropy summed over chains; one
Adam step over all chains' weights. Minibatch windows (contexts + targets + weights) are drawn
on the CPU each step, as ours does. Then the evaluation forward pass (bitsPerChar): log-softmax
of every chain's logits for EVAL_ROWS contexts, under no_grad. Prints one JSON object with the
median steps per second over `repeats` timed runs of STEPS steps and the median evaluation time
in ms over `repeats` passes (after one warm-up run of each).
Usage: char_lm_torch.py CHAINS BATCH WINDOW EMBEDDING HIDDEN STEPS REPEATS [EVAL_ROWS]
"""
import json
import statistics
import sys
import time


def main():
    import numpy as np
    import torch

    R, B, k, E, H, steps, repeats = (int(a) for a in sys.argv[1:8])
    eval_rows = int(sys.argv[8]) if len(sys.argv) > 8 else 4096
    V = 28
    torch.manual_seed(0)
    rng = np.random.default_rng(0)

    class Chain(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(V + 1, E)
            self.l1 = torch.nn.Linear(k * E, H)
            self.l2 = torch.nn.Linear(H, V)

        def forward(self, ctx):
            return self.l2(torch.tanh(self.l1(self.emb(ctx).reshape(ctx.shape[0], k * E))))

    chains = torch.nn.ModuleList([Chain() for _ in range(R)])
    opt = torch.optim.Adam(chains.parameters(), lr=0.02)
    text = rng.integers(0, V, size=200_000)

    def step():
        starts = rng.integers(0, len(text) - k - 1, size=(R, B))
        idx = starts[..., None] + np.arange(k + 1)
        windows = torch.from_numpy(text[idx])
        scale = torch.full((R, B), 1.0 / B)
        opt.zero_grad()
        loss = 0
        for r in range(R):
            logits = chains[r](windows[r, :, :k])
            ce = torch.nn.functional.cross_entropy(logits, windows[r, :, k], reduction="none")
            loss = loss + (ce * scale[r]).sum()
        loss.backward()
        opt.step()
        return loss

    def run():
        start = time.perf_counter()
        for _ in range(steps):
            step()
        return steps / (time.perf_counter() - start)

    eval_starts = rng.integers(0, len(text) - k, size=eval_rows)
    eval_ctx = torch.from_numpy(text[eval_starts[:, None] + np.arange(k)])

    def evaluate():
        start = time.perf_counter()
        with torch.no_grad():
            for r in range(R):
                torch.log_softmax(chains[r](eval_ctx), dim=1)
        return 1000 * (time.perf_counter() - start)

    run()  # warm-up
    rates = [run() for _ in range(repeats)]
    evaluate()  # warm-up
    eval_ms = [evaluate() for _ in range(repeats)]
    print(json.dumps({"stepsPerSecond": statistics.median(rates), "evalMs": statistics.median(eval_ms), "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
