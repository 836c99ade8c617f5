/**
 * Time per generation of the regression task's replace chain (fresh Gaussian design, Σ = I,
 * OLS) beside the same work in numpy (bench/regression_numpy.py: batched matmul and
 * np.linalg.solve), median over repeated whole chains, held-out test moments included.
 *
 *   node --import tsx bench/regression.bench.ts
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import task from '../benchmarks/regression/task.ts';
import replace from '../baselines/replace/method.ts';
import { runGenerational } from '../harness/generations.ts';
import { runReference } from './reference.ts';

const SCRIPT = fileURLToPath(new URL('./regression_numpy.py', import.meta.url));

export interface RegressionCase {
  dim: number;
  samples: number;
  replicates: number;
  generations: number;
  test_samples: number;
}

export interface RegressionBenchResult extends RegressionCase {
  oursPerGenerationMs: number;
  numpyPerGenerationMs: number | null;
  /** Our time over numpy's (≤ 1: as fast or faster). */
  ratio: number | null;
}

export const REGRESSION_CASES: RegressionCase[] = [
  // The quick profile.
  { dim: 10, samples: 50, replicates: 1000, generations: 20, test_samples: 200 },
  { dim: 20, samples: 100, replicates: 400, generations: 20, test_samples: 200 },
  { dim: 50, samples: 200, replicates: 500, generations: 10, test_samples: 200 },
];

async function timeNumpy(c: RegressionCase, repeats: number): Promise<number | null> {
  const out = await runReference<{ perGenerationSeconds: number }>(
    SCRIPT,
    [c.dim, c.samples, c.replicates, c.generations, c.test_samples, repeats],
    'numpy regression',
  );
  return out && out.perGenerationSeconds * 1000;
}

async function timeOurs(c: RegressionCase, repeats: number): Promise<number> {
  const taskParams = task.params.parse(c);
  const bench = new Bench({ name: 'regression', iterations: repeats, time: 0, warmupIterations: 1, warmupTime: 0 });
  let seed = 0;
  bench.add('chain', () => {
    runGenerational(task, replace, { task: task.id, taskParams, method: 'replace', methodParams: {}, seed: seed++ });
  });
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') throw new Error(`regression benchmark did not complete: ${result.state}`);
  return result.latency.p50 / (c.generations + 1);
}

export async function benchRegression(repeats = 7): Promise<RegressionBenchResult[]> {
  const out: RegressionBenchResult[] = [];
  for (const c of REGRESSION_CASES) {
    const numpyPerGenerationMs = await timeNumpy(c, repeats);
    const oursPerGenerationMs = await timeOurs(c, repeats);
    out.push({
      ...c,
      oursPerGenerationMs,
      numpyPerGenerationMs,
      ratio: numpyPerGenerationMs === null ? null : oursPerGenerationMs / numpyPerGenerationMs,
    });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await benchRegression());
}
