"""The regression task's replace chain in numpy, as the reference for bench/regression.bench.ts.

Same work per chain as the TypeScript task with design=fresh, spectrum=identity and OLS: the
held-out test set's moments (X'X, X'eps, eps'eps per replicate), then per generation draw
R x n x d covariates and labels from the previous fit (the truth at generation 0), form each
replicate's X'X and X'y, solve, and evaluate the excess risk and the test MSE.
Prints one JSON object with the median wall time per generation over `repeats` whole chains.
Usage: regression_numpy.py DIM SAMPLES REPLICATES GENERATIONS TEST_SAMPLES REPEATS
"""
import json
import statistics
import sys
import time


def chain(np, rng, d, n, R, G, m, sigma=1.0):
    w0 = rng.standard_normal(d)
    w0 /= np.linalg.norm(w0)
    xt = rng.standard_normal((R, m, d))
    et = sigma * rng.standard_normal((R, m))
    gt = np.matmul(xt.transpose(0, 2, 1), xt)
    bt = np.einsum("rmi,rm->ri", xt, et)
    yyt = (et * et).sum(axis=1)
    w = np.broadcast_to(w0, (R, d))
    for _t in range(G + 1):
        x = rng.standard_normal((R, n, d))
        y = np.einsum("rni,ri->rn", x, w) + sigma * rng.standard_normal((R, n))
        xtrans = x.transpose(0, 2, 1)
        w = np.linalg.solve(np.matmul(xtrans, x), np.matmul(xtrans, y[:, :, None]))[:, :, 0]
        e = w - w0
        excess = (e * e).sum(axis=1)
        test_mse = (np.einsum("ri,rij,rj->r", e, gt, e) - 2 * (e * bt).sum(axis=1) + yyt) / m
        metrics = (excess.mean(), test_mse.mean())
    return metrics


def main():
    d, n, R, G, m, repeats = (int(a) for a in sys.argv[1:7])
    try:
        import numpy as np
    except ImportError as error:
        print(json.dumps({"error": f"numpy is not importable: {error}"}))
        return 2
    rng = np.random.default_rng(0)
    chain(np, rng, d, n, R, 2, m)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        chain(np, rng, d, n, R, G, m)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(json.dumps({"numpy": np.__version__, "medianSeconds": median, "perGenerationSeconds": median / (G + 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
