"""The recursive-lm markov replace chain in numpy, as the reference for bench/recursive-lm.bench.ts.

Same work per generation as the TypeScript task: sample the next pool from each replicate's
fitted next-token table p_hat (R x C x V), refit p_hat from its counts, and evaluate l2_err,
kl (p_hat smoothed by 1e-6), support and entropy_ratio, each as mean and SE over replicates.

Two ways to sample, both timed:
- counts: rng.multinomial(n, p_hat) over the batched rows gives the counts directly, the
  idiomatic numpy chain (no tokens exist);
- tokens: materialize n token ids per (replicate, context) by inverse-CDF (one searchsorted
  over all rows at once, each row's CDF shifted by its row index), then count them with
  bincount, as the TypeScript task must (pool hooks see tokens and per-token weights).
Prints one JSON object with the median wall time (and CPU time, steadier on a shared machine)
per generation over `repeats` whole chains.
Usage: recursive_lm_numpy.py VOCAB CONTEXTS SAMPLES REPLICATES GENERATIONS REPEATS

The growth chain (issue 14): n_t = SAMPLES*(t+1) tokens per context and a real share
alpha_t = min(1, ALPHA*t^(-DECAY)) from generation 1 on, each token real with probability
alpha_t (fresh-data-mixing), so a generation draws its counts as rng.multinomial(n_t, q_t) with
q_t = alpha_t*p_star + (1-alpha_t)*p_hat (counts only: "mixture", the reference). Timed too, as
"exact": the work of fresh-data-mixing split=exact, round(alpha_t*n_t) real tokens drawn from
p_star and the rest from p_hat, two multinomials per row. Prints, for each, the median wall
and CPU time of a whole chain and the final l2_err (mean and SE over replicates).
Usage: recursive_lm_numpy.py growth VOCAB CONTEXTS SAMPLES REPLICATES GENERATIONS ALPHA DECAY REPEATS
"""
import json
import statistics
import sys
import time

EPS = 1e-6


def truth(np, rng, V, C, s=1.0):
    zipf = np.arange(1, V + 1, dtype=np.float64) ** -s
    zipf /= zipf.sum()
    p = np.empty((C, V))
    for c in range(C):
        p[c, rng.permutation(V)] = zipf
    return p


def evaluate(np, p_hat, p_star, log_p_star, h_star):
    V = p_star.shape[-1]
    l2 = ((p_hat - p_star) ** 2).sum(-1).mean(-1)
    kl = (p_star * (log_p_star - np.log((p_hat + EPS) / (1 + V * EPS)))).sum(-1).mean(-1)
    support = (p_hat > 0).sum(-1).mean(-1) / V
    logs = np.log(p_hat, out=np.zeros_like(p_hat), where=p_hat > 0)
    entropy = -(p_hat * logs).sum(-1).mean(-1) / h_star
    R = p_hat.shape[0]
    return [(m.mean(), m.std(ddof=1) / np.sqrt(R)) for m in (l2, kl, support, entropy)]


def draw_counts(np, rng, p_hat, n, _row_ids):
    return rng.multinomial(n, p_hat)


def draw_tokens(np, rng, p_hat, n, row_ids):
    R, C, V = p_hat.shape
    rows = p_hat.reshape(R * C, V)
    cdf = np.cumsum(rows, axis=1)
    cdf /= cdf[:, -1:]
    shifted = (cdf + np.arange(R * C)[:, None]).ravel()
    u = rng.random((R * C, n)) + np.arange(R * C)[:, None]
    flat = np.searchsorted(shifted, u.ravel(), side="right")
    flat = np.minimum(flat, row_ids * V + V - 1)  # rounding at a row's end
    return np.bincount(flat, minlength=R * C * V).reshape(R, C, V)


def chain(np, rng, draw, V, C, n, R, G, p_star, log_p_star, h_star):
    row_ids = np.repeat(np.arange(R * C), n)
    p_hat = np.broadcast_to(p_star, (R, C, V))  # generation 0 samples the truth
    for _t in range(G + 1):
        counts = draw(np, rng, p_hat, n, row_ids)
        p_hat = counts / n
        metrics = evaluate(np, p_hat, p_star, log_p_star, h_star)
    return metrics


def growth_chain(np, rng, split, V, C, n0, R, G, alpha, decay, p_star, log_p_star, h_star):
    p_hat = np.broadcast_to(p_star, (R, C, V))  # generation 0 samples the truth
    truth = np.broadcast_to(p_star, (R, C, V))
    for t in range(G + 1):
        n = n0 * (t + 1)
        a = 1.0 if t == 0 else min(1.0, alpha * t ** -decay)
        if split == "mixture":
            q = truth if a == 1.0 else a * truth + (1 - a) * p_hat
            counts = rng.multinomial(n, q)
        else:
            k = round(a * n)
            counts = rng.multinomial(k, truth) if k > 0 else 0
            if k < n:
                counts = counts + rng.multinomial(n - k, p_hat)
        p_hat = counts / n
        metrics = evaluate(np, p_hat, p_star, log_p_star, h_star)
    return metrics


def growth(np, args):
    V, C, n0, R, G = (int(a) for a in args[:5])
    alpha, decay = float(args[5]), float(args[6])
    repeats = int(args[7])
    rng = np.random.default_rng(0)
    p_star = truth(np, rng, V, C)
    log_p_star = np.log(p_star)
    h_star = -(p_star[0] * log_p_star[0]).sum()
    out = {"numpy": np.__version__}
    for split in ("mixture", "exact"):
        growth_chain(np, rng, split, V, C, n0, R, 2, alpha, decay, p_star, log_p_star, h_star)  # warm-up
        times, cpu, finals = [], [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            metrics = growth_chain(np, rng, split, V, C, n0, R, G, alpha, decay, p_star, log_p_star, h_star)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            finals.append(metrics[0])
        mean, se = finals[0]
        out[split] = {
            "medianSeconds": statistics.median(times),
            "medianCpuSeconds": statistics.median(cpu),
            "finalL2": float(mean),
            "finalL2Se": float(se),
        }
    return out


def main():
    if sys.argv[1] == "growth":
        try:
            import numpy as np
        except ImportError as error:
            print(json.dumps({"error": f"numpy is not importable: {error}"}))
            return 2
        print(json.dumps(growth(np, sys.argv[2:])))
        return 0
    V, C, n, R, G, repeats = (int(a) for a in sys.argv[1:7])
    try:
        import numpy as np
    except ImportError as error:
        print(json.dumps({"error": f"numpy is not importable: {error}"}))
        return 2
    rng = np.random.default_rng(0)
    p_star = truth(np, rng, V, C)
    log_p_star = np.log(p_star)
    h_star = -(p_star[0] * log_p_star[0]).sum()
    out = {"numpy": np.__version__}
    for name, draw in (("counts", draw_counts), ("tokens", draw_tokens)):
        chain(np, rng, draw, V, C, n, R, 1, p_star, log_p_star, h_star)  # warm-up
        times = []
        cpu = []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            chain(np, rng, draw, V, C, n, R, G, p_star, log_p_star, h_star)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        out[name] = {
            "medianSeconds": statistics.median(times),
            "perGenerationSeconds": statistics.median(times) / (G + 1),
            "perGenerationCpuSeconds": statistics.median(cpu) / (G + 1),
        }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
