/**
 * Contraction-conditioned neural filter (Han, Liang, Wang et al., "Preventing Model Collapse
 * via Contraction-Conditioned Neural Filters", 2025, arXiv:2512.00757).
 *
 * Each generation's raw estimate θ̂_t is replaced by a filtered one before the next generation
 * samples from it. With e = θ̂_t − θ̂₀ the error relative to the anchor θ̂₀ (the generation-0
 * fit on real data), the filter outputs
 *
 *   θ̃_t = θ̂₀ + A(e_t) e_t,   A(e) = I − B(e),   B(e) a p×p matrix from a small MLP,
 *
 * so the errors follow e_{t+1} = A(e_t) e_t + ξ_t (ξ_t: the next fit's sampling noise, a
 * martingale difference for an unbiased estimator). The MLP is trained offline, before the
 * chain, on errors of simulated chains at the task's constant sample size, to satisfy the
 * paper's contraction condition (its Assumption 2.3)
 *
 *   A(e)ᵀ P A(e) ⪯ (1 − c(e)) P,   c(e) = c + (c_far − c)·‖e‖²/(‖e‖² + radius²),
 *
 * while changing the estimate as little as possible. Coordinates are scaled so that P = I is
 * the Fisher information at the anchor. On gaussian-chain (gaussian.ts) e holds the whitened
 * mean and covariance errors and A(e) is a full p×p matrix, p = d + d(d+1)/2. On recursive-lm
 * (categorical.ts) each context's row has V up to 1 000 tokens, so A(e) = a(‖e‖)·I: the same
 * network with p = 1, fed the error's norm. The loss per training error e is
 *
 *   penalty · relu(λ_max(AᵀA) − (1 − c(e) − margin))²  +  ‖B(e)e‖² / ‖e‖²
 *
 * (contraction hinge + minimal intervention). Under the condition the error cannot random-walk
 * away: P(‖e_t‖ > δ) stays bounded at a constant sample size, where `replace` lets it grow.
 * The paper does not publish its architecture; README.md lists the choices made here.
 */
import { z } from 'zod';
import type * as TF from '@tensorflow/tfjs';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { defineMethod, type PrepareContext } from '../../harness/types.ts';
import { activeBackend, tfjs } from '../../harness/backend.ts';
import type { Rng } from '../../harness/rng.ts';
import { MAX_DIM, choleskyFactors, errorDim, fromErrors, simulateErrors, toErrors, type GaussianModel } from './gaussian.ts';
import { applyGains, errorNorms, simulateNorms, tableShape } from './categorical.ts';

// ---------------------------------------------------------------------------------------
// Hyper-parameters

const Params = z.object({
  c: z.number().min(0).lt(1).default(0.2).describe('contraction rate c(e) at the anchor: A(e)ᵀA(e) ⪯ (1 − c)I near e = 0'),
  c_far: z.number().min(0).lt(1).default(0.9).describe('contraction rate far from the anchor (‖e‖ ≫ radius)'),
  radius: z.number().positive().default(0.5).describe('Fisher distance ‖e‖ at which c(e) is halfway from c to c_far'),
  margin: z
    .number()
    .min(0)
    .lt(1)
    .default(0.02)
    .describe('slack the loss asks for below 1 − c(e), so the learned A meets the condition exactly'),
  penalty: z.number().positive().default(1000).describe('weight of the contraction hinge against the minimal-intervention term'),
  hidden: z.number().int().min(4).max(256).default(32).describe('units in each of the two tanh hidden layers'),
  train_chains: z.number().int().min(8).max(10_000).default(256).describe('simulated chains whose errors train the filter'),
  train_generations: z
    .number()
    .int()
    .min(1)
    .max(200)
    .default(30)
    .describe('generations per training chain (errors of generations 1…this are kept)'),
  epochs: z.number().int().min(1).max(200).default(8).describe('passes over the training errors'),
  batch: z.number().int().min(8).max(8192).default(256).describe('training errors per Adam step'),
  learning_rate: z.number().positive().max(1).default(0.01).describe('Adam step size'),
});
export type ContractionFilterParams = z.infer<typeof Params>;

/** The contraction rate c(e) the filter must achieve at an error of squared norm n2 = ‖e‖². */
export function contractionRate(n2: number, params: ContractionFilterParams): number {
  return params.c + ((params.c_far - params.c) * n2) / (n2 + params.radius * params.radius);
}

// ---------------------------------------------------------------------------------------
// The network: e (p) and ‖e‖ → B(e) (p×p), two tanh hidden layers. The output layer starts
// at zero, so training starts from "no filtering" (A = I) and contracts only as asked.

/** Trained weights as plain arrays [W1, b1, W2, b2, W3, b3] (backend-independent, cacheable). */
export interface TrainedFilter {
  p: number;
  hidden: number;
  weights: Float32Array[];
  /** Mean training loss per epoch. */
  losses: number[];
  trainMs: number;
  /** Backend it was trained on (harness/backend.ts); numbers are deterministic per backend. */
  backend: string;
}

function shapes(p: number, hidden: number): number[][] {
  return [[p + 1, hidden], [hidden], [hidden, hidden], [hidden], [hidden, p * p], [p * p]];
}

/** Glorot-uniform hidden layers from the seeded stream, zero output layer. */
function initialWeights(p: number, hidden: number, rng: Rng): Float32Array[] {
  return shapes(p, hidden).map((shape, i) => {
    const w = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (shape.length === 2 && i < 4) {
      const limit = Math.sqrt(6 / (shape[0] + shape[1]));
      for (let k = 0; k < w.length; k++) w[k] = (2 * rng.uniform() - 1) * limit;
    }
    return w;
  });
}

/** B(e) for a batch of errors [n, p] → [n, p, p]. */
function forward(tf: typeof TF, w: TF.Tensor[], e: TF.Tensor2D, p: number): TF.Tensor3D {
  const norm = tf.sqrt(tf.sum(tf.square(e), 1, true));
  const h1 = tf.tanh(tf.add(tf.matMul(tf.concat([e, norm], 1), w[0] as TF.Tensor2D), w[1]));
  const h2 = tf.tanh(tf.add(tf.matMul(h1, w[2] as TF.Tensor2D), w[3]));
  return tf.reshape(tf.add(tf.matMul(h2, w[4] as TF.Tensor2D), w[5]), [-1, p, p]) as TF.Tensor3D;
}

function operatorA(tf: typeof TF, w: TF.Tensor[], e: TF.Tensor2D, p: number): TF.Tensor3D {
  return tf.sub(tf.eye(p).expandDims(0), forward(tf, w, e, p)) as TF.Tensor3D;
}

/**
 * Top eigenvector v of AᵀA for each of n matrices (float32, row-major p×p), exactly (float64
 * symmetric eigensolver), and the eigenvalue λ_max. The loss uses v as a constant: the gradient
 * of vᵀAᵀAv is then that of λ_max (envelope theorem). An iterative estimate inside the graph
 * (power iteration from a fixed start) is not safe: the network learns to hide its top
 * direction from the start vector.
 */
function topEigen(a: Float32Array, n: number, p: number): { v: Float32Array; lambda: Float64Array } {
  const v = new Float32Array(n * p);
  const lambda = new Float64Array(n);
  const ata = new Matrix(p, p);
  for (let i = 0; i < n; i++) {
    const at = i * p * p;
    for (let r = 0; r < p; r++)
      for (let q = r; q < p; q++) {
        let s = 0;
        for (let k = 0; k < p; k++) s += a[at + k * p + r] * a[at + k * p + q];
        ata.set(r, q, s);
        ata.set(q, r, s);
      }
    const eig = new EigenvalueDecomposition(ata, { assumeSymmetric: true });
    const values = eig.realEigenvalues;
    let top = 0;
    for (let k = 1; k < p; k++) if (values[k] > values[top]) top = k;
    lambda[i] = values[top];
    for (let k = 0; k < p; k++) v[i * p + k] = eig.eigenvectorMatrix.get(k, top);
  }
  return { v, lambda };
}

/**
 * Trains the filter on `errors` (n×p, float64) with the loss of the file comment. Deterministic
 * for a given backend: weights, chains and minibatch order all come from `rng`, and every
 * kernel runs single-threaded.
 */
export function trainFilter(errors: Float64Array, p: number, params: ContractionFilterParams, rng: Rng): TrainedFilter {
  const tf = tfjs();
  const start = performance.now();
  const n = errors.length / p;
  const targets = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let n2 = 0;
    for (let k = 0; k < p; k++) n2 += errors[i * p + k] ** 2;
    targets[i] = 1 - contractionRate(n2, params) - params.margin;
  }
  const data = tf.tensor2d(Float32Array.from(errors), [n, p]);
  const target = tf.tensor1d(targets);
  const vars = initialWeights(p, params.hidden, rng.fork('weights')).map((w, i) => tf.variable(tf.tensor(w, shapes(p, params.hidden)[i])));
  const optimizer = tf.train.adam(params.learning_rate);
  const order = rng.fork('minibatches');
  const losses: number[] = [];
  const perm = new Int32Array(n);
  for (let epoch = 0; epoch < params.epochs; epoch++) {
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = order.int(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    let sum = 0;
    let steps = 0;
    for (let s = 0; s < n; s += params.batch) {
      const cost = tf.tidy(() => {
        const idx = tf.tensor1d(perm.subarray(s, Math.min(s + params.batch, n)), 'int32');
        const e = tf.gather(data, idx) as TF.Tensor2D;
        const bound = tf.gather(target, idx);
        // λ_max(AᵀA) ≈ vᵀAᵀAv with v the top eigenvector at the current weights, held fixed:
        // its gradient is the eigenvalue's (envelope theorem).
        const a = operatorA(tf, vars, e, p);
        const v = tf.tensor3d(topEigen(a.dataSync() as Float32Array, a.shape[0], p).v, [a.shape[0], p, 1]);
        return optimizer.minimize(
          () => {
            const b = forward(tf, vars, e, p);
            const av = tf.matMul(tf.sub(tf.eye(p).expandDims(0), b), v);
            const lambda = tf.sum(tf.square(av), [1, 2]);
            const hinge = tf.mean(tf.square(tf.relu(tf.sub(lambda, bound))));
            const be = tf.squeeze(tf.matMul(b, tf.expandDims(e, 2)), [2]);
            const fidelity = tf.mean(tf.div(tf.sum(tf.square(be), 1), tf.add(tf.sum(tf.square(e), 1), 1e-8)));
            return tf.add(tf.mul(hinge, params.penalty), fidelity) as TF.Scalar;
          },
          true,
          vars,
        )!;
      });
      sum += cost.dataSync()[0];
      cost.dispose();
      steps++;
    }
    losses.push(sum / steps);
  }
  const weights = vars.map((v) => v.dataSync().slice() as Float32Array);
  tf.dispose([data, target, ...vars]);
  optimizer.dispose();
  return { p, hidden: params.hidden, weights, losses, trainMs: performance.now() - start, backend: activeBackend()! };
}

/** Rows of errors at a time through the network (bounds memory for 10⁶ replicates). */
const CHUNK = 8192;

/** A(e) for each row of `errors` (n×p): a Float32Array of n p×p matrices, row-major. */
export function operators(filter: TrainedFilter, errors: Float64Array): Float32Array {
  const tf = tfjs();
  const { p } = filter;
  const n = errors.length / p;
  const out = new Float32Array(n * p * p);
  const w = filter.weights.map((values, i) => tf.tensor(values, shapes(p, filter.hidden)[i]));
  for (let s = 0; s < n; s += CHUNK) {
    const rows = Math.min(CHUNK, n - s);
    const a = tf.tidy(() => operatorA(tf, w, tf.tensor2d(Float32Array.from(errors.subarray(s * p, (s + rows) * p)), [rows, p]), p));
    out.set(a.dataSync(), s * p * p);
    a.dispose();
  }
  tf.dispose(w);
  return out;
}

/** The filtered errors A(e)e (float64 arithmetic on the network's float32 A). */
export function applyFilter(filter: TrainedFilter, errors: Float64Array): Float64Array {
  const { p } = filter;
  const a = operators(filter, errors);
  const out = new Float64Array(errors.length);
  for (let i = 0; i < errors.length / p; i++) {
    for (let r = 0; r < p; r++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += a[i * p * p + r * p + k] * errors[i * p + k];
      out[i * p + r] = s;
    }
  }
  return out;
}

/**
 * How well the trained A meets A(e)ᵀA(e) ⪯ (1 − c(e))I on `errors`, checked exactly
 * (symmetric eigensolver, float64): the fraction of rows that satisfy it and the largest
 * λ_max(AᵀA) − (1 − c(e)).
 */
export function contractionCheck(
  filter: TrainedFilter,
  errors: Float64Array,
  params: ContractionFilterParams,
): { satisfied: number; worst: number } {
  const { p } = filter;
  const n = errors.length / p;
  const { lambda } = topEigen(operators(filter, errors), n, p);
  let ok = 0;
  let worst = -Infinity;
  for (let i = 0; i < n; i++) {
    let n2 = 0;
    for (let k = 0; k < p; k++) n2 += errors[i * p + k] ** 2;
    const excess = lambda[i] - (1 - contractionRate(n2, params));
    if (excess <= 0) ok++;
    worst = Math.max(worst, excess);
  }
  return { satisfied: ok / n, worst };
}

// ---------------------------------------------------------------------------------------
// Once per cell (the prepare step): train the filter for the anchor's coordinates, before the
// chain, at generation 0's sample size (the constant-size setting), from the cell's stream.

/** What a cell keeps between its estimate calls: the trained filter and, for Gaussians, the anchor's factors. */
type FilterState =
  | { family: 'gaussian'; filter: TrainedFilter; anchor: GaussianModel; factors: Float64Array; R: number; d: number }
  | { family: 'categorical'; filter: TrainedFilter; anchor: Float64Array; V: number };

/** Trains the filter for this cell's anchor (PrepareContext: generation 0's fit and pool). */
export function prepareFilter(ctx: PrepareContext, params: ContractionFilterParams): FilterState {
  const R = ctx.replicates;
  const chains = ctx.rng.fork('training chains');
  const training = ctx.rng.fork('training');
  if (ctx.modelFamily === 'gaussian') {
    const anchor = ctx.anchor as GaussianModel;
    const d = Math.round(anchor.mean.length / R);
    if (d > MAX_DIM) {
      throw new Error(
        `contraction-filter supports Gaussian models up to dim = ${MAX_DIM} (its operator A(e) is p×p with p = d + d(d+1)/2); got dim = ${d}`,
      );
    }
    const samples = Math.round(ctx.poolSize[0]);
    const filter = trainFilter(
      simulateErrors(chains, d, samples, params.train_chains, params.train_generations),
      errorDim(d),
      params,
      training,
    );
    return { family: 'gaussian', filter, anchor, factors: choleskyFactors(anchor.cov, R, d, 'anchor'), R, d };
  }
  if (ctx.modelFamily === 'categorical') {
    if (!(ctx.anchor instanceof Float64Array))
      throw new Error(`contraction-filter needs a categorical model as a Float64Array (R × C × V), got ${typeof ctx.anchor}`);
    const { C, V } = tableShape(ctx.anchor, R);
    // The pool holds C·n₀ outcomes per replicate: n₀ per context.
    const samples = Math.round(ctx.poolSize[0] / C);
    const filter = trainFilter(simulateNorms(chains, V, samples, params.train_chains, params.train_generations), 1, params, training);
    return { family: 'categorical', filter, anchor: ctx.anchor, V };
  }
  throw new Error(`contraction-filter has no error coordinates for a ${ctx.modelFamily ?? 'non-parametric'} model`);
}

/** θ̃ = θ̂₀ + A(e)e for this generation's estimate θ̂ (e = θ̂ − θ̂₀ in the state's coordinates). */
export function filterEstimate(model: unknown, state: FilterState): unknown {
  if (state.family === 'gaussian') {
    const errors = toErrors(model as GaussianModel, state.anchor, state.factors, state.R, state.d);
    return fromErrors(applyFilter(state.filter, errors), state.anchor, state.factors, state.R, state.d).model;
  }
  const table = model as Float64Array;
  return applyGains(table, state.anchor, state.V, operators(state.filter, errorNorms(table, state.anchor, state.V)));
}

// ---------------------------------------------------------------------------------------

export default defineMethod({
  id: 'contraction-filter',
  title: 'Contraction-conditioned neural filter',
  kind: 'method',
  engine: 'tfjs',
  summary:
    'Replaces each generation’s estimate by anchor + A(e)e, with A(e) from a small MLP trained offline on simulated chains ' +
    'to satisfy the contraction condition A(e)ᵀPA(e) ⪯ (1−c(e))P while changing the estimate as little as possible.',
  papers: [
    {
      title: 'Preventing Model Collapse via Contraction-Conditioned Neural Filters',
      authors: 'Han, Liang, Wang et al.',
      year: 2025,
      url: 'https://arxiv.org/abs/2512.00757',
    },
  ],
  params: Params,
  // The filter needs the estimate in an exponential family's parameter coordinates (gaussian.ts, categorical.ts).
  needs: { modelFamily: ['gaussian', 'categorical'] },
  prepare: prepareFilter,
  hooks: {
    estimate(model, ctx) {
      // Generation 0's estimate is the anchor itself: e = 0.
      return ctx.t === 0 ? model : filterEstimate(model, ctx.state);
    },
  },
});
