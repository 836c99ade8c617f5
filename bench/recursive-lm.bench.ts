/**
 * Time per generation of the recursive-lm markov chain (replace regime, count MLE) beside the
 * same work in numpy (bench/recursive_lm_numpy.py), median over repeated whole chains, as wall
 * time and as CPU time of the process (steadier when other work shares the cores).
 * numpy is timed two ways: `counts` (rng.multinomial over the batched rows, no tokens: the
 * idiomatic numpy chain, and the reference of `ratio`) and `tokens` (token ids materialized by
 * inverse CDF and counted with bincount: what a chain that materializes every token pays; ours
 * draws counts and makes tokens only for pools with per-token weights).
 *
 * The growth chain of issue 14 (`RECURSIVE_LM_GROWTH`: V = 50, one context, n_t = 100(t+1),
 * real share α_t = t^(−1/2) through fresh-data-mixing, 200 generations, 500 replicates) is timed
 * as whole chains beside numpy drawing its counts as rng.multinomial(n_t, α_t p* + (1−α_t) p̂)
 * (the reference of `ratio`) and beside numpy doing our pools' work (two multinomials per row),
 * with the final l2_err of both and of theory.ts's recursion, and once more driven by hand
 * without harness/generations.ts, to show what the loop adds; one chain with `split=random`
 * (a Bernoulli draw per slot) beside them.
 *
 *   node --import tsx bench/recursive-lm.bench.ts          # every case
 *   node --import tsx bench/recursive-lm.bench.ts growth   # the growth chain only
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import task from '../benchmarks/recursive-lm/task.ts';
import replace from '../baselines/replace/method.ts';
import freshDataMixing from '../methods/fresh-data-mixing/method.ts';
import { l2ErrorRecursion, sqNorm, zipfPmf } from '../benchmarks/recursive-lm/theory.ts';
import { runGenerational } from '../harness/generations.ts';
import { rngFromKey } from '../harness/rng.ts';
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

/** The growth chain: n_t = samples·(t+1) tokens per context, real share α_t = min(1, alpha·t^(−alpha_decay)). */
export interface RecursiveLmGrowthCase extends RecursiveLmCase {
  samples_growth: 1;
  alpha: number;
  alpha_decay: number;
}

export const RECURSIVE_LM_GROWTH: RecursiveLmGrowthCase = {
  vocab: 50,
  contexts: 1,
  samples: 100,
  samples_growth: 1,
  alpha: 1,
  alpha_decay: 0.5,
  replicates: 500,
  generations: 200,
};

export interface RecursiveLmGrowthResult extends RecursiveLmGrowthCase {
  /** Whole chain (G + 1 generations) per generation, so that it reads like the other rows. */
  oursPerGenerationMs: number;
  numpyPerGenerationMs: number | null;
  ratio: number | null;
  detail: {
    /**
     * How our pool mixes real and synthetic tokens: fresh-data-mixing `split=exact`, round(α_t·n_t)
     * real tokens and the rest synthetic, two unweighted batches (counts only). `split=random`
     * (each slot real with probability α_t, numpy's mixture exactly) is a Bernoulli draw per
     * slot (bernoulliSplit): the task counts the mask's slots per context from its uniforms and
     * draws their tokens in law (markov.ts DrawReader), and the harness realizes the real side's
     * mask densely for the real-data budget; both cost R·n_t uniforms per generation.
     */
    split: 'exact';
    oursChainSeconds: number;
    /** One chain (seed 0) with `split=random`, and its CPU time. */
    oursRandomSplitChainSeconds: number;
    oursRandomSplitCpuChainSeconds: number;
    /**
     * The same chain driven by hand through the task's real/sample/fit/evaluate, without
     * harness/generations.ts (its per-token real-data ledger, history, pool checks): what the task costs.
     */
    oursTaskOnlyChainSeconds: number;
    numpyChainSeconds: number | null;
    /** numpy doing our pools' work: Multinomial(round(α_t·n_t), p*) + Multinomial(n_t − that, p̂) per row. */
    numpyExactSplitChainSeconds: number | null;
    oursCpuChainSeconds: number;
    numpyCpuChainSeconds: number | null;
    cpuRatio: number | null;
    /** Final l2_err, mean and SE over replicates, of the first timed chain (ours: seed 0). */
    oursFinalL2: number;
    oursFinalL2Se: number;
    numpyFinalL2: number | null;
    numpyFinalL2Se: number | null;
    /** theory.ts's recursion for i.i.d. draws from the mixture (numpy's chain). */
    theoryFinalL2: number;
  };
}

async function timeNumpy(c: RecursiveLmCase, repeats: number): Promise<{ counts: Timing; tokens: Timing } | null> {
  type Out = { perGenerationSeconds: number; perGenerationCpuSeconds: number };
  const out = await runReference<Record<'counts' | 'tokens', Out>>(
    SCRIPT,
    [c.vocab, c.contexts, c.samples, c.replicates, c.generations, repeats],
    'numpy recursive-lm',
    600_000,
  );
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

/**
 * The growth chain through the simulation alone, as fresh-data-mixing `split=exact` builds its
 * pools (round(α_t·n_t) real tokens per context and the rest synthetic, unweighted).
 */
function growthChainByHand(taskParams: ReturnType<typeof task.params.parse>, c: RecursiveLmGrowthCase, seed: number): void {
  const shared = { task: task.id, taskParams, seed };
  const sim = task.simulation(taskParams, rngFromKey(shared, 'setup'));
  const realRng = rngFromKey(shared, 'real');
  const sampleRng = rngFromKey(shared, 'sample');
  let model = sim.fit({ parts: [{ batch: sim.real(sim.sampleSize(0), realRng, 0) }] }, {});
  sim.evaluate(model);
  for (let t = 1; t <= c.generations; t++) {
    const n = sim.sampleSize(t);
    const k = Math.round(Math.min(1, c.alpha * t ** -c.alpha_decay) * n);
    const parts = [];
    if (k > 0) parts.push({ batch: sim.real(k, realRng, t) });
    if (k < n) parts.push({ batch: sim.sample(model, n - k, sampleRng, t - 1) });
    model = sim.fit({ parts }, {});
    sim.evaluate(model);
  }
}

/** The growth chain, ours and numpy's, median of `repeats` whole chains each. */
export async function benchRecursiveLmGrowth(repeats = 5): Promise<RecursiveLmGrowthResult> {
  const c = RECURSIVE_LM_GROWTH;
  type Split = { medianSeconds: number; medianCpuSeconds: number; finalL2: number; finalL2Se: number };
  const out = await runReference<{ mixture: Split; exact: Split }>(
    SCRIPT,
    ['growth', c.vocab, c.contexts, c.samples, c.replicates, c.generations, c.alpha, c.alpha_decay, repeats],
    'numpy recursive-lm growth',
    600_000,
  );
  const numpy = out?.mixture;
  const taskParams = task.params.parse({
    variant: 'markov',
    vocab: c.vocab,
    contexts: c.contexts,
    samples: c.samples,
    samples_growth: c.samples_growth,
    replicates: c.replicates,
    generations: c.generations,
  });
  const methodParams = freshDataMixing.params.parse({ alpha: c.alpha, alpha_decay: c.alpha_decay, split: 'exact' });
  const chain = (seed: number) =>
    runGenerational(task, freshDataMixing, { task: task.id, taskParams, method: freshDataMixing.id, methodParams, seed });
  const wall: number[] = [];
  const cpu: number[] = [];
  let final = chain(repeats).metrics.l2_err; // warm-up (JIT) on a seed the timed runs do not use
  for (let seed = 0; seed < repeats; seed++) {
    const start = performance.now();
    const startCpu = process.cpuUsage();
    const out = chain(seed);
    const used = process.cpuUsage(startCpu);
    wall.push(performance.now() - start);
    cpu.push((used.user + used.system) / 1000);
    if (seed === 0) final = out.metrics.l2_err;
  }
  const random = freshDataMixing.params.parse({ alpha: c.alpha, alpha_decay: c.alpha_decay, split: 'random' });
  const randomStart = performance.now();
  const randomStartCpu = process.cpuUsage();
  runGenerational(task, freshDataMixing, { task: task.id, taskParams, method: freshDataMixing.id, methodParams: random, seed: 0 });
  const randomCpu = process.cpuUsage(randomStartCpu);
  const randomSeconds = (performance.now() - randomStart) / 1000;
  const taskOnly: number[] = [];
  for (let seed = 0; seed < repeats; seed++) {
    const start = performance.now();
    growthChainByHand(taskParams, c, seed);
    taskOnly.push(performance.now() - start);
  }
  const steps = Array.from({ length: c.generations + 1 }, (_, t) => t);
  const theory = l2ErrorRecursion(
    sqNorm(zipfPmf(c.vocab, taskParams.zipf)),
    steps.map((t) => c.samples * (t + 1)),
    steps.map((t) => (t === 0 ? 1 : Math.min(1, c.alpha * t ** -c.alpha_decay))),
  );
  const oursSeconds = median(wall) / 1000;
  const oursCpu = median(cpu) / 1000;
  return {
    ...c,
    oursPerGenerationMs: (oursSeconds * 1000) / (c.generations + 1),
    numpyPerGenerationMs: numpy ? (numpy.medianSeconds * 1000) / (c.generations + 1) : null,
    ratio: numpy ? oursSeconds / numpy.medianSeconds : null,
    detail: {
      split: 'exact',
      oursChainSeconds: oursSeconds,
      oursRandomSplitChainSeconds: randomSeconds,
      oursRandomSplitCpuChainSeconds: (randomCpu.user + randomCpu.system) / 1e6,
      oursTaskOnlyChainSeconds: median(taskOnly) / 1000,
      numpyChainSeconds: numpy?.medianSeconds ?? null,
      numpyExactSplitChainSeconds: out?.exact.medianSeconds ?? null,
      oursCpuChainSeconds: oursCpu,
      numpyCpuChainSeconds: numpy?.medianCpuSeconds ?? null,
      cpuRatio: numpy ? oursCpu / numpy.medianCpuSeconds : null,
      oursFinalL2: final.mean[c.generations],
      oursFinalL2Se: final.se[c.generations],
      numpyFinalL2: numpy?.finalL2 ?? null,
      numpyFinalL2Se: numpy?.finalL2Se ?? null,
      theoryFinalL2: theory[c.generations],
    },
  };
}

export async function benchRecursiveLm(repeats = 5): Promise<(RecursiveLmBenchResult | RecursiveLmGrowthResult)[]> {
  const out: (RecursiveLmBenchResult | RecursiveLmGrowthResult)[] = [];
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
  out.push(await benchRecursiveLmGrowth(repeats));
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = process.argv[2] === 'growth' ? [await benchRecursiveLmGrowth()] : await benchRecursiveLm();
  console.table(rows.map(({ detail, ...row }) => ({ ...row, ...detail })));
}
