/**
 * A class-conditional DDPM on 2-D points (Ho, Jain & Abbeel 2020) with an MLP denoiser, and
 * DDIM sampling (Song, Meng & Ermon 2021), on TF.js.
 *
 * Forward process (index i ↔ timestep t = i + 1, t = 1…T):
 *   x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε,  ε ~ N(0, I),  ᾱ_t = Π_{s≤t} (1 − β_s).
 * The network ε̂(x_t, t, c) predicts ε from x_t, a sinusoidal embedding of t and the one-hot
 * label c ∈ {0…classes}, where c = classes is the null label (unconditional; label dropout
 * trains it, as in classifier-free guidance).
 *
 * Models are plain data between calls (DenoiserWeights: Float32Arrays): every function builds
 * its tensors from them and disposes them before returning, so a generational loop holds no
 * tensors between generations. Every random number (minibatches, timesteps, noise, label
 * dropout, sampling noise) comes from the caller's Rng, never tf.random*, so a run is
 * bit-identical per backend given the seed.
 *
 * Speed: the network input [x, emb(t), onehot(c)] of a minibatch or a sampling chunk is
 * written into one Float32Array on the CPU (the embedding from a precomputed table), so each
 * training step uploads two tensors (input, target ε) and each sampling chunk one.
 *
 * Engines: when the process runs the fused kernels (harness/kernels.ts `fusedKernels()`),
 * training, sampling, denoisingLoss and latents compute the same network with the wasm SIMD
 * kernels of kernels/mlp (a fused forward/backward/Adam step, tf.train.adam's update) instead
 * of TF.js, which stays the reference. Both engines see the same input rows and the same random
 * draws; their floating-point sums differ in order, so their numbers differ in the last bits
 * (and, through training, more), each bit-identical run to run. createDenoiser stays TF.js.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Rng } from '../../harness/rng.ts';
import { tfjs } from '../../harness/backend.ts';
import { fusedKernels } from '../../harness/kernels.ts';
import { MlpKernel } from '../../kernels/mlp/mlp.ts';

/** Rows per forward pass when sampling or evaluating (bounds the memory of large batches). */
const CHUNK = 4096;
/**
 * Rows per forward pass on the fused kernels: a chunk's activations (256 × hidden floats per
 * layer) stay in the L2 cache. An output row depends only on its input row, so the chunk size
 * changes no number.
 */
const KERNEL_CHUNK = 256;

// ---------------------------------------------------------------------------------------
// Noise schedules (pure float64)

/** The DDPM noise schedule; index i ↔ timestep t = i + 1 (t = 1…T). */
export interface Schedule {
  T: number;
  beta: Float64Array;
  alpha: Float64Array;
  alphaBar: Float64Array;
}

/**
 * Linear β in the continuous VP parametrization (Song et al. 2021):
 *   β_t = (βmin + (βmax − βmin)(t − 1)/(T − 1)) / T,
 * so Σβ_t = (βmin + βmax)/2 and ᾱ_T ≈ exp(−(βmin + βmax)/2) whatever T (DDPM's 1e-4…0.02 at
 * T = 1000 is βmin 0.1, βmax 20). Needs β_T = βmax/T < 1, i.e. T > βmax.
 */
export function linearSchedule(T: number, betaMin = 0.1, betaMax = 20): Schedule {
  if (!Number.isInteger(T) || T < 2) throw new Error(`linearSchedule needs an integer T >= 2, got ${T}`);
  if (!(betaMin > 0) || !(betaMax >= betaMin)) throw new Error(`linearSchedule needs 0 < betaMin <= betaMax, got ${betaMin}, ${betaMax}`);
  if (betaMax / T >= 1) throw new Error(`linearSchedule: β_T = betaMax/T = ${betaMax}/${T} >= 1; use T > betaMax`);
  const beta = new Float64Array(T);
  const alpha = new Float64Array(T);
  const alphaBar = new Float64Array(T);
  let prod = 1;
  for (let i = 0; i < T; i++) {
    beta[i] = (betaMin + ((betaMax - betaMin) * i) / (T - 1)) / T;
    alpha[i] = 1 - beta[i];
    prod *= alpha[i];
    alphaBar[i] = prod;
  }
  return { T, beta, alpha, alphaBar };
}

/**
 * A DDIM sub-sequence τ₁ < … < τ_S = T of 1…T and its per-step constants, stored in the
 * **order of use**: entry k is the k-th step of sampling, from steps[k] down to steps[k + 1]
 * (to 0 after the last entry, ᾱ₀ := 1). So steps[0] = T, and σ arrays and recorded
 * trajectories share the index k.
 *   alphaBar[k] = ᾱ_{steps[k]},  alphaBarPrev[k] = ᾱ_{steps[k+1]},  alpha[k] = alphaBar[k]/alphaBarPrev[k].
 */
export interface DdimSchedule {
  steps: number[];
  alphaBar: Float64Array;
  alphaBarPrev: Float64Array;
  alpha: Float64Array;
}

/** `steps` evenly spaced timesteps τ_j = round(j·T/steps), j = 1…steps (so τ_steps = T; steps = T gives every timestep). */
export function ddimSchedule(schedule: Schedule, steps: number): DdimSchedule {
  const { T } = schedule;
  if (!Number.isInteger(steps) || steps < 1 || steps > T)
    throw new Error(`ddimSchedule needs an integer 1 <= steps <= T = ${T}, got ${steps}`);
  // Consecutive j·T/steps differ by T/steps ≥ 1, so the rounded τ are distinct.
  const tau = Array.from({ length: steps }, (_, j) => Math.round(((steps - j) * T) / steps));
  return ddimScheduleAt(schedule, tau);
}

/**
 * The DDIM schedule through the given decreasing timesteps τ (1 … T, in order of use), the last
 * one followed by t = 0 (ᾱ = 1): ᾱ at each τ, at the next one, and their ratio α.
 */
export function ddimScheduleAt(schedule: Schedule, tau: number[]): DdimSchedule {
  const steps = tau.length;
  const alphaBar = new Float64Array(steps);
  const alphaBarPrev = new Float64Array(steps);
  const alpha = new Float64Array(steps);
  for (let k = 0; k < steps; k++) {
    alphaBar[k] = schedule.alphaBar[tau[k] - 1];
    alphaBarPrev[k] = k + 1 < steps ? schedule.alphaBar[tau[k + 1] - 1] : 1;
    alpha[k] = alphaBar[k] / alphaBarPrev[k];
  }
  return { steps: tau, alphaBar, alphaBarPrev, alpha };
}

/**
 * DDIM's native noise level of step k: σ_k(η) = η·√((1−ᾱ_prev)/(1−ᾱ)·(1−α_k)). η = 1 over
 * every timestep is DDPM's posterior std √β̃_t; η = 0 is deterministic DDIM.
 */
export function ddimSigma(s: DdimSchedule, k: number, eta: number): number {
  return eta * Math.sqrt(((1 - s.alphaBarPrev[k]) / (1 - s.alphaBar[k])) * (1 - s.alpha[k]));
}

/**
 * The ε̂ coefficient of step k at noise level σ: C(σ) = √(1−ᾱ)/√α_k − √(1−ᾱ_prev−σ²), so that
 * μ = x/√α_k − C·ε̂ = √ᾱ_prev·x̂₀ + √(1−ᾱ_prev−σ²)·ε̂ with x̂₀ = (x − √(1−ᾱ)ε̂)/√ᾱ.
 * Needs σ² ≤ 1 − ᾱ_prev (the last step, to t = 0, only allows σ = 0).
 */
export function ddimCoefficient(s: DdimSchedule, k: number, sigma: number): number {
  const rest = 1 - s.alphaBarPrev[k] - sigma * sigma;
  // A relative slack lets σ = √(1−ᾱ_prev) computed in float64 through.
  if (rest < -1e-12) throw new Error(`DDIM step ${k}: σ = ${sigma} exceeds √(1 − ᾱ_prev) = ${Math.sqrt(1 - s.alphaBarPrev[k])}`);
  return Math.sqrt(1 - s.alphaBar[k]) / Math.sqrt(s.alpha[k]) - Math.sqrt(Math.max(0, rest));
}

/** One reverse step in place: x ← scale·x − C·ε̂ + σ·z (scale = 1/√α). */
function reverseStep(x: Float64Array, eps: ArrayLike<number>, z: ArrayLike<number>, scale: number, c: number, sigma: number): Float64Array {
  for (let j = 0; j < x.length; j++) x[j] = scale * x[j] - c * eps[j] + sigma * z[j];
  return x;
}

/** DDIM step k in place: x ← x/√α_k − C(σ)·ε̂ + σ·z (the update sampleDdim applies). */
export function ddimStep(
  s: DdimSchedule,
  k: number,
  sigma: number,
  x: Float64Array,
  eps: ArrayLike<number>,
  z: ArrayLike<number>,
): Float64Array {
  return reverseStep(x, eps, z, 1 / Math.sqrt(s.alpha[k]), ddimCoefficient(s, k, sigma), sigma);
}

// ---------------------------------------------------------------------------------------
// The denoiser

export interface DenoiserConfig {
  hidden: number;
  /** Hidden Dense(hidden) + ReLU layers. */
  layers: number;
  /** Sinusoidal time-embedding dimensions. */
  timeEmbedding: number;
  /** Real classes; label `classes` is the null label (unconditional / label dropout). */
  classes: number;
}

/** Weights as plain data: per layer W [in, out] then b [out], the output layer last. */
export interface DenoiserWeights {
  config: DenoiserConfig;
  shapes: number[][];
  values: Float32Array[];
}

/** Columns of the network input: x (2), the time embedding, the one-hot label (classes + 1). */
function inputWidth(c: DenoiserConfig): number {
  return 2 + c.timeEmbedding + c.classes + 1;
}

function weightShapes(c: DenoiserConfig): number[][] {
  const shapes: number[][] = [];
  let fanIn = inputWidth(c);
  for (let l = 0; l < c.layers; l++) {
    shapes.push([fanIn, c.hidden], [c.hidden]);
    fanIn = c.hidden;
  }
  shapes.push([fanIn, 2], [2]);
  return shapes;
}

function checkConfig(c: DenoiserConfig): void {
  for (const key of ['hidden', 'layers', 'timeEmbedding', 'classes'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new Error(`denoiser config ${key} must be a positive integer, got ${c[key]}`);
  }
}

/** He-normal weights (N(0, 2/fan_in), suited to ReLU) and zero biases, from `rng`. */
export function initDenoiser(config: DenoiserConfig, rng: Rng): DenoiserWeights {
  checkConfig(config);
  const shapes = weightShapes(config);
  const values = shapes.map((shape) => {
    const w = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (shape.length === 2) {
      const normals = rng.fillNormal(new Float64Array(w.length), 0, Math.sqrt(2 / shape[0]));
      w.set(normals);
    }
    return w;
  });
  return { config: { ...config }, shapes, values };
}

/**
 * The sinusoidal embedding of every t = 1…T as a [T, E] float32 table (row t − 1):
 * sin(ω_k t′) for k < ⌈E/2⌉, then cos(ω_k t′) (⌊E/2⌋ of them), ω_k = 10000^(−k/⌈E/2⌉)
 * (Vaswani et al. 2017), at t′ = 1000·t/T: the frequencies DDPM uses at T = 1000, whatever T.
 */
export function timeEmbeddingTable(T: number, E: number): Float32Array {
  const half = Math.ceil(E / 2);
  const table = new Float32Array(T * E);
  for (let t = 1; t <= T; t++) {
    const tt = (1000 * t) / T;
    for (let j = 0; j < E; j++) {
      const k = j < half ? j : j - half;
      const angle = tt * 10000 ** (-k / half);
      table[(t - 1) * E + j] = j < half ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}

/** TF.js module over the weights: trainable variables and a differentiable ε̂. */
export interface Denoiser {
  variables: TF.Variable[];
  /** ε̂ [n, 2] for x [n, 2], integer timesteps t ∈ 1…T (float or int) and labels ∈ 0…classes. */
  predict(x: TF.Tensor2D, t: TF.Tensor1D, labels: TF.Tensor1D): TF.Tensor2D;
  /** The last hidden layer's activations [n, hidden]. */
  hidden(x: TF.Tensor2D, t: TF.Tensor1D, labels: TF.Tensor1D): TF.Tensor2D;
  /** The current weights as plain data (copies). */
  read(): DenoiserWeights;
  dispose(): void;
}

/** The Denoiser plus the CPU-built-input path the functions here use. */
interface Network extends Denoiser {
  config: DenoiserConfig;
  /** Time-embedding table [T, E] (row t − 1), shared by both input paths so they agree bit for bit. */
  embedding: Float32Array;
  /** The output (or, `hiddenOnly`, the last hidden layer) for network inputs [n, inputWidth]. */
  forward(input: TF.Tensor2D, hiddenOnly: boolean): TF.Tensor2D;
}

/**
 * x·W + b with a hand-written gradient that transposes explicitly: on the wasm backend a
 * matMul with a transpose flag (what TF.js's own matMul gradient uses) runs ≈10× slower than
 * transpose + matMul (256×128·128×128: 3.7 ms vs 0.37 ms), which made training steps ≈3×
 * slower.
 *   ∂/∂x = dy·Wᵀ,  ∂/∂W = xᵀ·dy,  ∂/∂b = Σ_rows dy.
 */
function denseLayer(tf: typeof TF): (x: TF.Tensor2D, w: TF.Tensor, b: TF.Tensor) => TF.Tensor2D {
  const op = tf.customGrad((x, w, b, save) => {
    (save as TF.GradSaveFunc)([x as TF.Tensor2D, w as TF.Tensor2D]);
    return {
      value: tf.add(tf.matMul(x as TF.Tensor2D, w as TF.Tensor2D), b as TF.Tensor) as TF.Tensor2D,
      gradFunc: (dy, [xs, ws]) => [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy), tf.sum(dy, 0)],
    };
  });
  return (x, w, b) => op(x, w, b) as TF.Tensor2D;
}

/** Checks the weights against their config; returns the expected shapes. */
function checkWeights(weights: DenoiserWeights): number[][] {
  checkConfig(weights.config);
  const expected = weightShapes(weights.config);
  if (
    weights.values.length !== expected.length ||
    expected.some((shape, i) => shape.join() !== weights.shapes[i]?.join() || weights.values[i].length !== shape.reduce((a, b) => a * b, 1))
  ) {
    throw new Error(
      `denoiser weights do not match their config (expected shapes ${JSON.stringify(expected)}, got ${JSON.stringify(weights.shapes)})`,
    );
  }
  return expected;
}

function network(weights: DenoiserWeights, schedule: Schedule): Network {
  const tf = tfjs();
  const { config } = weights;
  const expected = checkWeights(weights);
  const T = schedule.T;
  const E = config.timeEmbedding;
  const embedding = timeEmbeddingTable(T, E);
  // tidy disposes the initial tensors (a variable is not tracked by tidy, and holds its own reference).
  const variables = tf.tidy(() => weights.values.map((v, i) => tf.variable(tf.tensor(v, expected[i]), true)));
  const table = tf.tensor2d(embedding, [T, E]);

  const dense = denseLayer(tf);
  const forward = (input: TF.Tensor2D, hiddenOnly: boolean): TF.Tensor2D =>
    tf.tidy(() => {
      let h: TF.Tensor2D = input;
      for (let l = 0; l < config.layers; l++) h = tf.relu(dense(h, variables[2 * l], variables[2 * l + 1]));
      if (hiddenOnly) return h;
      return dense(h, variables[2 * config.layers], variables[2 * config.layers + 1]);
    });
  // The same input rows as writeInput, built from tensors (gather needs no gradient: only
  // the variables are differentiated).
  const inputs = (x: TF.Tensor2D, t: TF.Tensor1D, labels: TF.Tensor1D): TF.Tensor2D =>
    tf.concat(
      [x, tf.gather(table, tf.cast(tf.sub(t, 1), 'int32')), tf.oneHot(tf.cast(labels, 'int32'), config.classes + 1)],
      1,
    ) as TF.Tensor2D;

  return {
    config,
    embedding,
    variables,
    forward,
    predict: (x, t, labels) => tf.tidy(() => forward(inputs(x, t, labels), false)),
    hidden: (x, t, labels) => tf.tidy(() => forward(inputs(x, t, labels), true)),
    read: () => ({
      config: { ...config },
      shapes: expected.map((s) => [...s]),
      values: variables.map((v) => new Float32Array(v.dataSync() as Float32Array)),
    }),
    dispose: () => {
      tf.dispose(variables);
      table.dispose();
    },
  };
}

/** The denoiser as a TF.js module (its owner calls dispose()). */
export function createDenoiser(weights: DenoiserWeights, schedule: Schedule): Denoiser {
  return network(weights, schedule);
}

/** What builds the network's input rows: the config and the time-embedding table [T, E]. */
type InputLayout = Pick<Network, 'config' | 'embedding'>;

/** Writes row `row` of the network input: [x₀, x₁, emb(t), onehot(label)]. */
function writeInput(net: InputLayout, input: Float32Array, row: number, x0: number, x1: number, t: number, label: number): void {
  const E = net.config.timeEmbedding;
  const width = inputWidth(net.config);
  const at = row * width;
  input[at] = x0;
  input[at + 1] = x1;
  input.set(net.embedding.subarray((t - 1) * E, t * E), at + 2);
  input.fill(0, at + 2 + E, at + width);
  input[at + 2 + E + label] = 1;
}

function checkLabels(labels: Int32Array, classes: number): void {
  for (let i = 0; i < labels.length; i++) {
    if (!(labels[i] >= 0 && labels[i] <= classes))
      throw new Error(`label ${labels[i]} at ${i} is outside 0…${classes} (${classes} = null)`);
  }
}

/**
 * The denoiser as the functions below evaluate it, on either engine: input rows are written
 * into `input(m)`, then `run(m, hiddenOnly, out, at)` writes ε̂ [m, 2] (or the last hidden
 * layer [m, hidden]) for them into `out` from index `at`.
 */
interface Evaluator extends InputLayout {
  /** Rows per forward pass. */
  chunk: number;
  input(rows: number): Float32Array;
  run(rows: number, hiddenOnly: boolean, out: Float32Array, at: number): void;
  dispose(): void;
}

/** The evaluator of the current engine: the fused kernels when this process runs them, else TF.js. */
function evaluator(weights: DenoiserWeights, schedule: Schedule): Evaluator {
  if (fusedKernels()) {
    checkWeights(weights);
    const { config } = weights;
    const kernel = MlpKernel.create(
      { input: inputWidth(config), hidden: config.hidden, layers: config.layers, output: 2 },
      weights.values,
      KERNEL_CHUNK,
    );
    return {
      config,
      embedding: timeEmbeddingTable(schedule.T, config.timeEmbedding),
      chunk: KERNEL_CHUNK,
      input: (rows) => kernel.input(rows),
      run: (rows, hiddenOnly, out, at) => out.set(kernel.forward(rows, hiddenOnly), at),
      dispose: () => {},
    };
  }
  const tf = tfjs();
  const net = network(weights, schedule);
  const width = inputWidth(net.config);
  let buffer = new Float32Array(0);
  return {
    config: net.config,
    embedding: net.embedding,
    chunk: CHUNK,
    input: (rows) => {
      if (buffer.length < rows * width) buffer = new Float32Array(rows * width);
      return buffer;
    },
    run: (rows, hiddenOnly, out, at) => {
      const y = tf.tidy(() => net.forward(tf.tensor2d(buffer.subarray(0, rows * width), [rows, width]), hiddenOnly));
      out.set(y.dataSync() as Float32Array, at);
      y.dispose();
    },
    dispose: () => net.dispose(),
  };
}

/**
 * ε̂ (or the last hidden layer, `hiddenOnly`) for n points x (n·2), timesteps t and labels,
 * in chunks of ≤ net.chunk rows; writes n·width values into `out`.
 */
function evaluateRows(
  net: Evaluator,
  x: ArrayLike<number>,
  t: Int32Array,
  labels: Int32Array,
  hiddenOnly: boolean,
  out: Float32Array,
): Float32Array {
  const n = labels.length;
  const outWidth = hiddenOnly ? net.config.hidden : 2;
  for (let start = 0; start < n; start += net.chunk) {
    const m = Math.min(net.chunk, n - start);
    const input = net.input(m);
    for (let r = 0; r < m; r++) writeInput(net, input, r, x[2 * (start + r)], x[2 * (start + r) + 1], t[start + r], labels[start + r]);
    net.run(m, hiddenOnly, out, start * outWidth);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Training

export interface TrainingData {
  /** n·2 coordinates. */
  points: Float32Array;
  /** n labels in 0…classes (classes = null: an unlabelled point). */
  labels: Int32Array;
  /** n weights ≥ 0; minibatches draw points with probability ∝ weight. Omitted: all 1. */
  weights?: Float64Array;
}

export interface TrainOptions {
  steps: number;
  batch: number;
  learningRate: number;
  /** Probability that a training label is replaced by the null label. */
  labelDropout: number;
}

/**
 * Draws indices 0…n−1 with probability ∝ weights (all 1 when omitted) in O(1) per draw: Walker's
 * alias method (Vose 1991's construction) over the points of positive weight only, so a point
 * of weight 0 is never drawn (not even through round-off), and data with zero-weight points
 * draw exactly what the data without them draw. Each draw uses int(m) then uniform().
 */
export function weightedSampler(n: number, weights?: Float64Array): (rng: Rng) => number {
  if (weights && weights.length !== n) throw new Error(`weights has length ${weights.length}, expected ${n}`);
  const index: number[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`weight ${w} at ${i} is not a finite number >= 0`);
    if (w > 0) {
      index.push(i);
      total += w;
    }
  }
  const m = index.length;
  if (m === 0) throw new Error('no point has positive weight');
  const prob = new Float64Array(m);
  const alias = new Int32Array(m);
  const scaled = index.map((i) => ((weights ? weights[i] : 1) * m) / total);
  const small: number[] = [];
  const large: number[] = [];
  scaled.forEach((p, k) => {
    (p < 1 ? small : large).push(k);
  });
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large.pop()!;
    prob[s] = scaled[s];
    alias[s] = l;
    scaled[l] -= 1 - scaled[s];
    (scaled[l] < 1 ? small : large).push(l);
  }
  // Left over (exactly, or by round-off): probability 1 of keeping their own index.
  for (const k of [...small, ...large]) {
    prob[k] = 1;
    alias[k] = k;
  }
  return (rng) => {
    const k = rng.int(m);
    return index[rng.uniform() < prob[k] ? k : alias[k]];
  };
}

function checkData(data: TrainingData, classes: number): number {
  const n = data.labels.length;
  if (data.points.length !== 2 * n)
    throw new Error(`training data has ${data.points.length} coordinates for ${n} labels (expected ${2 * n})`);
  checkLabels(data.labels, classes);
  return n;
}

/**
 * Adam (tf.train.adam) on the ε-prediction loss E‖ε − ε̂(√ᾱ_t x₀ + √(1−ᾱ_t) ε, t, c)‖²
 * (Ho et al.'s L_simple), t uniform on 1…T, x₀ drawn ∝ weight, c replaced by the null label
 * with probability labelDropout. Per minibatch row the draws are: point, t, ε₀, ε₁, then the
 * dropout uniform (when labelDropout > 0). Returns new weights; `init` is not modified.
 */
export function trainDenoiser(
  init: DenoiserWeights,
  schedule: Schedule,
  data: TrainingData,
  options: TrainOptions,
  rng: Rng,
): DenoiserWeights {
  const { steps, batch: B, learningRate, labelDropout } = options;
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`steps must be an integer >= 0, got ${steps}`);
  if (!Number.isInteger(B) || B < 1) throw new Error(`batch must be a positive integer, got ${B}`);
  if (!(labelDropout >= 0 && labelDropout <= 1)) throw new Error(`labelDropout must lie in [0, 1], got ${labelDropout}`);
  const { classes } = init.config;
  checkData(data, classes);
  const draw = weightedSampler(data.labels.length, data.weights);
  const { T, alphaBar } = schedule;
  const signal = alphaBar.map(Math.sqrt);
  const noise = alphaBar.map((a) => Math.sqrt(1 - a));
  const trainer = fusedKernels() ? kernelTrainer(init, schedule, B, learningRate) : tfjsTrainer(init, schedule, B, learningRate);
  const { input, target } = trainer;
  const { points, labels } = data;
  try {
    for (let step = 0; step < steps; step++) {
      for (let b = 0; b < B; b++) {
        const i = draw(rng);
        const t = 1 + rng.int(T);
        const e0 = rng.normal();
        const e1 = rng.normal();
        const label = labelDropout > 0 && rng.uniform() < labelDropout ? classes : labels[i];
        const a = signal[t - 1];
        const s = noise[t - 1];
        writeInput(trainer, input, b, a * points[2 * i] + s * e0, a * points[2 * i + 1] + s * e1, t, label);
        target[2 * b] = e0;
        target[2 * b + 1] = e1;
      }
      trainer.step();
    }
    return trainer.read();
  } finally {
    trainer.dispose();
  }
}

/**
 * One engine's Adam steps on L_simple: the caller writes a minibatch's input rows [B, width]
 * and targets ε [B, 2] into `input` and `target`, then calls step().
 */
interface Trainer extends InputLayout {
  input: Float32Array;
  target: Float32Array;
  step(): void;
  read(): DenoiserWeights;
  dispose(): void;
}

/** TF.js (the reference): optimizer.minimize of mean‖ε − ε̂‖² with tf.train.adam. */
function tfjsTrainer(init: DenoiserWeights, schedule: Schedule, B: number, learningRate: number): Trainer {
  const tf = tfjs();
  const net = network(init, schedule);
  const optimizer = tf.train.adam(learningRate);
  const width = inputWidth(init.config);
  const input = new Float32Array(B * width);
  const target = new Float32Array(B * 2);
  return {
    config: net.config,
    embedding: net.embedding,
    input,
    target,
    step: () =>
      tf.tidy(() => {
        const x = tf.tensor2d(input, [B, width]);
        const eps = tf.tensor2d(target, [B, 2]);
        optimizer.minimize(() => tf.mean(tf.sum(tf.square(tf.sub(eps, net.forward(x, false))), 1)) as TF.Scalar, false, net.variables);
      }),
    read: () => net.read(),
    dispose: () => {
      optimizer.dispose();
      net.dispose();
    },
  };
}

/** The fused kernels: the same loss and Adam update (tf.train.adam's defaults) in one wasm step. */
function kernelTrainer(init: DenoiserWeights, schedule: Schedule, B: number, learningRate: number): Trainer {
  const expected = checkWeights(init);
  const { config } = init;
  const kernel = MlpKernel.create({ input: inputWidth(config), hidden: config.hidden, layers: config.layers, output: 2 }, init.values, B);
  return {
    config,
    embedding: timeEmbeddingTable(schedule.T, config.timeEmbedding),
    // Views into the kernel's memory, which never grows past B rows: the step reads them in place.
    input: kernel.input(B),
    target: kernel.target(B),
    step: () => {
      kernel.trainStep(B, { learningRate });
    },
    read: () => ({ config: { ...config }, shapes: expected.map((s) => [...s]), values: kernel.read() }),
    dispose: () => {},
  };
}

/**
 * Monte-Carlo estimate of the ε-prediction loss on the data: per point of positive weight,
 * `repeats` draws of (t, ε₀, ε₁), true labels; the weighted mean of ‖ε − ε̂‖². The same rng
 * seed gives the same draws, so two models compare on common random numbers.
 */
export function denoisingLoss(weights: DenoiserWeights, schedule: Schedule, data: TrainingData, rng: Rng, repeats = 1): number {
  const n = checkData(data, weights.config.classes);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (!data.weights || data.weights[i] > 0) for (let r = 0; r < repeats; r++) rows.push(i);
  const m = rows.length;
  if (m === 0) throw new Error('denoisingLoss: no point has positive weight');
  const x = new Float64Array(2 * m);
  const eps = new Float64Array(2 * m);
  const t = new Int32Array(m);
  const labels = new Int32Array(m);
  rows.forEach((i, j) => {
    t[j] = 1 + rng.int(schedule.T);
    eps[2 * j] = rng.normal();
    eps[2 * j + 1] = rng.normal();
    const a = Math.sqrt(schedule.alphaBar[t[j] - 1]);
    const s = Math.sqrt(1 - schedule.alphaBar[t[j] - 1]);
    x[2 * j] = a * data.points[2 * i] + s * eps[2 * j];
    x[2 * j + 1] = a * data.points[2 * i + 1] + s * eps[2 * j + 1];
    labels[j] = data.labels[i];
  });
  const net = evaluator(weights, schedule);
  let predicted: Float32Array;
  try {
    predicted = evaluateRows(net, x, t, labels, false, new Float32Array(2 * m));
  } finally {
    net.dispose();
  }
  let sum = 0;
  let total = 0;
  rows.forEach((i, j) => {
    const w = data.weights ? data.weights[i] : 1;
    sum += w * ((eps[2 * j] - predicted[2 * j]) ** 2 + (eps[2 * j + 1] - predicted[2 * j + 1]) ** 2);
    total += w;
  });
  return sum / total;
}

// ---------------------------------------------------------------------------------------
// Sampling

/** What sampleDdim returns: x₀ (n·2) and, when recorded, per step k (order of use) x before the step, z and ε̂. */
export interface DdimSample {
  x0: Float32Array;
  trajectory?: { x: Float32Array[]; z: Float32Array[]; eps: Float32Array[] };
}

/**
 * The reverse loop shared by DDPM and DDIM: x ~ N(0, I) (drawn first), then per step k one
 * forward pass at timestep steps[k] for all points, z ~ N(0, I), x ← scale_k·x − c_k·ε̂ + σ_k·z.
 * z is drawn at every step, even where σ_k = 0, so runs that differ only in σ share their noise.
 */
function reverse(
  weights: DenoiserWeights,
  schedule: Schedule,
  steps: number[],
  scale: Float64Array,
  c: Float64Array,
  sigma: ArrayLike<number>,
  labels: Int32Array,
  rng: Rng,
  record: boolean,
  guidance = 0,
): DdimSample {
  checkLabels(labels, weights.config.classes);
  if (!(guidance >= 0 && Number.isFinite(guidance))) throw new Error(`guidance must be a finite number ≥ 0, got ${guidance}`);
  const n = labels.length;
  const nullLabels = guidance > 0 ? new Int32Array(n).fill(weights.config.classes) : undefined;
  const epsNull = guidance > 0 ? new Float32Array(2 * n) : undefined;
  const x = rng.fillNormal(new Float64Array(2 * n));
  const z = new Float64Array(2 * n);
  const eps = new Float32Array(2 * n);
  const t = new Int32Array(n);
  const trajectory = record ? { x: [] as Float32Array[], z: [] as Float32Array[], eps: [] as Float32Array[] } : undefined;
  const net = evaluator(weights, schedule);
  try {
    for (let k = 0; k < steps.length; k++) {
      t.fill(steps[k]);
      evaluateRows(net, x, t, labels, false, eps);
      if (nullLabels && epsNull) {
        // Classifier-free guidance (Ho & Salimans 2022): ε̃ = (1 + w)·ε̂(x, c) − w·ε̂(x, ∅).
        evaluateRows(net, x, t, nullLabels, false, epsNull);
        for (let j = 0; j < eps.length; j++) eps[j] = (1 + guidance) * eps[j] - guidance * epsNull[j];
      }
      rng.fillNormal(z);
      if (trajectory) {
        trajectory.x.push(new Float32Array(x));
        trajectory.z.push(new Float32Array(z));
        trajectory.eps.push(eps.slice());
      }
      reverseStep(x, eps, z, scale[k], c[k], sigma[k]);
    }
  } finally {
    net.dispose();
  }
  return trajectory ? { x0: new Float32Array(x), trajectory } : { x0: new Float32Array(x) };
}

/**
 * Ancestral DDPM sampling, x_T ~ N(0, I) → x₀ over every timestep:
 *   x_{t−1} = (x_t − β_t/√(1−ᾱ_t)·ε̂)/√α_t + σ_t z,  σ_t² = β̃_t = β_t(1−ᾱ_{t−1})/(1−ᾱ_t)
 * (ᾱ₀ = 1, so the last step adds no noise). Returns n·2 coordinates. `guidance` w > 0 uses
 * classifier-free guidance, ε̃ = (1 + w)·ε̂(x, c) − w·ε̂(x, ∅): the sampling bias that sharpens
 * each class (and, retrained on, loses diversity fastest; Alemohammad et al. 2024).
 */
export function sampleDdpm(weights: DenoiserWeights, schedule: Schedule, labels: Int32Array, rng: Rng, guidance = 0): Float32Array {
  const { T, beta, alpha, alphaBar } = schedule;
  const steps = Array.from({ length: T }, (_, k) => T - k);
  const scale = new Float64Array(T);
  const c = new Float64Array(T);
  const sigma = new Float64Array(T);
  steps.forEach((t, k) => {
    const prev = t > 1 ? alphaBar[t - 2] : 1;
    scale[k] = 1 / Math.sqrt(alpha[t - 1]);
    c[k] = beta[t - 1] / Math.sqrt(1 - alphaBar[t - 1]) / Math.sqrt(alpha[t - 1]);
    sigma[k] = Math.sqrt((beta[t - 1] * (1 - prev)) / (1 - alphaBar[t - 1]));
  });
  return reverse(weights, schedule, steps, scale, c, sigma, labels, rng, false, guidance).x0;
}

/**
 * DDIM sampling over `ddim`'s sub-sequence with per-step noise σ (length = steps, in order of
 * use; all 0 = deterministic DDIM, ddimSigma(·, k, 1) = DDPM-like). With `record`, per step k
 * the x before the step, the noise z it used and ε̂ (for policy-gradient fine-tuning).
 */
export function sampleDdim(
  weights: DenoiserWeights,
  schedule: Schedule,
  ddim: DdimSchedule,
  sigma: Float64Array,
  labels: Int32Array,
  rng: Rng,
  record = false,
): DdimSample {
  const S = ddim.steps.length;
  if (sigma.length !== S) throw new Error(`sigma has length ${sigma.length}, expected ${S} (one per DDIM step)`);
  const scale = ddim.alpha.map((a) => 1 / Math.sqrt(a));
  const c = new Float64Array(S).map((_, k) => ddimCoefficient(ddim, k, sigma[k]));
  return reverse(weights, schedule, ddim.steps, scale, c, sigma, labels, rng, record);
}

/**
 * Features of points: the last hidden layer (hidden dims) at each of `timesteps`, with the
 * null label (so they carry no conditioning), for x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε (ε from rng,
 * fresh per timestep), averaged over the timesteps. Returns n·hidden values.
 */
export function latents(weights: DenoiserWeights, schedule: Schedule, points: Float32Array, timesteps: number[], rng: Rng): Float32Array {
  const n = points.length / 2;
  const H = weights.config.hidden;
  if (!Number.isInteger(n)) throw new Error(`latents: points has odd length ${points.length}`);
  if (timesteps.length === 0) throw new Error('latents needs at least one timestep');
  for (const t of timesteps)
    if (!Number.isInteger(t) || t < 1 || t > schedule.T) throw new Error(`latents: timestep ${t} is outside 1…${schedule.T}`);
  const labels = new Int32Array(n).fill(weights.config.classes);
  const sum = new Float64Array(n * H);
  const h = new Float32Array(n * H);
  const x = new Float64Array(2 * n);
  const eps = new Float64Array(2 * n);
  const t = new Int32Array(n);
  const net = evaluator(weights, schedule);
  try {
    for (const step of timesteps) {
      const a = Math.sqrt(schedule.alphaBar[step - 1]);
      const s = Math.sqrt(1 - schedule.alphaBar[step - 1]);
      rng.fillNormal(eps);
      for (let j = 0; j < 2 * n; j++) x[j] = a * points[j] + s * eps[j];
      evaluateRows(net, x, t.fill(step), labels, true, h);
      for (let j = 0; j < n * H; j++) sum[j] += h[j];
    }
  } finally {
    net.dispose();
  }
  const out = new Float32Array(n * H);
  for (let j = 0; j < n * H; j++) out[j] = sum[j] / timesteps.length;
  return out;
}
