"""Times numpy's standard normals, for comparison with harness/rng.ts (bench/normals.bench.ts).

Draws `size` normals into a preallocated buffer with np.random.default_rng(0)
(PCG64 + ziggurat), `repeats` times after `warmup` untimed calls, and prints one JSON
object: the median time per call and normals per second. Prints {"error": ...} and exits
with status 2 when numpy is missing.
"""
import json
import statistics
import sys
import time


def main() -> int:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    try:
        import numpy as np
    except ImportError as error:
        print(json.dumps({"error": f"numpy is not importable: {error}"}))
        return 2
    rng = np.random.default_rng(0)
    buf = np.empty(size, dtype=np.float64)
    for _ in range(warmup):
        rng.standard_normal(size=size, out=buf)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        rng.standard_normal(size=size, out=buf)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(
        json.dumps(
            {
                "numpy": np.__version__,
                "python": sys.version.split()[0],
                "bitGenerator": type(rng.bit_generator).__name__,
                "size": size,
                "repeats": repeats,
                "medianSeconds": median,
                "minSeconds": min(times),
                "perSec": size / median,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
