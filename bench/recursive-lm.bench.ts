/**
 * Time per generation of the recursive-lm markov chain (replace regime, count MLE) beside the
 * same work in numpy (bench/recursive_lm_numpy.py), median over repeated whole chains, as wall
 * time and as CPU time of the process (steadier when other work shares the cores).
 * numpy is timed two ways: `counts` (rng.multinomial over the batched rows, no tokens: the
 * idiomatic numpy chain, and the reference of `ratio`) and `tokens` (token ids materialized by
 * inverse CDF and counted with bincount, the work our task must do because pool hooks weight
 * individual tokens).
 *
 *   node --import tsx bench/recursive-lm.bench.ts
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import task from '../benchmarks/recursive-lm/task.ts';
import replace from '../baselines/replace/method.ts';
import { runGenerational } from '../harness/loop.ts';
import { runReference } from './reference.ts';

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
  /** Our time over numpy's counts-only time (≤ 1: as fast or faster). */
  ratio: number | null;
  /** Further timings, nested so that the case's own numbers stay the only top-level ones. */
  detail: {
    /** numpy with materialized tokens and bincount. */
    numpyTokensPerGenerationMs: number | null;
    /** CPU time of each process per generation, and their ratio. */
    oursCpuPerGenerationMs: number;
    numpyCpuPerGenerationMs: number | null;
    cpuRatio: number | null;
  };
}

interface Timing {
  wall: number;
  cpu: number;
}

export const RECURSIVE_LM_CASES: RecursiveLmCase[] = [
  { vocab: 50, contexts: 20, samples: 100, replicates: 400, generations: 20 }, // the quick profile
  { vocab: 200, contexts: 50, samples: 400, replicates: 100, generations: 10 },
  { vocab: 50, contexts: 20, samples: 2000, replicates: 100, generations: 10 }, // many tokens per row
];

async function timeNumpy(c: RecursiveLmCase, repeats: number): Promise<{ counts: Timing; tokens: Timing } | null> {
  type Out = { perGenerationSeconds: number; perGenerationCpuSeconds: number };
  const out = await runReference<Record<'counts' | 'tokens', Out>>(SCRIPT, [c.vocab, c.contexts, c.samples, c.replicates, c.generations, repeats], 'numpy recursive-lm', 600_000);
  const ms = (o: Out): Timing => ({ wall: o.perGenerationSeconds * 1000, cpu: o.perGenerationCpuSeconds * 1000 });
  return out && { counts: ms(out.counts), tokens: ms(out.tokens) };
}

function timeOurs(c: RecursiveLmCase, repeats: number): Timing {
  const taskParams = task.params.parse({ ...c, variant: 'markov' });
  const chain = (seed: number) => runGenerational(task, replace, { task: task.id, taskParams, method: 'replace', methodParams: {}, seed });
  chain(repeats); // warm-up (JIT), on a seed the timed runs do not use
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let seed = 0; seed < repeats; seed++) {
    const start = performance.now();
    const startCpu = process.cpuUsage();
    chain(seed);
    const used = process.cpuUsage(startCpu);
    wall.push(performance.now() - start);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: median(wall) / (c.generations + 1), cpu: median(cpu) / (c.generations + 1) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export async function benchRecursiveLm(repeats = 5): Promise<RecursiveLmBenchResult[]> {
  const out: RecursiveLmBenchResult[] = [];
  for (const c of RECURSIVE_LM_CASES) {
    const numpy = await timeNumpy(c, repeats);
    const ours = timeOurs(c, repeats);
    out.push({
      ...c,
      oursPerGenerationMs: ours.wall,
      numpyPerGenerationMs: numpy?.counts.wall ?? null,
      ratio: numpy ? ours.wall / numpy.counts.wall : null,
      detail: {
        numpyTokensPerGenerationMs: numpy?.tokens.wall ?? null,
        oursCpuPerGenerationMs: ours.cpu,
        numpyCpuPerGenerationMs: numpy?.counts.cpu ?? null,
        cpuRatio: numpy ? ours.cpu / numpy.counts.cpu : null,
      },
    });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table((await benchRecursiveLm()).map(({ detail, ...row }) => ({ ...row, ...detail })));
}
