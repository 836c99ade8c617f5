/**
 * Linear regression refit on its own labels (Dohmatob, Feng & Kempe, NeurIPS 2024;
 * Gerstgrasser et al. 2024).
 *
 * Covariates x ~ N(0, Σ) in `dim` dimensions, labels y = xᵀw₀ + ε with ε ~ N(0, σ²).
 * Generation 0 fits (weighted) least squares, or ridge when the `fit` hook asks, to real
 * data. Each later generation is fit to labels produced by the previous generation's model,
 * y = xᵀŵ_{t−1} + ε₀, on new covariates (`design=fresh`, Dohmatob et al.) or on the same
 * design matrix every generation (`design=fixed`, Gerstgrasser et al.). Under `replace` every
 * refit adds an independent least-squares error, so the excess risk grows linearly in t.
 *
 * Two models per generation, as in Dohmatob et al.: the *generator* labels the next
 * generation's data, the *learner* is the model evaluated. With `labeller=ols` (the paper's
 * setting, the default) the generator is least squares on the pool and a `fit` hook's options
 * (ridge) shape the learner only, fit on the same pool; with `labeller=learner` the learner
 * itself labels the next generation (a self-consuming regularized chain). Without fit options
 * the two coincide and both regimes give the same numbers.
 *
 * This file holds the task's definition and its protocol (data, labels, fit, evaluation); the
 * pool's sufficient statistics are computed in moments.ts and the ridge / GCV solves in solvers.ts.
 */
import { z } from 'zod';
import { defineTask, type FitOptions, type GenerationalSimulation } from '../../harness/types.ts';
import type { Rng } from '../../harness/rng.ts';
import { MomentCache, testMoments } from './moments.ts';
import { fitRidge, type Penalty } from './solvers.ts';
import { regressionTheory } from './theory.ts';

const Params = z.object({
  dim: z.number().int().min(1).max(256).default(10).describe('covariate dimension d'),
  samples: z
    .number()
    .int()
    .min(2)
    .default(50)
    .describe(
      'samples per generation T (n_0 = T); below d, least squares takes the minimum-norm solution; the closed forms need T ≥ d + 2',
    ),
  samples_growth: z.number().min(0).max(4).default(0).describe('sample-size growth g: n_t = round(T·(t+1)^g)'),
  generations: z.number().int().min(1).max(10_000).default(20).describe('generations after generation 0'),
  replicates: z.number().int().min(2).max(1_000_000).default(1000).describe('independent chains per cell (vectorized)'),
  noise: z.number().min(0).default(1).describe('label-noise standard deviation σ of real data'),
  synthetic_noise_scale: z.number().min(0).default(1).describe('label noise of synthetic data as a multiple of noise: σ₀ = scale·σ'),
  design: z
    .enum(['fresh', 'fixed'])
    .default('fresh')
    .describe(
      'fresh: new covariates every batch (Dohmatob et al.); fixed: one design matrix per chain, reused by every generation (Gerstgrasser et al.)',
    ),
  spectrum: z
    .enum(['identity', 'power'])
    .default('identity')
    .describe('covariance Σ: identity, or diagonal with power-law eigenvalues λ_j = j^(−β)'),
  spectrum_decay: z.number().positive().max(10).default(1).describe('power-law exponent β of the spectrum (spectrum=power)'),
  test_samples: z.number().int().min(1).max(1_000_000).default(200).describe('held-out real test points per chain for test_mse'),
  labeller: z
    .enum(['ols', 'learner'])
    .default('ols')
    .describe(
      'which model labels the next generation: ols = least squares on the pool, fit options (ridge) shape only the evaluated learner (Dohmatob et al.); learner = the evaluated, possibly regularized, model (self-consuming)',
    ),
});
export type RegressionParams = z.infer<typeof Params>;

/**
 * One batch for all replicates: covariates X (R×n×d, row-major) and labels y (R×n). With
 * `design=fixed` the X of equal-sized batches is one shared array: never mutate it.
 */
export interface RegressionData {
  X: Float64Array;
  y: Float64Array;
}

/** Per-replicate fits: weights ŵ (R×d) and the ridge λ used (R; 0 for least squares). */
export interface RegressionModel {
  w: Float64Array;
  lambda: Float64Array;
}

/**
 * One generation's models: the evaluated learner and, when they differ (`labeller=ols` with
 * fit options), the least-squares generator that labels the next generation's data.
 */
export interface RegressionGeneration extends RegressionModel {
  generator?: Float64Array;
}

/** Fit options a `fit` hook may return (checked by the loop before the fit). */
const FitOptionsSchema = z.object({
  ridge: z
    .number()
    .min(0)
    .optional()
    .describe('ridge penalty λ ≥ 0 in the normalized objective (XᵀWX/Σw + λI)ŵ = XᵀWy/Σw; 0 = least squares'),
  ridge_gcv: z
    .number()
    .int()
    .min(0)
    .max(1)
    .optional()
    .describe('1 = choose λ per replicate by generalized cross-validation (excludes ridge)'),
});

/**
 * What the protocol fixes, for rules that set a constant from it (e.g. the Dobriban–Wager
 * optimal ridge σ²d/(n‖w₀‖²)): w₀ is a uniformly random direction of norm 1 in every cell.
 */
const KnownSchema = z.object({
  dim: z.number().describe('covariate dimension d'),
  noise_variance: z.number().describe('σ², label-noise variance of real data'),
  synthetic_noise_variance: z.number().describe('σ₀², label-noise variance added by a generator'),
  signal_norm2: z.number().describe('‖w₀‖² (= 1: w₀ is a random unit direction)'),
});

export default defineTask({
  id: 'regression',
  title: 'Linear regression on self-generated labels',
  summary:
    'Each generation fits least squares (or ridge) to labels produced by the previous generation’s model, ' +
    'on fresh Gaussian covariates or on one fixed design. Under replacement the excess risk grows linearly ' +
    'with the number of generations; accumulating the data keeps it bounded. Both are known in closed form.',
  papers: [
    {
      title: 'Model Collapse Demystified: The Case of Regression',
      authors: 'Dohmatob, Feng, Kempe',
      year: 2024,
      url: 'https://arxiv.org/abs/2402.07712',
    },
    {
      title: 'Is Model Collapse Inevitable? Breaking the Curse of Recursion by Accumulating Real and Synthetic Data',
      authors: 'Gerstgrasser et al.',
      year: 2024,
      url: 'https://arxiv.org/abs/2404.01413',
    },
  ],
  stepAxis: 'generation',
  params: Params,
  profiles: {
    quick: {},
    standard: { dim: 20, samples: 100, generations: 50, replicates: 400 },
    full: { dim: 40, samples: 100, spectrum: 'power', design: 'fixed', generations: 100, replicates: 500 },
  },
  metrics: [
    {
      name: 'excess_risk',
      description: 'excess test risk (ŵ − w₀)ᵀΣ(ŵ − w₀) over the Bayes error σ²',
      direction: 'lower',
      primary: true,
      // The risk of predicting 0 when Σ = I and ‖w₀‖ = 1, and the default noise variance σ².
      collapseThreshold: 1,
    },
    { name: 'test_mse', description: 'mean squared error on the chain’s held-out real test points', direction: 'lower' },
  ],
  budgetUnit: 'labelled rows (x, y)',
  hooks: ['pool', 'fit'],
  fitOptions: FitOptionsSchema,
  known: {
    schema: KnownSchema,
    values: (params) => {
      const p = Params.parse(params);
      const s0 = p.noise * p.synthetic_noise_scale;
      return KnownSchema.parse({ dim: p.dim, noise_variance: p.noise * p.noise, synthetic_noise_variance: s0 * s0, signal_norm2: 1 });
    },
  },
  theory: regressionTheory,
  simulation: (params, rng) => regression(Params.parse(params), rng),
});

// ---------------------------------------------------------------------------------------
// The simulation

function regression(p: RegressionParams, setup: Rng): GenerationalSimulation<RegressionData, RegressionGeneration> {
  const d = p.dim;
  const R = p.replicates;
  const sigma = p.noise;
  const sigma0 = p.noise * p.synthetic_noise_scale;
  // Σ is diagonal: x = diag(√λ) z with z standard normal.
  const eigen = Float64Array.from({ length: d }, (_, j) => (p.spectrum === 'power' ? (j + 1) ** -p.spectrum_decay : 1));
  const scale = p.spectrum === 'power' ? eigen.map(Math.sqrt) : undefined;
  // w₀: a uniformly random unit direction, one per cell (shared by its replicates).
  const w0 = setup.fork('truth').fillNormal(new Float64Array(d));
  const norm = Math.hypot(...w0);
  for (let j = 0; j < d; j++) w0[j] /= norm;
  const test = testMoments(R, d, p.test_samples, scale, sigma, setup.fork('test'));
  const design = p.design === 'fixed' ? fixedDesign(R, d, p.samples, scale, setup) : undefined;
  const moments = new MomentCache(R, d);

  const covariates = (n: number, rng: Rng) => design?.rows(n) ?? gaussianRows(R * n, d, scale, rng);

  return {
    replicates: R,
    generations: p.generations,
    sampleSize: (t) => Math.round(p.samples * (t + 1) ** p.samples_growth),
    real(n, rng, generation) {
      const X = covariates(n, rng);
      return { origin: 'real', generation, size: n, data: { X, y: labels(X, R, n, d, w0, 0, sigma, rng) } };
    },
    sample(model, n, rng, generation) {
      const X = covariates(n, rng);
      return { origin: 'synthetic', generation, size: n, data: { X, y: labels(X, R, n, d, model.generator ?? model.w, d, sigma0, rng) } };
    },
    fit(pool, options) {
      const m = moments.pool(pool);
      const penalty = parseFitOptions(options);
      const learner: RegressionGeneration = fitRidge(m, R, d, penalty);
      const leastSquares = penalty.kind === 'fixed' && penalty.lambda === 0;
      if (p.labeller === 'ols' && !leastSquares) learner.generator = fitRidge(m, R, d, { kind: 'fixed', lambda: 0 }).w;
      return learner;
    },
    evaluate(model) {
      const excess = new Float64Array(R);
      const testMse = new Float64Array(R);
      const e = new Float64Array(d);
      const m = p.test_samples;
      for (let r = 0; r < R; r++) {
        for (let j = 0; j < d; j++) e[j] = model.w[r * d + j] - w0[j];
        let risk = 0;
        for (let j = 0; j < d; j++) risk += eigen[j] * e[j] * e[j];
        excess[r] = risk;
        // Σᵢ(yᵢ − xᵢᵀŵ)² = Σᵢ(εᵢ − xᵢᵀe)² = eᵀ(XᵀX)e − 2eᵀXᵀε + εᵀε on the test points.
        const g = r * d * d;
        let quad = 0;
        for (let j = 0; j < d; j++) {
          let row = 0;
          for (let k = j + 1; k < d; k++) row += test.G[g + j * d + k] * e[k];
          quad += e[j] * (test.G[g + j * d + j] * e[j] + 2 * row);
        }
        let cross = 0;
        for (let j = 0; j < d; j++) cross += e[j] * test.b[r * d + j];
        testMse[r] = Math.max(0, (quad - 2 * cross + test.yy[r]) / m);
      }
      return { excess_risk: excess, test_mse: testMse };
    },
  };
}

/** `count` rows of N(0, Σ) covariates: standard normals scaled per column by √λ_j. */
function gaussianRows(count: number, d: number, scale: Float64Array | undefined, rng: Rng): Float64Array {
  const X = rng.fillNormal(new Float64Array(count * d));
  if (scale) for (let i = 0; i < X.length; i += d) for (let j = 0; j < d; j++) X[i + j] *= scale[j];
  return X;
}

/**
 * y = Xw + σε per replicate: `w` holds one weight vector per replicate (stride d) or one
 * shared vector (stride 0). Noise is drawn first, into y, then the signal added.
 */
function labels(X: Float64Array, R: number, n: number, d: number, w: Float64Array, stride: number, sd: number, rng: Rng): Float64Array {
  const y = rng.fillNormal(new Float64Array(R * n), 0, sd);
  for (let r = 0; r < R; r++) {
    const o = r * stride;
    const end = r * n + n;
    let i = r * n;
    // Four rows at a time share each load of w (≈2× faster than row by row at d = 10).
    for (; i + 4 <= end; i += 4) {
      const a = i * d;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let j = 0; j < d; j++) {
        const wj = w[o + j];
        s0 += X[a + j] * wj;
        s1 += X[a + d + j] * wj;
        s2 += X[a + 2 * d + j] * wj;
        s3 += X[a + 3 * d + j] * wj;
      }
      y[i] += s0;
      y[i + 1] += s1;
      y[i + 2] += s2;
      y[i + 3] += s3;
    }
    for (; i < end; i++) {
      let s0 = 0;
      for (let j = 0; j < d; j++) s0 += X[i * d + j] * w[o + j];
      y[i] += s0;
    }
  }
  return y;
}

/**
 * The fixed design of each chain: an unbounded sequence of rows, drawn in blocks of T rows
 * (block k from the setup stream's fork `design-k`), so that a batch of n rows is always the
 * chain's first n rows whatever order sizes are asked in. Arrays are memoized per size, so
 * equal-sized batches share X (and its Gram matrix, see MomentCache in moments.ts).
 */
function fixedDesign(R: number, d: number, T: number, scale: Float64Array | undefined, setup: Rng) {
  const blocks: Float64Array[] = [];
  const bySize = new Map<number, Float64Array>();
  const block = (k: number) => (blocks[k] ??= gaussianRows(R * T, d, scale, setup.fork(`design-${k}`)));
  return {
    rows(n: number): Float64Array {
      if (n === T) return block(0);
      let X = bySize.get(n);
      if (X) return X;
      X = new Float64Array(R * n * d);
      for (let k = 0; k * T < n; k++) block(k);
      for (let r = 0; r < R; r++) {
        for (let i = 0; i < n; i++) {
          const from = (r * T + (i % T)) * d;
          X.set(blocks[Math.floor(i / T)].subarray(from, from + d), (r * n + i) * d);
        }
      }
      bySize.set(n, X);
      return X;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Fit options

const FIT_OPTIONS = Object.keys(FitOptionsSchema.shape);

/** Checks a `fit` hook's options against FitOptionsSchema; returns the penalty fitRidge (solvers.ts) applies. */
export function parseFitOptions(options: FitOptions): Penalty {
  for (const name of Object.keys(options)) {
    if (!FIT_OPTIONS.includes(name)) throw new Error(`unknown fit option ${name} (task regression knows ${FIT_OPTIONS.join(', ')})`);
  }
  const { ridge, ridge_gcv: gcv } = options;
  if (ridge !== undefined && !(ridge >= 0 && Number.isFinite(ridge)))
    throw new Error(`fit option ridge must be a finite number >= 0, got ${ridge}`);
  if (gcv !== undefined && gcv !== 0 && gcv !== 1) throw new Error(`fit option ridge_gcv must be 0 or 1, got ${gcv}`);
  if (gcv === 1) {
    if (ridge !== undefined && ridge !== 0)
      throw new Error(`fit options ridge and ridge_gcv exclude each other: got ridge ${ridge} with ridge_gcv 1`);
    return { kind: 'gcv' };
  }
  return { kind: 'fixed', lambda: ridge ?? 0 };
}
