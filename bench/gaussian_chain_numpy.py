"""The Gaussian chain's replace regime in numpy, as the reference for bench/gaussian-chain.bench.ts.

Same work per generation as the TypeScript task: draw R x M (x d) samples from each replicate's
fit, refit mean and unbiased covariance, and evaluate W2^2 (Bures via eigvalsh for d > 1),
tr ratio, log tr ratio and squared mean error. Prints one JSON object with the median wall
time per generation over `repeats` whole chains.
Usage: gaussian_chain_numpy.py DIM SAMPLES REPLICATES GENERATIONS REPEATS
"""
import json
import statistics
import sys
import time


def chain(np, rng, d, M, R, G):
    cov_true = np.eye(d)
    x = rng.standard_normal((R, M, d))  # generation 0: real data, N(0, I)
    for _t in range(G + 1):
        mu = x.mean(axis=1)
        centred = x - mu[:, None, :]
        cov = np.einsum("rmi,rmj->rij", centred, centred) / (M - 1)
        trace = np.einsum("rii->r", cov)
        mse = (mu ** 2).sum(axis=1)
        if d == 1:
            w2 = mse + (np.sqrt(cov[:, 0, 0]) - 1.0) ** 2
        else:
            eig = np.clip(np.linalg.eigvalsh(cov), 0, None)  # Σ = I, so Σ^½ Σ̂ Σ^½ = Σ̂
            w2 = mse + trace + d - 2 * np.sqrt(eig).sum(axis=1)
        metrics = (w2.mean(), (trace / d).mean(), np.log(trace / d).mean(), mse.mean())
        # Sample the next generation from the fit: x = μ + L z with Σ̂ = L Lᵀ.
        eig, vec = np.linalg.eigh(cov)
        root = vec * np.sqrt(np.clip(eig, 0, None))[:, None, :]
        z = rng.standard_normal((R, M, d))
        x = mu[:, None, :] + np.einsum("rij,rmj->rmi", root, z)
    return metrics


def main():
    d, M, R, G, repeats = (int(a) for a in sys.argv[1:6])
    try:
        import numpy as np
    except ImportError as error:
        print(json.dumps({"error": f"numpy is not importable: {error}"}))
        return 2
    rng = np.random.default_rng(0)
    chain(np, rng, d, M, R, 2)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        chain(np, rng, d, M, R, G)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(json.dumps({"numpy": np.__version__, "medianSeconds": median, "perGenerationSeconds": median / (G + 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
