/**
 * Time per generation of the Gaussian chain (replace regime, unbiased estimator) beside the
 * same work in numpy (bench/gaussian_chain_numpy.py), median over repeated whole chains.
 *
 *   node --import tsx bench/gaussian-chain.bench.ts
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import task from '../benchmarks/gaussian-chain/task.ts';
import replace from '../baselines/replace/method.ts';
import { runGenerational } from '../harness/generations.ts';
import { runReference } from './reference.ts';

const SCRIPT = fileURLToPath(new URL('./gaussian_chain_numpy.py', import.meta.url));

export interface ChainCase {
  dim: number;
  samples: number;
  replicates: number;
  generations: number;
}

export interface ChainBenchResult extends ChainCase {
  oursPerGenerationMs: number;
  numpyPerGenerationMs: number | null;
  /** Our time over numpy's (≤ 1: as fast or faster). */
  ratio: number | null;
}

export const CHAIN_CASES: ChainCase[] = [
  { dim: 1, samples: 20, replicates: 20_000, generations: 20 },
  { dim: 1, samples: 100, replicates: 10_000, generations: 20 },
  { dim: 4, samples: 20, replicates: 5_000, generations: 10 },
];

async function timeNumpy(c: ChainCase, repeats: number): Promise<number | null> {
  const out = await runReference<{ perGenerationSeconds: number }>(
    SCRIPT,
    [c.dim, c.samples, c.replicates, c.generations, repeats],
    'numpy chain',
  );
  return out && out.perGenerationSeconds * 1000;
}

async function timeOurs(c: ChainCase, repeats: number): Promise<number> {
  const taskParams = task.params.parse({ ...c, estimator: 'unbiased' });
  const bench = new Bench({ name: 'gaussian-chain', iterations: repeats, time: 0, warmupIterations: 1, warmupTime: 0 });
  let seed = 0;
  bench.add('chain', () => {
    runGenerational(task, replace, { task: task.id, taskParams, method: 'replace', methodParams: {}, seed: seed++ });
  });
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') throw new Error(`chain benchmark did not complete: ${result.state}`);
  return result.latency.p50 / (c.generations + 1);
}

export async function benchChain(repeats = 7): Promise<ChainBenchResult[]> {
  const out: ChainBenchResult[] = [];
  for (const c of CHAIN_CASES) {
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
  console.table(await benchChain());
}
