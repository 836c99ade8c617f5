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
 */
import { z } from 'zod';
import { defineTask, type FitOptions, type GenerationalSimulation, type Pool, type PoolPart } from '../../harness/types.ts';
import type { Rng } from '../../harness/rng.ts';
import { regressionTheory } from './theory.ts';

const Params = z.object({
  dim: z.number().int().min(1).max(256).default(10).describe('covariate dimension d'),
  samples: z.number().int().min(2).default(50).describe('samples per generation T (n_0 = T); below d, least squares takes the minimum-norm solution; the closed forms need T ≥ d + 2'),
  samples_growth: z.number().min(0).max(4).default(0).describe('sample-size growth g: n_t = round(T·(t+1)^g)'),
  generations: z.number().int().min(1).max(10_000).default(20).describe('generations after generation 0'),
  replicates: z.number().int().min(2).max(1_000_000).default(1000).describe('independent chains per cell (vectorized)'),
  noise: z.number().min(0).default(1).describe('label-noise standard deviation σ of real data'),
  synthetic_noise_scale: z.number().min(0).default(1).describe('label noise of synthetic data as a multiple of noise: σ₀ = scale·σ'),
  design: z.enum(['fresh', 'fixed']).default('fresh').describe('fresh: new covariates every batch (Dohmatob et al.); fixed: one design matrix per chain, reused by every generation (Gerstgrasser et al.)'),
  spectrum: z.enum(['identity', 'power']).default('identity').describe('covariance Σ: identity, or diagonal with power-law eigenvalues λ_j = j^(−β)'),
  spectrum_decay: z.number().positive().max(10).default(1).describe('power-law exponent β of the spectrum (spectrum=power)'),
  test_samples: z.number().int().min(1).max(1_000_000).default(200).describe('held-out real test points per chain for test_mse'),
  labeller: z
    .enum(['ols', 'learner'])
    .default('ols')
    .describe('which model labels the next generation: ols = least squares on the pool, fit options (ridge) shape only the evaluated learner (Dohmatob et al.); learner = the evaluated, possibly regularized, model (self-consuming)'),
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
  ridge: z.number().min(0).optional().describe('ridge penalty λ ≥ 0 in the normalized objective (XᵀWX/Σw + λI)ŵ = XᵀWy/Σw; 0 = least squares'),
  ridge_gcv: z.number().int().min(0).max(1).optional().describe('1 = choose λ per replicate by generalized cross-validation (excludes ridge)'),
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
    { title: 'Model Collapse Demystified: The Case of Regression', authors: 'Dohmatob, Feng, Kempe', year: 2024, url: 'https://arxiv.org/abs/2402.07712' },
    { title: 'Is Model Collapse Inevitable? Breaking the Curse of Recursion by Accumulating Real and Synthetic Data', authors: 'Gerstgrasser et al.', year: 2024, url: 'https://arxiv.org/abs/2404.01413' },
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
  const eigen = Float64Array.from({ length: d }, (_, j) => (p.spectrum === 'power' ? Math.pow(j + 1, -p.spectrum_decay) : 1));
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
    sampleSize: (t) => Math.round(p.samples * Math.pow(t + 1, p.samples_growth)),
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
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
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
 * equal-sized batches share X (and its Gram matrix, see MomentCache).
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
// Weighted moments of the pool: the sufficient statistics of (weighted) least squares.

/** Per replicate: S = Σw, G = XᵀWX (R×d×d, upper triangle only), b = XᵀWy (R×d), yy = yᵀWy. */
interface Moments {
  S: Float64Array;
  G: Float64Array;
  b: Float64Array;
  yy: Float64Array;
}

/**
 * Sums moments over a pool's parts, caching what later generations reuse, so an accumulating
 * pool costs one pass over each new batch rather than over all of history:
 * - an unweighted part: XᵀY and yᵀy per batch, and Gram matrices per X array (a fixed design
 *   shares one X between all batches of a size), each X's added once, times its count;
 * - a weighted part: added directly the first time its weights array is seen; from its second
 *   appearance on (methods carry earlier parts forward with the same arrays) its moments are
 *   cached, and reused while the weights equal the copy taken then (see addWeighted).
 */
class MomentCache {
  private readonly gram = new WeakMap<Float64Array, Float64Array>();
  private readonly cross = new WeakMap<RegressionData, { b: Float64Array; yy: Float64Array }>();
  private readonly seen = new WeakSet<Float64Array>();
  private readonly parts = new WeakMap<Float64Array, { data: RegressionData; weights: Float64Array; moments: Moments }>();
  private scratchX = new Float64Array(0);
  private scratchY = new Float64Array(0);

  constructor(
    private readonly R: number,
    private readonly d: number,
  ) {}

  /** The pool's moments; those of a single unweighted part are the cached arrays themselves (read-only). */
  pool(pool: Pool<RegressionData>): Moments {
    if (pool.parts.length === 1 && pool.parts[0].weights === undefined) {
      const { batch } = pool.parts[0];
      const cross = this.crossOf(batch.data, batch.size);
      return { S: new Float64Array(this.R).fill(batch.size), G: this.gramOf(batch.data.X, batch.size), b: cross.b, yy: cross.yy };
    }
    const out = this.zeros();
    const counts = new Map<Float64Array, { n: number; count: number }>();
    const fresh: PoolPart<RegressionData>[] = [];
    for (const { batch, weights } of pool.parts) {
      const n = batch.size;
      if (weights) {
        const cached = this.parts.get(weights);
        if (cached && cached.data === batch.data && equal(cached.weights, weights)) {
          addMoments(out, cached.moments);
        } else if (this.seen.has(weights)) {
          const moments = this.zeros();
          this.addWeighted([{ batch, weights }], moments);
          this.parts.set(weights, { data: batch.data, weights: weights.slice(), moments });
          addMoments(out, moments);
        } else {
          this.seen.add(weights);
          fresh.push({ batch, weights });
        }
        continue;
      }
      const cross = this.crossOf(batch.data, n);
      addInto(out.b, cross.b);
      addInto(out.yy, cross.yy);
      for (let r = 0; r < this.R; r++) out.S[r] += n;
      const entry = counts.get(batch.data.X);
      if (entry) entry.count++;
      else counts.set(batch.data.X, { n, count: 1 });
    }
    for (const [X, { n, count }] of counts) {
      const gram = this.gramOf(X, n);
      if (count === 1) addInto(out.G, gram);
      else for (let k = 0; k < gram.length; k++) out.G[k] += count * gram[k];
    }
    if (fresh.length > 0) this.addWeighted(fresh, out);
    return out;
  }

  private zeros(): Moments {
    const { R, d } = this;
    return { S: new Float64Array(R), G: new Float64Array(R * d * d), b: new Float64Array(R * d), yy: new Float64Array(R) };
  }

  /**
   * Adds weighted parts' moments into `m`, replicate by replicate: the rows of all parts that
   * are not constant within the replicate are gathered first, so the Gram kernel runs once per
   * replicate on all of them (a subsampled pool spreads few rows over many parts).
   */
  private addWeighted(parts: PoolPart<RegressionData>[], m: Moments): void {
    const { R, d } = this;
    const dd = d * d;
    const rows = parts.reduce((sum, p) => sum + p.batch.size, 0);
    if (this.scratchY.length < rows) {
      this.scratchX = new Float64Array(rows * d);
      this.scratchY = new Float64Array(rows);
    }
    const sx = this.scratchX;
    const sy = this.scratchY;
    for (let r = 0; r < R; r++) {
      let count = 0;
      for (const { batch, weights } of parts) {
        const n = batch.size;
        const w = weights!;
        const { X, y } = batch.data;
        const first = w[r * n];
        let constant = true;
        for (let i = r * n + 1, end = r * n + n; i < end && constant; i++) constant = w[i] === first;
        if (constant) {
          if (first === 0) continue;
          const gram = this.gramOf(X, n);
          const cross = this.crossOf(batch.data, n);
          for (let k = r * dd; k < r * dd + dd; k++) m.G[k] += first * gram[k];
          for (let j = r * d; j < r * d + d; j++) m.b[j] += first * cross.b[j];
          m.yy[r] += first * cross.yy[r];
          m.S[r] += first * n;
          continue;
        }
        for (let i = r * n, end = i + n; i < end; i++) {
          const wi = w[i];
          if (wi === 0) continue;
          m.S[r] += wi;
          const root = Math.sqrt(wi);
          for (let j = 0; j < d; j++) sx[count * d + j] = root * X[i * d + j];
          sy[count] = root * y[i];
          count++;
        }
      }
      if (count === 0) continue;
      gramInto(sx, 0, count, d, m.G, r * dd);
      for (let i = 0; i < count; i++) {
        const yi = sy[i];
        m.yy[r] += yi * yi;
        for (let j = 0; j < d; j++) m.b[r * d + j] += yi * sx[i * d + j];
      }
    }
  }

  /** Per-replicate Gram matrices of X (n rows per replicate), computed once per array. */
  private gramOf(X: Float64Array, n: number): Float64Array {
    let G = this.gram.get(X);
    if (!G) {
      const { R, d } = this;
      G = new Float64Array(R * d * d);
      for (let r = 0; r < R; r++) gramInto(X, r * n, n, d, G, r * d * d);
      this.gram.set(X, G);
    }
    return G;
  }

  /** Per-replicate XᵀY and yᵀy of a batch, computed once. */
  private crossOf(data: RegressionData, n: number): { b: Float64Array; yy: Float64Array } {
    let cross = this.cross.get(data);
    if (!cross) this.cross.set(data, (cross = crossMoments(data.X, data.y, n, this.R, this.d)));
    return cross;
  }
}

function addInto(target: Float64Array, source: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] += source[i];
}

function addMoments(target: Moments, source: Moments): void {
  addInto(target.S, source.S);
  addInto(target.G, source.G);
  addInto(target.b, source.b);
  addInto(target.yy, source.yy);
}

function equal(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Adds the upper triangle of Σᵢ xᵢxᵢᵀ over rows start … start+n−1 of X into G at offset g.
 * Register-blocked over four rows × three rows of G: each G entry is loaded and stored once
 * per four samples and each x_k load feeds three rows of G, which is where the time goes
 * (≈0.4–0.6 ns per multiply-add here against ≈1.5–2 ns for the plain row-by-row loop;
 * measured at d = 10, 20, 50).
 */
function gramInto(X: Float64Array, start: number, n: number, d: number, G: Float64Array, g: number): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a0 = (start + i) * d;
    const a1 = a0 + d;
    const a2 = a1 + d;
    const a3 = a2 + d;
    let j = 0;
    for (; j + 3 <= d; j += 3) {
      const u0 = X[a0 + j], u1 = X[a1 + j], u2 = X[a2 + j], u3 = X[a3 + j];
      const v0 = X[a0 + j + 1], v1 = X[a1 + j + 1], v2 = X[a2 + j + 1], v3 = X[a3 + j + 1];
      const w0 = X[a0 + j + 2], w1 = X[a1 + j + 2], w2 = X[a2 + j + 2], w3 = X[a3 + j + 2];
      const ru = g + j * d;
      const rv = ru + d;
      const rw = rv + d;
      G[ru + j] += u0 * u0 + u1 * u1 + u2 * u2 + u3 * u3;
      G[ru + j + 1] += u0 * v0 + u1 * v1 + u2 * v2 + u3 * v3;
      G[rv + j + 1] += v0 * v0 + v1 * v1 + v2 * v2 + v3 * v3;
      for (let k = j + 2; k < d; k++) {
        const p0 = X[a0 + k], p1 = X[a1 + k], p2 = X[a2 + k], p3 = X[a3 + k];
        G[ru + k] += u0 * p0 + u1 * p1 + u2 * p2 + u3 * p3;
        G[rv + k] += v0 * p0 + v1 * p1 + v2 * p2 + v3 * p3;
        G[rw + k] += w0 * p0 + w1 * p1 + w2 * p2 + w3 * p3;
      }
    }
    for (; j < d; j++) {
      const u0 = X[a0 + j], u1 = X[a1 + j], u2 = X[a2 + j], u3 = X[a3 + j];
      const ru = g + j * d;
      for (let k = j; k < d; k++) G[ru + k] += u0 * X[a0 + k] + u1 * X[a1 + k] + u2 * X[a2 + k] + u3 * X[a3 + k];
    }
  }
  for (; i < n; i++) {
    const a = (start + i) * d;
    for (let j = 0; j < d; j++) {
      const xj = X[a + j];
      const row = g + j * d;
      for (let k = j; k < d; k++) G[row + k] += xj * X[a + k];
    }
  }
}

function crossMoments(X: Float64Array, y: Float64Array, n: number, R: number, d: number): { b: Float64Array; yy: Float64Array } {
  const b = new Float64Array(R * d);
  const yy = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    const end = r * n + n;
    const o = r * d;
    let ss = 0;
    let i = r * n;
    // Four rows per pass: one load and store of b_j per four multiply-adds.
    for (; i + 4 <= end; i += 4) {
      const y0 = y[i], y1 = y[i + 1], y2 = y[i + 2], y3 = y[i + 3];
      ss += y0 * y0 + y1 * y1 + y2 * y2 + y3 * y3;
      const a = i * d;
      for (let j = 0; j < d; j++) b[o + j] += y0 * X[a + j] + y1 * X[a + d + j] + y2 * X[a + 2 * d + j] + y3 * X[a + 3 * d + j];
    }
    for (; i < end; i++) {
      const yi = y[i];
      ss += yi * yi;
      for (let j = 0; j < d; j++) b[o + j] += yi * X[i * d + j];
    }
    yy[r] = ss;
  }
  return { b, yy };
}

/**
 * The chain's held-out test set, kept as its moments XᵀX, Xᵀε and εᵀε (ε the test label
 * noise): the test MSE of any ŵ follows exactly from them (see `evaluate`), at O(d²) per
 * replicate instead of O(m·d), and without storing R×m×d points.
 */
function testMoments(R: number, d: number, m: number, scale: Float64Array | undefined, sigma: number, rng: Rng) {
  const G = new Float64Array(R * d * d);
  const b = new Float64Array(R * d);
  const yy = new Float64Array(R);
  const X = new Float64Array(m * d);
  const eps = new Float64Array(m);
  for (let r = 0; r < R; r++) {
    rng.fillNormal(X);
    if (scale) for (let i = 0; i < X.length; i += d) for (let j = 0; j < d; j++) X[i + j] *= scale[j];
    rng.fillNormal(eps, 0, sigma);
    gramInto(X, 0, m, d, G, r * d * d);
    const c = crossMoments(X, eps, m, 1, d);
    b.set(c.b, r * d);
    yy[r] = c.yy[0];
  }
  return { G, b, yy };
}

// ---------------------------------------------------------------------------------------
// Fit options and the ridge solve

/** Parsed fit options: a fixed ridge λ, or λ chosen by generalized cross-validation. */
type Penalty = { kind: 'fixed'; lambda: number } | { kind: 'gcv' };

const FIT_OPTIONS = Object.keys(FitOptionsSchema.shape);

export function parseFitOptions(options: FitOptions): Penalty {
  for (const name of Object.keys(options)) {
    if (!FIT_OPTIONS.includes(name)) throw new Error(`unknown fit option ${name} (task regression knows ${FIT_OPTIONS.join(', ')})`);
  }
  const { ridge, ridge_gcv: gcv } = options;
  if (ridge !== undefined && !(ridge >= 0 && Number.isFinite(ridge))) throw new Error(`fit option ridge must be a finite number >= 0, got ${ridge}`);
  if (gcv !== undefined && gcv !== 0 && gcv !== 1) throw new Error(`fit option ridge_gcv must be 0 or 1, got ${gcv}`);
  if (gcv === 1) {
    if (ridge !== undefined && ridge !== 0) throw new Error(`fit options ridge and ridge_gcv exclude each other: got ridge ${ridge} with ridge_gcv 1`);
    return { kind: 'gcv' };
  }
  return { kind: 'fixed', lambda: ridge ?? 0 };
}

/**
 * The GCV grid: λ = 0 (when the normalized Gram matrix Ĝ = XᵀWX/Σw is non-singular) and
 * λ = m̄·10^(k/4) for k = −24…12, i.e. 37 log-spaced values from 10⁻⁶·m̄ to 10³·m̄ in
 * quarter decades, where m̄ = tr Ĝ / d is Ĝ's mean eigenvalue (so the grid follows the scale of x).
 */
export const GCV_GRID = Object.freeze({ kMin: -24, kMax: 12, perDecade: 4 });

/** Pivot threshold relative to the largest diagonal entry below which Ĝ + λI counts as singular. */
const SINGULAR = 1e-12;

/**
 * Weighted ridge per replicate: ŵ = argmin (1/Σw)Σwᵢ(yᵢ − xᵢᵀw)² + λ‖w‖², i.e. the solution
 * of (Ĝ + λI)ŵ = b̂ with Ĝ = XᵀWX/Σw and b̂ = XᵀWy/Σw. A fixed λ is solved by Cholesky; when
 * λ = 0 and Ĝ is singular (fewer than d samples of positive weight) the minimum-norm least
 * squares solution is used (the ridgeless limit). GCV picks λ from GCV_GRID per replicate.
 *
 * The d×d systems are solved here on reused typed-array scratch rather than with ml-matrix:
 * one small solve per replicate per generation would allocate several Matrix objects each.
 */
function fitRidge(m: Moments, R: number, d: number, penalty: Penalty): RegressionModel {
  const w = new Float64Array(R * d);
  const lambda = new Float64Array(R);
  const A = new Float64Array(d * d);
  const rhs = new Float64Array(d);
  const V = new Float64Array(d * d);
  const mu = new Float64Array(d);
  const c = new Float64Array(d);
  const out = new Float64Array(d);
  const tri = penalty.kind === 'gcv' ? new Tridiagonal(d) : undefined;
  for (let r = 0; r < R; r++) {
    const S = m.S[r];
    if (!(S > 0)) throw new Error(`regression fit: replicate ${r} has no samples of positive weight in its pool`);
    const g = r * d * d;
    for (let j = 0; j < d; j++) {
      rhs[j] = m.b[r * d + j] / S;
      for (let k = j; k < d; k++) A[j * d + k] = A[k * d + j] = m.G[g + j * d + k] / S;
    }
    let lam = 0;
    if (tri) {
      lam = tri.gcv(A, rhs, m.yy[r] / S, S, out);
    } else {
      lam = penalty.kind === 'fixed' ? penalty.lambda : 0;
      for (let j = 0; j < d; j++) A[j * d + j] += lam;
      if (!choleskySolve(A, d, rhs, out)) {
        // Singular Ĝ + λI, in practice only λ = 0 with fewer than d samples: rebuild it and
        // solve in its eigenbasis, dropping the null space.
        for (let j = 0; j < d; j++) for (let k = j; k < d; k++) A[j * d + k] = A[k * d + j] = m.G[g + j * d + k] / S + (j === k ? lam : 0);
        jacobiEigen(A, d, V, mu);
        project(V, d, rhs, c);
        spectralSolve(V, mu, c, d, 0, out);
      }
    }
    w.set(out, r * d);
    lambda[r] = lam;
  }
  return { w, lambda };
}

/**
 * Generalized cross-validation (Golub, Heath & Wahba 1979) with frequency weights (n = Σw):
 * GCV(λ) = [RSS(λ)/Σw] / (1 − df(λ)/Σw)², df(λ) = tr((Ĝ + λI)⁻¹Ĝ) = d − λ tr((Ĝ + λI)⁻¹).
 *
 * Ĝ is reduced once to tridiagonal form Ĝ = Q T Qᵀ (Householder, ≈d³ flops); then every grid
 * point costs O(d): with b̃ = Qᵀb̂ and w̃ = (T + λI)⁻¹b̃ (Thomas algorithm),
 * RSS(λ)/Σw = yᵀWy/Σw − w̃ᵀb̃ − λ‖w̃‖², and the diagonal of (T + λI)⁻¹ comes from the forward
 * and backward elimination pivots f, g as 1/(fᵢ + gᵢ − Tᵢᵢ − λ). A full eigendecomposition
 * per replicate (Jacobi) measured ≈20× slower at d = 40. The smallest GCV wins (the first
 * on ties); grid points with df ≥ Σw are skipped; ŵ = Q w̃ at the chosen λ.
 */
class Tridiagonal {
  /** Householder vectors, one per row (row k acts on coordinates k+1 …). */
  private readonly v: Float64Array;
  private readonly diag: Float64Array;
  private readonly off: Float64Array;
  private readonly bt: Float64Array;
  private readonly f: Float64Array;
  private readonly z: Float64Array;
  private readonly wt: Float64Array;
  private readonly p: Float64Array;

  constructor(private readonly d: number) {
    this.v = new Float64Array(d * d);
    this.diag = new Float64Array(d);
    this.off = new Float64Array(d);
    this.bt = new Float64Array(d);
    this.f = new Float64Array(d);
    this.z = new Float64Array(d);
    this.wt = new Float64Array(d);
    this.p = new Float64Array(d);
  }

  /** Chooses λ by GCV for Ĝ (in A, destroyed) and b̂; writes ŵ into out; returns λ. */
  gcv(A: Float64Array, rhs: Float64Array, yy: number, S: number, out: Float64Array): number {
    const { d, diag, bt, wt } = this;
    let trace = 0;
    for (let j = 0; j < d; j++) trace += A[j * d + j];
    this.reduce(A);
    bt.set(rhs);
    this.applyQt(bt);
    let top = 0;
    for (let j = 0; j < d; j++) top = Math.max(top, Math.abs(diag[j]));
    const mean = trace / d;
    let best = Infinity;
    let bestLambda = mean * Math.pow(10, GCV_GRID.kMax / GCV_GRID.perDecade);
    for (let k = GCV_GRID.kMin - 1; k <= GCV_GRID.kMax; k++) {
      // k = kMin − 1 stands for λ = 0, tried only when T is numerically non-singular.
      const lam = k < GCV_GRID.kMin ? 0 : mean * Math.pow(10, k / GCV_GRID.perDecade);
      const invTrace = this.solve(lam, SINGULAR * top);
      if (Number.isNaN(invTrace)) continue;
      const df = d - lam * invTrace;
      if (df >= S) continue;
      let fitted = 0;
      let norm2 = 0;
      for (let j = 0; j < d; j++) {
        fitted += wt[j] * bt[j];
        norm2 += wt[j] * wt[j];
      }
      const slack = 1 - df / S;
      const score = Math.max(yy - fitted - lam * norm2, 0) / (slack * slack);
      if (score < best) {
        best = score;
        bestLambda = lam;
      }
    }
    this.solve(bestLambda, 0);
    out.set(wt);
    this.applyQ(out);
    return bestLambda;
  }

  /** Householder reduction of the symmetric A (destroyed) to T = diag + off-diagonal. */
  private reduce(A: Float64Array): void {
    const { d, v, diag, off, p } = this;
    v.fill(0);
    for (let k = 0; k + 2 < d; k++) {
      let tail = 0;
      for (let i = k + 2; i < d; i++) tail += A[i * d + k] * A[i * d + k];
      if (tail === 0) continue; // column already tridiagonal: H_k = I (v_k = 0)
      const x0 = A[(k + 1) * d + k];
      const norm = Math.sqrt(x0 * x0 + tail);
      const alpha = x0 > 0 ? -norm : norm;
      // v = (x − αe₁)/‖x − αe₁‖ on coordinates k+1 …; H_k = I − 2vvᵀ maps x to αe₁.
      const vk = k * d;
      v[vk + k + 1] = x0 - alpha;
      for (let i = k + 2; i < d; i++) v[vk + i] = A[i * d + k];
      const vnorm = Math.sqrt((x0 - alpha) * (x0 - alpha) + tail);
      for (let i = k + 1; i < d; i++) v[vk + i] /= vnorm;
      // A ← H A H on the trailing block: with p = Av and q = p − (vᵀp)v, A −= 2(vqᵀ + qvᵀ).
      let vp = 0;
      for (let i = k + 1; i < d; i++) {
        let s = 0;
        for (let j = k + 1; j < d; j++) s += A[i * d + j] * v[vk + j];
        p[i] = s;
        vp += v[vk + i] * s;
      }
      for (let i = k + 1; i < d; i++) p[i] -= vp * v[vk + i];
      for (let i = k + 1; i < d; i++) {
        const vi = v[vk + i];
        const qi = p[i];
        for (let j = k + 1; j < d; j++) A[i * d + j] -= 2 * (vi * p[j] + qi * v[vk + j]);
      }
      A[(k + 1) * d + k] = alpha;
      A[k * d + k + 1] = alpha;
    }
    for (let i = 0; i < d; i++) {
      diag[i] = A[i * d + i];
      off[i] = i + 1 < d ? A[(i + 1) * d + i] : 0;
    }
  }

  /** x ← Qᵀx = H_{d−3}⋯H_0 x. */
  private applyQt(x: Float64Array): void {
    for (let k = 0; k + 2 < this.d; k++) this.reflect(k, x);
  }

  /** x ← Qx = H_0⋯H_{d−3} x. */
  private applyQ(x: Float64Array): void {
    for (let k = this.d - 3; k >= 0; k--) this.reflect(k, x);
  }

  private reflect(k: number, x: Float64Array): void {
    const { d, v } = this;
    const vk = k * d;
    let s = 0;
    for (let i = k + 1; i < d; i++) s += v[vk + i] * x[i];
    if (s === 0) return;
    for (let i = k + 1; i < d; i++) x[i] -= 2 * s * v[vk + i];
  }

  /**
   * w̃ = (T + λI)⁻¹b̃ into this.wt; returns tr((T + λI)⁻¹), or NaN when a forward pivot is
   * ≤ `floor` (T + λI not numerically positive definite).
   */
  private solve(lam: number, floor: number): number {
    const { d, diag, off, bt, f, z, wt } = this;
    f[0] = diag[0] + lam;
    z[0] = bt[0];
    if (!(f[0] > floor)) return NaN;
    for (let i = 1; i < d; i++) {
      const m = off[i - 1] / f[i - 1];
      f[i] = diag[i] + lam - m * off[i - 1];
      z[i] = bt[i] - m * z[i - 1];
      if (!(f[i] > floor)) return NaN;
    }
    wt[d - 1] = z[d - 1] / f[d - 1];
    for (let i = d - 2; i >= 0; i--) wt[i] = (z[i] - off[i] * wt[i + 1]) / f[i];
    // Backward pivots g, run from the bottom; (T + λI)⁻¹ᵢᵢ = 1/(fᵢ + gᵢ − Tᵢᵢ − λ).
    let g = diag[d - 1] + lam;
    let invTrace = 1 / (f[d - 1] + g - diag[d - 1] - lam);
    for (let i = d - 2; i >= 0; i--) {
      g = diag[i] + lam - (off[i] * off[i]) / g;
      invTrace += 1 / (f[i] + g - diag[i] - lam);
    }
    return invTrace;
  }
}

/**
 * Solves A x = rhs for symmetric positive-definite A (overwritten by its Cholesky factor in
 * the lower triangle). Returns false, leaving `out` unspecified, when a pivot falls below
 * SINGULAR × the largest diagonal entry.
 */
function choleskySolve(A: Float64Array, d: number, rhs: Float64Array, out: Float64Array): boolean {
  let top = 0;
  for (let j = 0; j < d; j++) top = Math.max(top, A[j * d + j]);
  const tol = SINGULAR * top;
  for (let j = 0; j < d; j++) {
    const jd = j * d;
    let s = A[jd + j];
    for (let k = 0; k < j; k++) s -= A[jd + k] * A[jd + k];
    if (!(s > tol)) return false;
    const ljj = Math.sqrt(s);
    A[jd + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      const id = i * d;
      let v = A[id + j];
      for (let k = 0; k < j; k++) v -= A[id + k] * A[jd + k];
      A[id + j] = v / ljj;
    }
  }
  for (let i = 0; i < d; i++) {
    const id = i * d;
    let v = rhs[i];
    for (let k = 0; k < i; k++) v -= A[id + k] * out[k];
    out[i] = v / A[id + i];
  }
  for (let i = d - 1; i >= 0; i--) {
    let v = out[i];
    for (let k = i + 1; k < d; k++) v -= A[k * d + i] * out[k];
    out[i] = v / A[i * d + i];
  }
  return true;
}

/**
 * Cyclic Jacobi eigen-decomposition of the symmetric d×d matrix A (destroyed): eigenvalues
 * into mu, eigenvectors as the columns of V. Accurate to round-off for the small, well-scaled
 * matrices here; O(d³) per sweep, a handful of sweeps.
 */
function jacobiEigen(A: Float64Array, d: number, V: Float64Array, mu: Float64Array): void {
  V.fill(0);
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  for (let sweep = 0; sweep < 64; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < d; p++) {
      diag += A[p * d + p] * A[p * d + p];
      for (let q = p + 1; q < d; q++) off += A[p * d + q] * A[p * d + q];
    }
    if (off <= 1e-32 * diag || off === 0) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = A[p * d + q];
        if (apq === 0) continue;
        // Rotation that zeroes A[p][q] (Rutishauser's stable form; Numerical Recipes §11.1).
        const theta = (A[q * d + q] - A[p * d + p]) / (2 * apq);
        const t = Math.abs(theta) > 1e150 ? 1 / (2 * theta) : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < d; k++) {
          const akp = A[k * d + p];
          const akq = A[k * d + q];
          A[k * d + p] = cs * akp - sn * akq;
          A[k * d + q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = A[p * d + k];
          const aqk = A[q * d + k];
          A[p * d + k] = cs * apk - sn * aqk;
          A[q * d + k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = V[k * d + p];
          const vkq = V[k * d + q];
          V[k * d + p] = cs * vkp - sn * vkq;
          V[k * d + q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  for (let i = 0; i < d; i++) mu[i] = A[i * d + i];
}

/** c = Vᵀ rhs. */
function project(V: Float64Array, d: number, rhs: Float64Array, c: Float64Array): void {
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += V[k * d + j] * rhs[k];
    c[j] = s;
  }
}

/**
 * x = V diag(1/(μ+λ)) c, dropping directions whose μ + λ is below SINGULAR × the largest μ
 * (for λ = 0 and singular Ĝ: the minimum-norm least-squares solution).
 */
function spectralSolve(V: Float64Array, mu: Float64Array, c: Float64Array, d: number, lam: number, out: Float64Array): void {
  let top = 0;
  for (let j = 0; j < d; j++) top = Math.max(top, mu[j]);
  out.fill(0);
  for (let j = 0; j < d; j++) {
    const denom = mu[j] + lam;
    if (!(denom > SINGULAR * top)) continue;
    const coef = c[j] / denom;
    for (let k = 0; k < d; k++) out[k] += V[k * d + j] * coef;
  }
}
