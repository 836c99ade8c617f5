/**
 * Latent Space Filtering, ACU-LSF (Cai, Wang, Liu & Zhang, "Stabilizing Self-Consuming
 * Diffusion Models with Latent Space Filtering", AAAI 2026, arXiv 2511.12742).
 *
 * The generation-0 model, trained on real data only, gives a latent space in which the real
 * classes occupy low-dimensional, nearly orthogonal subspaces (small OLE = Σ_c ‖M_c‖_* − ‖M‖_*);
 * over self-consuming generations the latents of synthetic data lose that structure. LSF
 * trains a softmax probe on the real generation-0 latents and scores each sample x generated
 * for class y by its confidence ξ(x, y) = p_probe(y | z(x)). ACU-LSF, each generation t ≥ 1:
 *   1. draw n_t fresh synthetic samples from model t−1 and add them to the accumulated pool
 *      (the real generation-0 data and every synthetic batch so far, as in ACU / accumulate);
 *   2. score every candidate by ξ (a real sample by its own label);
 *   3. keep the N = n_t candidates of highest ξ (a fixed training budget, as SYN/replace) and
 *      train on them.
 * The task provides z(x): for diffusion, the generation-0 denoiser's null-label hidden
 * activations at the task's latent timesteps (benchmarks/diffusion/README.md).
 *
 * Ours, where the paper could not be read (methods/latent-filtering/README.md): `balance:
 * class` shares the N slots equally among classes (the loop's labels are uniform), and the
 * probe is a multinomial logistic regression (probe.ts). A threshold rule (drop the atypical,
 * keep the rest at random) is a different method: methods/latent-threshold-filtering.
 */
import { z } from 'zod';
import { defineMethod, type Batch, type FilterContext, type Pool } from '../../harness/types.ts';
import { fitProbe, labelConfidence, type Probe } from './probe.ts';

// ---------------------------------------------------------------------------------------
// Hyper-parameters

const Params = z.object({
  candidates: z
    .enum(['accumulated', 'synthetic'])
    .default('accumulated')
    .describe('accumulated (ACU-LSF): every batch so far, real generation-0 data included; synthetic: synthetic batches only'),
  balance: z
    .enum(['class', 'none'])
    .default('class')
    .describe('class: N/C slots per class (remainder to the lowest class ids), top ξ within each class; none: global top-N'),
  probe_iterations: z.number().int().min(1).max(10_000).default(300).describe('gradient steps of the softmax probe'),
  probe_l2: z.number().min(0).default(1e-3).describe('L2 penalty of the probe'),
});
export type LatentFilteringParams = z.infer<typeof Params>;

const PROBE_LEARNING_RATE = 0.5;

// ---------------------------------------------------------------------------------------
// Shared with latent-threshold-filtering: probes on the real generation-0 latents, scores.

export interface ProbeParams {
  probe_iterations: number;
  probe_l2: number;
}

/** One probe per replicate, fitted once per cell (keyed by the real batch, kept all cell). */
const probeCache = new WeakMap<Batch<unknown>, Map<string, Probe[]>>();

/** The probes of the real generation-0 batch (ctx.initial), one per replicate. */
export function realProbes(ctx: FilterContext<unknown>, params: ProbeParams): Probe[] {
  const real = ctx.initial;
  const key = `${params.probe_iterations}:${params.probe_l2}`;
  let byParams = probeCache.get(real);
  if (!byParams) probeCache.set(real, (byParams = new Map()));
  let probes = byParams.get(key);
  if (!probes) {
    const f = ctx.features(real);
    probes = Array.from({ length: ctx.replicates }, (_, r) => {
      const from = r * real.size;
      return fitProbe(
        f.values.subarray(from * f.dim, (from + real.size) * f.dim),
        f.labels.subarray(from, from + real.size),
        real.size,
        f.dim,
        f.classes,
        {
          iterations: params.probe_iterations,
          learningRate: PROBE_LEARNING_RATE,
          l2: params.probe_l2,
        },
      );
    });
    byParams.set(key, probes);
  }
  return probes;
}

/** The candidates of one replicate: ξ(x, y), y and (batch, index), in (batch, index) order. */
export interface Scored {
  scores: number[];
  labels: number[];
  where: [number, number][];
}

/**
 * ξ of one replicate's samples of a batch under that replicate's probe: both are fixed for the
 * whole cell, so each batch is scored once, not again every generation it stays a candidate.
 */
const scoreCache = new WeakMap<Probe, WeakMap<Batch<unknown>, Float64Array>>();

/** ξ(x, y) = p_probe(y | z(x)) of every candidate of replicate r. */
export function scoreReplicate(ctx: FilterContext<unknown>, batches: Batch<unknown>[], probe: Probe, r: number): Scored {
  const out: Scored = { scores: [], labels: [], where: [] };
  let byBatch = scoreCache.get(probe);
  if (!byBatch) scoreCache.set(probe, (byBatch = new WeakMap()));
  batches.forEach((batch, k) => {
    const f = ctx.features(batch);
    const from = r * batch.size;
    const labels = f.labels.subarray(from, from + batch.size);
    let xi = byBatch.get(batch);
    if (!xi)
      byBatch.set(batch, (xi = labelConfidence(probe, f.values.subarray(from * f.dim, (from + batch.size) * f.dim), labels, batch.size)));
    for (let i = 0; i < batch.size; i++) {
      out.scores.push(xi[i]);
      out.labels.push(labels[i]);
      out.where.push([k, i]);
    }
  });
  return out;
}

/** The pool of weight-1 samples: kept[r] indexes replicate r's Scored. */
export function keptPool(ctx: FilterContext<unknown>, batches: Batch<unknown>[], scored: Scored[], kept: number[][]): Pool<unknown> {
  const weights = batches.map((b) => new Float64Array(ctx.replicates * b.size));
  kept.forEach((indices, r) => {
    for (const j of indices) {
      const [k, i] = scored[r].where[j];
      weights[k][r * batches[k].size + i] = 1;
    }
  });
  return { parts: batches.map((batch, k) => ({ batch, weights: weights[k] })) };
}

/**
 * The candidate batches: every batch drawn before this generation and n_t fresh synthetic samples
 * of model t−1 (the accumulated pool), or the synthetic batches among them only.
 */
export function candidateBatches(ctx: FilterContext<unknown>, candidates: 'accumulated' | 'synthetic'): Batch<unknown>[] {
  const accumulated = [...ctx.history, ctx.synthetic(ctx.size)];
  return candidates === 'synthetic' ? accumulated.filter((b) => b.origin === 'synthetic') : accumulated;
}

/**
 * Indices of the N highest scores (ties: the earlier candidate), overall or N/C per class. A
 * class with fewer candidates than its share gives its unused slots to the best remaining
 * candidates, so exactly N are kept whenever there are N candidates.
 */
export function selectTop(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
  n: number,
  balance: 'class' | 'none',
): number[] {
  const m = scores.length;
  if (m < n) throw new Error(`latent filtering cannot keep ${n} samples from ${m} candidates`);
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  if (balance === 'none') return order.slice(0, n);
  const quota = Array.from({ length: classes }, (_, c) => Math.floor(n / classes) + (c < n % classes ? 1 : 0));
  const kept: number[] = [];
  const rest: number[] = [];
  for (const i of order) {
    if (quota[labels[i]] > 0) {
      quota[labels[i]]--;
      kept.push(i);
    } else rest.push(i);
  }
  return kept.concat(rest.slice(0, n - kept.length));
}

// ---------------------------------------------------------------------------------------
// The filter hook: ACU-LSF

function filter(ctx: FilterContext<unknown>, params: LatentFilteringParams): Pool<unknown> {
  const batches = candidateBatches(ctx, params.candidates);
  const probes = realProbes(ctx, params);
  const classes = ctx.features(ctx.initial).classes;
  const scored = probes.map((probe, r) => scoreReplicate(ctx, batches, probe, r));
  const kept = scored.map((s) => selectTop(s.scores, s.labels, classes, ctx.size, params.balance));
  return keptPool(ctx, batches, scored, kept);
}

export default defineMethod({
  id: 'latent-filtering',
  title: 'Latent space filtering (ACU-LSF)',
  kind: 'method',
  summary:
    'ACU-LSF: keeps, from the accumulated pool, the N samples a probe on the generation-0 model’s latents is most confident belong to their class.',
  papers: [
    {
      title: 'Stabilizing Self-Consuming Diffusion Models with Latent Space Filtering',
      authors: 'Cai, Wang, Liu, Zhang',
      year: 2026,
      url: 'https://arxiv.org/abs/2511.12742',
    },
  ],
  params: Params,
  // Candidates are every batch so far (the accumulated pool).
  needs: { history: true },
  hooks: { filter },
});
