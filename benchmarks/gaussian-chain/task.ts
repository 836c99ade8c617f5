/**
 * Gaussian refitting chain (Shumailov et al., Nature 2024; Xu, He & Cheng 2025).
 *
 * Real data ~ N(0, Σ) in `dim` dimensions, Σ = σ²[(1−ρ)I + ρ11ᵀ]. Generation t fits a mean
 * and covariance to its pool (weighted; `mle` or `unbiased`) and the next generation samples
 * from that fit. Without fresh data the variance drifts to zero and the mean random-walks.
 */
import { z } from 'zod';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { defineTask, type Batch, type GenerationalSimulation, type Pool, type PoolPart } from '../../harness/types.ts';
import type { Rng } from '../../harness/rng.ts';
import { partWeights, subsetPicks } from '../../harness/pool.ts';
import { gaussianTheory } from './theory.ts';

const Params = z.object({
  dim: z.number().int().min(1).max(64).default(1).describe('dimension d of the data'),
  samples: z.number().int().min(2).default(20).describe('samples per generation M (n_0 = M)'),
  samples_growth: z.number().min(0).max(4).default(0).describe('sample-size growth g: n_t = round(M·(t+1)^g)'),
  estimator: z.enum(['mle', 'unbiased']).default('unbiased').describe('covariance estimator: divide by Σw (mle) or Σw − Σw²/Σw (unbiased)'),
  generations: z.number().int().min(1).max(10_000).default(20).describe('generations after generation 0'),
  replicates: z.number().int().min(2).max(1_000_000).default(2000).describe('independent chains per cell (vectorized)'),
  variance: z.number().positive().default(1).describe('true per-coordinate variance σ²'),
  rho: z.number().min(0).lt(1).default(0).describe('true equicorrelation ρ between coordinates'),
  known_variance: z
    .boolean()
    .default(false)
    .describe('fit only the mean; the covariance stays at the truth (the known-variance setting of Amin et al.)'),
});
export type GaussianChainParams = z.infer<typeof Params>;

/**
 * Per-replicate fitted Gaussians, row-major: means R×d and covariances R×d×d. This is what an
 * `estimate` hook receives and returns (sampling derives its square-root factors afresh).
 */
export interface GaussianModel {
  mean: Float64Array;
  cov: Float64Array;
}

export default defineTask({
  id: 'gaussian-chain',
  title: 'Gaussian refitting chain',
  summary:
    'Each generation fits a Gaussian (mean and covariance) to samples of the previous generation’s fit. ' +
    'Without fresh data the fitted variance collapses towards zero and the mean drifts; the expected ' +
    'curves are known in closed form.',
  papers: [
    {
      title: 'AI models collapse when trained on recursively generated data',
      authors: 'Shumailov, Shumaylov, Zhao, Papernot, Anderson, Gal',
      year: 2024,
      url: 'https://doi.org/10.1038/s41586-024-07566-y',
    },
    { title: 'Probabilistic analysis of model collapse with increasing sample size', authors: 'Xu, He, Cheng', year: 2025 },
  ],
  stepAxis: 'generation',
  modelFamily: 'gaussian',
  params: Params,
  profiles: {
    quick: {},
    standard: { generations: 50, replicates: 10_000 },
    full: { generations: 100, replicates: 5_000, dim: 4, rho: 0.5 },
  },
  metrics: [
    {
      name: 'w2',
      description: 'squared 2-Wasserstein distance between the fit and the true Gaussian',
      direction: 'lower',
      primary: true,
      collapseThreshold: 0.5,
    },
    { name: 'var_ratio', description: 'tr Σ̂ / tr Σ: fitted over true total variance', direction: 'target', target: 1 },
    { name: 'log_var_ratio', description: 'log(tr Σ̂ / tr Σ)', direction: 'target', target: 0 },
    { name: 'mean_sq_err', description: '‖μ̂ − μ‖²', direction: 'lower' },
  ],
  budgetUnit: 'samples (d-dimensional vectors)',
  hooks: ['pool', 'fit', 'estimate'],
  fitOptions: z.object({
    shrinkage: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('s ∈ [0, 1]: the fitted covariance becomes (1−s)Σ̂ + s·Σ̂₀, pulled towards the generation-0 fit on real data'),
  }),
  theory: gaussianTheory,
  simulation: (params) => gaussianChain(Params.parse(params)),
});

/** Chains whose fitted densities a picture shows (GenerationalSimulation.snapshot). */
const SNAPSHOT_CHAINS = 12;

function gaussianChain(p: GaussianChainParams): GenerationalSimulation<Float64Array, GaussianModel> {
  const d = p.dim;
  const R = p.replicates;
  const trueCov = equicorrelated(d, p.variance, p.rho);
  const trueFactor = psdSqrt(trueCov, d);
  const trueTrace = d * p.variance;
  let anchor: GaussianModel | undefined; // the generation-0 fit, target of `shrinkage`
  const stats = new PartStatsCache(R, d);

  return {
    replicates: R,
    generations: p.generations,
    // Subsets and draws are realized here: a subset costs its picked samples, not the pool's.
    compactPools: true,
    sampleSize: (t) => Math.round(p.samples * (t + 1) ** p.samples_growth),
    real(n, rng, generation) {
      // Real data: the same affine map of normals as sampling, with the true parameters.
      const data = drawGaussian(R, n, d, rng, trueFactor, 0);
      return { origin: 'real', generation, size: n, data };
    },
    sample(model, n, rng, generation) {
      const data = drawGaussian(R, n, d, rng, sqrtFactors(model.cov, R, d), d * d, model.mean);
      return { origin: 'synthetic', generation, size: n, data };
    },
    fit(pool, options) {
      const model = fitGaussian(pool, stats, R, d, p.estimator);
      if (p.known_variance) for (let r = 0; r < R; r++) model.cov.set(trueCov, r * d * d);
      // Fit option `shrinkage` s ∈ [0, 1]: Σ̂ ← (1−s)Σ̂ + s·Σ̂₀, towards the generation-0 fit.
      const s = options.shrinkage ?? 0;
      if (!(s >= 0 && s <= 1)) throw new Error(`fit option shrinkage must be in [0, 1], got ${s}`);
      if (anchor === undefined) anchor = model;
      else if (s > 0) for (let i = 0; i < model.cov.length; i++) model.cov[i] = (1 - s) * model.cov[i] + s * anchor.cov[i];
      return model;
    },
    snapshot(model) {
      // The fitted density of coordinate 0 in the first few chains (the truth when model is undefined); no draws.
      if (!model) return { kind: 'gaussian', mean: [0], variance: [p.variance] };
      const chains = Math.min(R, SNAPSHOT_CHAINS);
      const mean = Array.from({ length: chains }, (_, r) => model.mean[r * d]);
      const variance = Array.from({ length: chains }, (_, r) => model.cov[r * d * d]);
      return { kind: 'gaussian', mean, variance };
    },
    evaluate(model) {
      const w2 = new Float64Array(R);
      const varRatio = new Float64Array(R);
      const logVarRatio = new Float64Array(R);
      const meanSqErr = new Float64Array(R);
      for (let r = 0; r < R; r++) {
        let mse = 0;
        let trace = 0;
        for (let k = 0; k < d; k++) {
          const m = model.mean[r * d + k];
          mse += m * m;
          trace += model.cov[r * d * d + k * d + k];
        }
        meanSqErr[r] = mse;
        varRatio[r] = trace / trueTrace;
        logVarRatio[r] = Math.log(trace / trueTrace);
        w2[r] = mse + bures(model.cov, r, trueCov, trueFactor, d);
      }
      return { w2, var_ratio: varRatio, log_var_ratio: logVarRatio, mean_sq_err: meanSqErr };
    },
  };
}

/** σ²[(1−ρ)I + ρ11ᵀ], row-major d×d. */
function equicorrelated(d: number, variance: number, rho: number): Float64Array {
  const cov = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i * d + j] = variance * (i === j ? 1 : rho);
  return cov;
}

/**
 * Draws R×n×d samples x = μ_r + F_r z, z standard normal. `factorStride` is d×d for
 * per-replicate factors and 0 for one shared factor (the truth); `means` omitted is μ = 0.
 */
function drawGaussian(
  R: number,
  n: number,
  d: number,
  rng: Rng,
  factors: Float64Array,
  factorStride: number,
  means?: Float64Array,
): Float64Array {
  const out = new Float64Array(R * n * d);
  rng.fillNormal(out);
  if (d === 1) {
    // Fast path: x = μ + σ z in place.
    for (let r = 0; r < R; r++) {
      const sd = factors[r * factorStride];
      const mu = means ? means[r] : 0;
      for (let i = r * n, end = i + n; i < end; i++) out[i] = mu + sd * out[i];
    }
    return out;
  }
  const z = new Float64Array(d);
  for (let r = 0; r < R; r++) {
    const f = r * factorStride;
    for (let i = 0; i < n; i++) {
      const at = (r * n + i) * d;
      for (let k = 0; k < d; k++) z[k] = out[at + k];
      for (let k = 0; k < d; k++) {
        let x = means ? means[r * d + k] : 0;
        for (let j = 0; j < d; j++) x += factors[f + k * d + j] * z[j];
        out[at + k] = x;
      }
    }
  }
  return out;
}

/** One pool part's weighted statistics per replicate: Σw, Σw², its weighted mean and its scatter about that mean (lower triangle). */
interface PartStats {
  w: Float64Array;
  w2: Float64Array;
  mean: Float64Array;
  scatter: Float64Array;
}

/**
 * The per-part statistics of a chain's pools, computed once per part. A batch never changes, and
 * a part's weights, once a pool hook has returned them, are the harness's own and never change
 * either (harness/guard.ts), so a part is identified by its batch (unweighted) or its weights. An
 * accumulating pool then costs its new parts' samples plus O(parts) per fit, not a rescan of every
 * sample drawn so far.
 */
class PartStatsCache {
  private readonly unweighted = new WeakMap<Batch<Float64Array>, PartStats>();
  private readonly weighted = new WeakMap<Float64Array, { batch: Batch<Float64Array>; stats: PartStats }>();
  private readonly drawn = new WeakMap<PoolPart<Float64Array>, PartStats>();

  constructor(
    private readonly R: number,
    private readonly d: number,
  ) {}

  get(part: PoolPart<Float64Array>): PartStats {
    const { batch, weights } = part;
    if (part.draw) {
      // A draw's weights are realized once, when the part is first fit; the part never changes.
      let stats = this.drawn.get(part);
      if (!stats) this.drawn.set(part, (stats = partStats(batch, partWeights(part, this.R), this.R, this.d)));
      return stats;
    }
    if (!weights) {
      let stats = this.unweighted.get(batch);
      if (!stats) this.unweighted.set(batch, (stats = partStats(batch, undefined, this.R, this.d)));
      return stats;
    }
    const known = this.weighted.get(weights);
    if (known && known.batch === batch) return known.stats;
    const stats = partStats(batch, weights, this.R, this.d);
    this.weighted.set(weights, { batch, stats });
    return stats;
  }
}

/** The statistics of a pool's subset (harness/pool.ts subsetPicks): per replicate, only its picked samples, two passes as in partStats. */
function subsetStats(pool: Pool<Float64Array>, R: number, d: number): PartStats {
  const out: PartStats = {
    w: new Float64Array(R),
    w2: new Float64Array(R),
    mean: new Float64Array(R * d),
    scatter: new Float64Array(R * d * d),
  };
  const batches = pool.parts.map((part) => part.batch);
  const { mean, scatter } = out;
  subsetPicks(pool, R, (r, part, index, count) => {
    const m = r * d;
    for (let i = 0; i < count; i++) {
      const b = batches[part[i]];
      const at = (r * b.size + index[i]) * d;
      for (let k = 0; k < d; k++) mean[m + k] += b.data[at + k];
    }
    for (let k = 0; k < d; k++) mean[m + k] /= count;
    const c = r * d * d;
    for (let i = 0; i < count; i++) {
      const b = batches[part[i]];
      const at = (r * b.size + index[i]) * d;
      for (let k = 0; k < d; k++) {
        const dk = b.data[at + k] - mean[m + k];
        for (let j = 0; j <= k; j++) scatter[c + k * d + j] += dk * (b.data[at + j] - mean[m + j]);
      }
    }
    out.w[r] = count;
    out.w2[r] = count;
  });
  return out;
}

/** A part's statistics, two passes per replicate (mean, then centred scatter) for accuracy; d = 1 gets its own tight loops, the hot path of long chains. */
function partStats(batch: Batch<Float64Array>, weights: Float64Array | undefined, R: number, d: number): PartStats {
  const n = batch.size;
  const x = batch.data;
  const out: PartStats = {
    w: new Float64Array(R),
    w2: new Float64Array(R),
    mean: new Float64Array(R * d),
    scatter: new Float64Array(R * d * d),
  };
  for (let r = 0; r < R; r++) {
    const base = r * n;
    if (d === 1) {
      let sw = 0;
      let sww = 0;
      let swx = 0;
      if (weights === undefined) {
        for (let i = base, end = base + n; i < end; i++) swx += x[i];
        sw = n;
        sww = n;
      } else {
        for (let i = base, end = base + n; i < end; i++) {
          const w = weights[i];
          sw += w;
          sww += w * w;
          swx += w * x[i];
        }
      }
      const m = sw > 0 ? swx / sw : 0;
      let ss = 0;
      if (weights === undefined) for (let i = base, end = base + n; i < end; i++) ss += (x[i] - m) * (x[i] - m);
      else for (let i = base, end = base + n; i < end; i++) ss += weights[i] * (x[i] - m) * (x[i] - m);
      out.w[r] = sw;
      out.w2[r] = sww;
      out.mean[r] = m;
      out.scatter[r] = ss;
      continue;
    }
    const mean = out.mean.subarray(r * d, (r + 1) * d);
    let sw = 0;
    for (let i = 0; i < n; i++) {
      const w = weights ? weights[base + i] : 1;
      if (w === 0) continue;
      sw += w;
      out.w2[r] += w * w;
      const at = (base + i) * d;
      for (let k = 0; k < d; k++) mean[k] += w * x[at + k];
    }
    out.w[r] = sw;
    for (let k = 0; k < d; k++) mean[k] = sw > 0 ? mean[k] / sw : 0;
    const c = r * d * d;
    for (let i = 0; i < n; i++) {
      const w = weights ? weights[base + i] : 1;
      if (w === 0) continue;
      const at = (base + i) * d;
      for (let k = 0; k < d; k++) {
        const dk = x[at + k] - mean[k];
        for (let j = 0; j <= k; j++) out.scatter[c + k * d + j] += w * dk * (x[at + j] - mean[j]);
      }
    }
  }
  return out;
}

/**
 * Weighted mean and covariance per replicate, from the parts' statistics combined exactly
 * (Chan, Golub & LeVeque's pairwise update: scatter = Σ_p [S_p + W_p (m_p − m)(m_p − m)ᵀ]).
 * Unbiased uses reliability weights, Σw(x−μ)(x−μ)ᵀ / (V₁ − V₂/V₁) with V₁ = Σw, V₂ = Σw²; for
 * unit weights that is n − 1.
 */
function fitGaussian(pool: Pool<Float64Array>, cache: PartStatsCache, R: number, d: number, estimator: 'mle' | 'unbiased'): GaussianModel {
  const parts = pool.subset ? [subsetStats(pool, R, d)] : pool.parts.map((part) => cache.get(part));
  const mean = new Float64Array(R * d);
  const cov = new Float64Array(R * d * d);
  const v1 = new Float64Array(R);
  const v2 = new Float64Array(R);
  // Part by part, each over every replicate: a long history's parts are read front to back, not
  // all of them once per replicate; each replicate still adds its parts in pool order.
  for (const s of parts) {
    for (let r = 0; r < R; r++) {
      v1[r] += s.w[r];
      v2[r] += s.w2[r];
      for (let k = 0; k < d; k++) mean[r * d + k] += s.w[r] * s.mean[r * d + k];
    }
  }
  for (let r = 0; r < R; r++) for (let k = 0; k < d; k++) mean[r * d + k] /= v1[r];
  for (const s of parts) {
    for (let r = 0; r < R; r++) {
      if (s.w[r] === 0) continue;
      const c = r * d * d;
      for (let k = 0; k < d; k++) {
        const dk = s.mean[r * d + k] - mean[r * d + k];
        for (let j = 0; j <= k; j++) cov[c + k * d + j] += s.scatter[c + k * d + j] + s.w[r] * dk * (s.mean[r * d + j] - mean[r * d + j]);
      }
    }
  }
  for (let r = 0; r < R; r++) {
    const c = r * d * d;
    const denom = estimator === 'mle' ? v1[r] : v1[r] - v2[r] / v1[r];
    for (let k = 0; k < d; k++) {
      for (let j = 0; j <= k; j++) {
        const v = cov[c + k * d + j] / denom;
        cov[c + k * d + j] = v;
        cov[c + j * d + k] = v;
      }
    }
  }
  return { mean, cov };
}

/** PSD square roots of each replicate's covariance (standard deviations when d = 1). */
function sqrtFactors(cov: Float64Array, R: number, d: number): Float64Array {
  const factors = new Float64Array(R * d * d);
  for (let r = 0; r < R; r++) {
    const c = r * d * d;
    if (d === 1) factors[r] = Math.sqrt(Math.max(cov[r], 0));
    else factors.set(psdSqrt(cov.subarray(c, c + d * d), d), c);
  }
  return factors;
}

/** Symmetric PSD square root via eigendecomposition (negative round-off eigenvalues clipped to 0). */
function psdSqrt(cov: Float64Array, d: number): Float64Array {
  const { V, values } = eigenSym(cov, d);
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += V.get(i, k) * Math.sqrt(Math.max(values[k], 0)) * V.get(j, k);
      out[i * d + j] = s;
    }
  }
  return out;
}

function eigenSym(a: ArrayLike<number>, d: number): { V: Matrix; values: number[] } {
  const m = new Matrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m.set(i, j, a[i * d + j]);
  const eig = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  return { V: eig.eigenvectorMatrix, values: eig.realEigenvalues };
}

/**
 * Squared Bures distance tr Σ̂ + tr Σ − 2 tr (Σ^{1/2} Σ̂ Σ^{1/2})^{1/2}, the covariance part
 * of W₂² between Gaussians; for d = 1 it is (σ̂ − σ)².
 */
function bures(covs: Float64Array, r: number, trueCov: Float64Array, trueFactor: Float64Array, d: number): number {
  if (d === 1) {
    const diff = Math.sqrt(covs[r]) - trueFactor[0];
    return diff * diff;
  }
  const c = r * d * d;
  let trSum = 0;
  for (let k = 0; k < d; k++) trSum += covs[c + k * d + k] + trueCov[k * d + k];
  // C = S Σ̂ S with S = Σ^{1/2} (symmetric), whose eigenvalues are those of Σ̂Σ.
  const tmp = new Float64Array(d * d);
  const inner = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += covs[c + i * d + k] * trueFactor[k * d + j];
      tmp[i * d + j] = s;
    }
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += trueFactor[i * d + k] * tmp[k * d + j];
      inner[i * d + j] = s;
    }
  let rootTrace = 0;
  for (const v of eigenSym(inner, d).values) rootTrace += Math.sqrt(Math.max(v, 0));
  return Math.max(trSum - 2 * rootTrace, 0);
}
