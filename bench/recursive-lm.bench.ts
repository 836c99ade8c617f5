/**
 * Time per generation of the recursive-lm markov chain (replace regime, count MLE) beside the
 * same work in numpy (bench/recursive_lm_numpy.py), median over repeated whole chains.
 * numpy is timed two ways: `counts` (rng.multinomial over the batched rows, no tokens: the
 * idiomatic numpy chain, and the reference of `ratio`) and `tokens` (token ids materialized by
 * inverse CDF and counted with bincount, the work our task must do because pool hooks weight
 * individual tokens).
 *
 *   node --import tsx bench/recursive-lm.bench.ts
 */
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Bench } from 'tinybench';
import task from '../benchmarks/recursive-lm/task.ts';
import replace from '../baselines/replace/method.ts';
import { runGenerational } from '../harness/loop.ts';

const PYTHON = process.env.NORMALS_BENCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./recursive_lm_numpy.py', import.meta.url));

export interface RecursiveLmCase {
  vocab: number;
  contexts: number;
  /** Tokens per context per generation. */
  samples: number;
  replicates: number;
  generations: number;
}

export interface RecursiveLmBenchResult extends RecursiveLmCase {
  oursPerGenerationMs: number;
  /** numpy with multinomial counts (no tokens). */
  numpyPerGenerationMs: number | null;
  /** numpy with materialized tokens and bincount. */
  numpyTokensPerGenerationMs: number | null;
  /** Our time over numpy's counts-only time (≤ 1: as fast or faster). */
  ratio: number | null;
}

export const RECURSIVE_LM_CASES: RecursiveLmCase[] = [
  { vocab: 50, contexts: 20, samples: 100, replicates: 400, generations: 20 }, // the quick profile
  { vocab: 200, contexts: 50, samples: 400, replicates: 100, generations: 10 },
  { vocab: 50, contexts: 20, samples: 2000, replicates: 100, generations: 10 }, // many tokens per row
];

async function timeNumpy(c: RecursiveLmCase, repeats: number): Promise<{ counts: number; tokens: number } | null> {
  try {
    const args = [SCRIPT, c.vocab, c.contexts, c.samples, c.replicates, c.generations, repeats].map(String);
    const { stdout } = await promisify(execFile)(PYTHON, args, { timeout: 600_000 });
    const out = JSON.parse(stdout) as Record<'counts' | 'tokens', { perGenerationSeconds: number }>;
    return { counts: out.counts.perGenerationSeconds * 1000, tokens: out.tokens.perGenerationSeconds * 1000 };
  } catch (error) {
    console.warn(`note: numpy recursive-lm timing unavailable (${(error as Error).message.split('\n')[0]})`);
    return null;
  }
}

async function timeOurs(c: RecursiveLmCase, repeats: number): Promise<number> {
  const taskParams = task.params.parse({ ...c, variant: 'markov' });
  const bench = new Bench({ name: 'recursive-lm', iterations: repeats, time: 0, warmupIterations: 1, warmupTime: 0 });
  let seed = 0;
  bench.add('chain', () => {
    runGenerational(task, replace, { task: task.id, taskParams, method: 'replace', methodParams: {}, seed: seed++ });
  });
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') throw new Error(`recursive-lm benchmark did not complete: ${result.state}`);
  return result.latency.p50 / (c.generations + 1);
}

export async function benchRecursiveLm(repeats = 5): Promise<RecursiveLmBenchResult[]> {
  const out: RecursiveLmBenchResult[] = [];
  for (const c of RECURSIVE_LM_CASES) {
    const numpy = await timeNumpy(c, repeats);
    const oursPerGenerationMs = await timeOurs(c, repeats);
    out.push({
      ...c,
      oursPerGenerationMs,
      numpyPerGenerationMs: numpy?.counts ?? null,
      numpyTokensPerGenerationMs: numpy?.tokens ?? null,
      ratio: numpy ? oursPerGenerationMs / numpy.counts : null,
    });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await benchRecursiveLm());
}
