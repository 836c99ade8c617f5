/**
 * Latent threshold filtering: a variant of latent space filtering (Cai, Wang, Liu & Zhang,
 * AAAI 2026, arXiv 2511.12742) that is NOT the paper's selection rule. The paper keeps the
 * top-N of the accumulated pool by probe confidence ξ(x, y) (methods/latent-filtering); this
 * entry drops the atypical candidates instead and keeps N of the rest uniformly at random:
 *   1. as ACU-LSF: draw n_t fresh synthetic samples, score the accumulated pool by
 *      ξ(x, y) = p_probe(y | z(x)) (probe on the real generation-0 latents);
 *   2. per class c, the threshold τ_c = the `quantile` (10%) of the real generation-0 samples'
 *      own ξ: a candidate passes when ξ ≥ τ_c;
 *   3. keep N = n_t candidates uniformly at random among those that pass (N/C per class with
 *      `balance: class`); if too few pass, the best of the rest fill the slots.
 * Why it exists: a top-N rule keeps the *most* typical samples again and again, which on a
 * class ≠ mode data set (diffusion's spirals) concentrates each class on the modes the probe
 * is surest of; a threshold keeps the in-class spread. The 10% quantile is our choice (the
 * fraction of real data a filter may reject), not the paper's.
 */
import { z } from 'zod';
import { defineMethod, type FilterContext, type Pool } from '../../harness/types.ts';
import type { Rng } from '../../harness/rng.ts';
import { labelConfidence, type Probe } from '../latent-filtering/probe.ts';
import { candidateBatches, keptPool, realProbes, scoreReplicate, selectTop } from '../latent-filtering/method.ts';

// ---------------------------------------------------------------------------------------
// Hyper-parameters

const Params = z.object({
  candidates: z
    .enum(['accumulated', 'synthetic'])
    .default('accumulated')
    .describe('accumulated: every batch so far, real generation-0 data included; synthetic: synthetic batches only'),
  quantile: z
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .describe('the quantile of the real generation-0 samples’ own scores ξ (per class) a candidate must reach'),
  balance: z
    .enum(['class', 'none'])
    .default('class')
    .describe('class: N/C slots per class (remainder to the lowest class ids); none: N overall'),
  probe_iterations: z.number().int().min(1).max(10_000).default(300).describe('gradient steps of the softmax probe'),
  probe_l2: z.number().min(0).default(1e-3).describe('L2 penalty of the probe'),
});
export type LatentThresholdFilteringParams = z.infer<typeof Params>;

// ---------------------------------------------------------------------------------------
// The filter hook

/** Per replicate and class, τ_c: computed once per cell (keyed by the probes, cached per cell). */
const thresholdCache = new WeakMap<Probe, Map<number, Float64Array>>();

function filter(ctx: FilterContext<unknown>, params: LatentThresholdFilteringParams): Pool<unknown> {
  const batches = candidateBatches(ctx, params.candidates);
  const probes = realProbes(ctx, params);
  const real = ctx.features(ctx.initial);
  const scored = probes.map((probe, r) => scoreReplicate(ctx, batches, probe, r));
  const kept = scored.map((s, r) => {
    const thresholds = realThresholds(probes[r], real.values, real.labels, ctx.initial.size, r, real.dim, real.classes, params.quantile);
    return selectAboveThreshold(s.scores, s.labels, thresholds, ctx.size, params.balance, ctx.rng);
  });
  return keptPool(ctx, batches, scored, kept);
}

function realThresholds(
  probe: Probe,
  values: Float32Array,
  labels: Int32Array,
  size: number,
  r: number,
  dim: number,
  classes: number,
  quantile: number,
): Float64Array {
  let byQuantile = thresholdCache.get(probe);
  if (!byQuantile) thresholdCache.set(probe, (byQuantile = new Map()));
  let thresholds = byQuantile.get(quantile);
  if (!thresholds) {
    const from = r * size;
    const own = labels.subarray(from, from + size);
    thresholds = classQuantiles(
      labelConfidence(probe, values.subarray(from * dim, (from + size) * dim), own, size),
      own,
      classes,
      quantile,
    );
    byQuantile.set(quantile, thresholds);
  }
  return thresholds;
}

/** Per class, the `quantile` of the scores of that class's samples (0 for a class with none). */
export function classQuantiles(scores: Float64Array, labels: Int32Array, classes: number, quantile: number): Float64Array {
  const thresholds = new Float64Array(classes);
  for (let c = 0; c < classes; c++) {
    const own = Array.from(scores.filter((_, i) => labels[i] === c)).sort((a, b) => a - b);
    thresholds[c] = own.length > 0 ? own[Math.min(own.length - 1, Math.floor(quantile * own.length))] : 0;
  }
  return thresholds;
}

/**
 * N candidates, uniformly at random among those scoring at least their class's threshold
 * (per class N/C when balanced); when too few pass, the best of the rest fill the slots.
 */
export function selectAboveThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  thresholds: Float64Array,
  n: number,
  balance: 'class' | 'none',
  rng: Rng,
): number[] {
  // Passing candidates get a random key in (1, 2], failing ones their score in [0, 1]: the top
  // N by key is a uniform sample of the passing ones, topped up by the best failing ones.
  const keys = Array.from(scores, (s, i) => (s >= thresholds[labels[i]] ? 1 + (1 - rng.uniform()) : s));
  return selectTop(keys, labels, thresholds.length, n, balance);
}

export default defineMethod({
  id: 'latent-threshold-filtering',
  title: 'Latent threshold filtering',
  kind: 'method',
  summary:
    'A variant of latent space filtering (not the paper’s rule): drops pool samples a probe on the generation-0 latents finds atypical of their class, keeps N of the rest at random.',
  papers: [
    {
      title: 'Stabilizing Self-Consuming Diffusion Models with Latent Space Filtering',
      authors: 'Cai, Wang, Liu, Zhang',
      year: 2026,
      url: 'https://arxiv.org/abs/2511.12742',
    },
  ],
  params: Params,
  // Candidates are every batch so far (the accumulated pool), as in latent-filtering.
  needs: { history: true },
  hooks: { filter },
});
