/**
 * The character language model of benchmarks/recursive-lm/char.ts on fused wasm SIMD kernels
 * (kernels/charlm/assembly/index.ts), R independent replicates side by side:
 *
 *   x = [E(c₁); …; E(c_k)],  h = tanh(x·W₁ + b₁),  logits = h·W₂ + b₂,
 *
 * weights per replicate [emb (S×E), W₁ (kE×H), b₁ (H), W₂ (H×V), b₂ (V)] — S input symbols (V
 * characters + PAD), V output classes — each tensor stored for all replicates together
 * ([R, a, b], char.ts's CharModel layout). A training step is the forward pass, the weighted
 * softmax cross-entropy Σ_b scale_b·CE_b per replicate, the backward pass (hand-written, checked
 * against TF.js's autodiff in charlm.test.ts) and one Adam update (tf.train.adam's float32
 * operations; Adam is element-wise, so one update of all replicates' weights equals one per
 * replicate). Sampling and evaluation use the forward pass and its log-softmax.
 *
 * One WebAssembly instance and memory per model: the weights, gradients and Adam moments first,
 * then the per-row buffers for up to `capacity` rows per replicate, grown on demand. Contexts,
 * targets and scales are written straight into that memory through contexts() / targets() /
 * scales().
 *
 * Determinism: every sum runs in a fixed order in float32 and an output row depends only on its
 * own context, so results are bit-identical run to run. They are not bit-identical to TF.js:
 * tanh is musl's tanhf, which differs from tfjs-wasm's Tanh by 1–2 ulp on about 0.4% of inputs
 * (exp, log and the products match it exactly); see kernels/charlm/README.md.
 */
import { CHARLM_WASM_BASE64 } from './wasm.generated.ts';
import type { AdamOptions } from '../mlp/mlp.ts';

export type { AdamOptions } from '../mlp/mlp.ts';

/** The model's sizes. */
export interface CharLmShape {
  replicates: number;
  /** Context characters k. */
  window: number;
  /** Embedding width E. */
  embedding: number;
  /** tanh units H. */
  hidden: number;
  /** Input symbols S (rows of the embedding table; ids must be < S). */
  symbols: number;
  /** Output classes V (logits per row). */
  classes: number;
}

/** The exports of the compiled kernels (addresses are byte offsets into `memory`). */
interface Kernels {
  memory: WebAssembly.Memory;
  heapBase(): number;
  gemm(a: number, b: number, c: number, M: number, K: number, N: number, bias: number, relu: number): void;
  transpose(input: number, out: number, M: number, N: number): void;
  columnSums(input: number, out: number, M: number, N: number): void;
  adam(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    oneMinusBeta1: number,
    oneMinusBeta2: number,
    c1: number,
    c2: number,
    epsilon: number,
  ): void;
  gatherRows(ids: number, table: number, out: number, count: number, width: number): void;
  gemmBlocked(a: number, b: number, c: number, M: number, K: number, N: number): void;
  scatterAddRows(ids: number, grad: number, table: number, partial: number, count: number, width: number, tableRows: number): void;
  tanhInPlace(x: number, n: number): void;
  tanhBackward(grad: number, y: number, n: number): void;
  logSoftmax(logits: number, out: number, rows: number, n: number): void;
  weightedCrossEntropyGrad(logp: number, targets: number, scales: number, grad: number, rows: number, n: number): number;
}

let compiled: WebAssembly.Module | undefined;

/** The compiled module, decoded and compiled once per process (synchronously: it is 5 KB). */
function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(CHARLM_WASM_BASE64, 'base64'));
  return compiled;
}

const PAGE = 65536;
const align = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** Per replicate, the parameter shapes [rows, columns]: emb, W₁, b₁, W₂, b₂. */
export function charLmParameterShapes(shape: CharLmShape): [number, number][] {
  const { window: k, embedding: E, hidden: H, symbols: S, classes: V } = shape;
  return [
    [S, E],
    [k * E, H],
    [1, H],
    [H, V],
    [1, V],
  ];
}

/** A character model on the wasm kernels (see the module comment). */
export class CharLmKernel {
  readonly shape: CharLmShape;
  private readonly k: Kernels;
  /** Floats per replicate of each parameter. */
  private readonly sizes: number[];
  /** Byte addresses of each parameter's value, gradient and Adam moments (all replicates). */
  private readonly value: number[] = [];
  private readonly grad: number[] = [];
  private readonly moment1: number[] = [];
  private readonly moment2: number[] = [];
  private readonly rowsBase: number;
  private capacity = 0;
  // Row buffers: per replicate (× R) for contexts … logProbs, shared scratch for the rest.
  private contextAt = 0;
  private targetAt = 0;
  private scaleAt = 0;
  private inputAt = 0;
  private hiddenAt = 0;
  private logitsAt = 0;
  private logProbAt = 0;
  private dLogitsAt = 0;
  private dHiddenAt = 0;
  private dInputAt = 0;
  private transposedAt = 0;
  private transposedWeightAt = 0;
  private view: Float32Array;
  private ints: Int32Array;
  private adamSteps = 0;
  private accBeta1 = 0;
  private accBeta2 = 0;

  private constructor(shape: CharLmShape, weights: Float32Array[], capacity: number) {
    for (const key of ['replicates', 'window', 'embedding', 'hidden', 'symbols', 'classes'] as const) {
      if (!Number.isInteger(shape[key]) || shape[key] < 1)
        throw new Error(`char LM shape ${key} must be a positive integer, got ${shape[key]}`);
    }
    this.shape = { ...shape };
    this.sizes = charLmParameterShapes(shape).map(([a, b]) => a * b);
    const R = shape.replicates;
    this.k = new WebAssembly.Instance(kernelModule(), {}).exports as unknown as Kernels;
    // Never address 0: gemm reads a bias address of 0 as "no bias".
    let at = align(Math.max(16, this.k.heapBase()));
    for (const size of this.sizes) {
      for (const list of [this.value, this.grad, this.moment1, this.moment2]) {
        list.push(at);
        at += align(4 * R * size);
      }
    }
    this.rowsBase = at;
    this.view = new Float32Array(this.k.memory.buffer);
    this.ints = new Int32Array(this.k.memory.buffer);
    this.reserve(Math.max(1, capacity));
    this.setWeights(weights);
  }

  /**
   * Replaces the weights (copied, create()'s layout) and starts Adam afresh (zero moments,
   * step 0): the model is then as if just created with them, so one instance and its memory
   * can serve model after model (every other buffer is written before it is read).
   */
  setWeights(weights: Float32Array[]): void {
    const R = this.shape.replicates;
    if (weights.length !== 5 || weights.some((w, i) => w.length !== R * this.sizes[i])) {
      throw new Error(
        `char LM weights do not match ${R} replicates of ${JSON.stringify(charLmParameterShapes(this.shape))} (got lengths ${weights.map((w) => w.length).join(', ')})`,
      );
    }
    weights.forEach((w, i) => {
      this.view.set(w, this.value[i] / 4);
      this.view.fill(0, this.moment1[i] / 4, this.moment1[i] / 4 + w.length);
      this.view.fill(0, this.moment2[i] / 4, this.moment2[i] / 4 + w.length);
    });
    this.adamSteps = 0;
  }

  /**
   * A model with these weights (copied), in char.ts's layout: [emb, W₁, b₁, W₂, b₂], each
   * [R, a, b] row-major (charLmParameterShapes per replicate). `capacity` rows per replicate
   * are laid out up front; more grow on demand.
   */
  static create(shape: CharLmShape, weights: Float32Array[], capacity = 64): CharLmKernel {
    return new CharLmKernel(shape, weights, capacity);
  }

  /** Makes room for `rows` rows per replicate (growing memory invalidates earlier views). */
  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const { replicates: R, window: k, embedding: E, hidden: H, classes: V } = this.shape;
    let at = this.rowsBase;
    const take = (floats: number) => {
      const start = at;
      at += align(4 * floats);
      return start;
    };
    this.contextAt = take(R * rows * k);
    this.targetAt = take(R * rows);
    this.scaleAt = take(R * rows);
    this.inputAt = take(R * rows * k * E);
    this.hiddenAt = take(R * rows * H);
    this.logitsAt = take(R * rows * V);
    this.logProbAt = take(R * rows * V);
    this.dLogitsAt = take(rows * V);
    this.dHiddenAt = take(rows * H);
    this.dInputAt = take(rows * k * E);
    this.transposedAt = take(rows * Math.max(k * E, H));
    this.transposedWeightAt = take(Math.max(k * E * H, H * V, this.shape.symbols * E));
    const pages = Math.ceil(at / PAGE) - this.k.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.k.memory.grow(pages);
    this.view = new Float32Array(this.k.memory.buffer);
    this.ints = new Int32Array(this.k.memory.buffer);
    this.capacity = rows;
  }

  /**
   * Writable view of the contexts [R, rows, k] (ids < symbols) of the next forward pass or
   * training step (valid until a call with more rows). Reserve the rows first: write contexts,
   * targets and scales after the last of these three calls that grows memory.
   */
  contexts(rows: number): Int32Array {
    this.reserve(rows);
    const start = this.contextAt / 4;
    return this.ints.subarray(start, start + this.shape.replicates * rows * this.shape.window);
  }

  /** Writable view of the target classes [R, rows] of the next training step. */
  targets(rows: number): Int32Array {
    this.reserve(rows);
    const start = this.targetAt / 4;
    return this.ints.subarray(start, start + this.shape.replicates * rows);
  }

  /** Writable view of the per-row loss weights [R, rows] of the next training step. */
  scales(rows: number): Float32Array {
    this.reserve(rows);
    const start = this.scaleAt / 4;
    return this.view.subarray(start, start + this.shape.replicates * rows);
  }

  /** The logits [R·rows, V] (replicate-major) for the first `rows` contexts per replicate; the view is overwritten by the next call. */
  forward(rows: number): Float32Array {
    this.checkRows(rows);
    const { replicates: R, window: k, embedding: E, hidden: H, symbols: S, classes: V } = this.shape;
    this.checkIds(rows);
    for (let r = 0; r < R; r++) {
      const input = this.inputAt + 4 * r * rows * k * E;
      const hidden = this.hiddenAt + 4 * r * rows * H;
      this.k.gatherRows(this.contextAt + 4 * r * rows * k, this.value[0] + 4 * r * S * E, input, rows * k, E);
      this.k.gemm(input, this.value[1] + 4 * r * this.sizes[1], hidden, rows, k * E, H, this.value[2] + 4 * r * H, 0);
      this.k.tanhInPlace(hidden, rows * H);
      this.k.gemm(
        hidden,
        this.value[3] + 4 * r * this.sizes[3],
        this.logitsAt + 4 * r * rows * V,
        rows,
        H,
        V,
        this.value[4] + 4 * r * V,
        0,
      );
    }
    return this.view.subarray(this.logitsAt / 4, this.logitsAt / 4 + R * rows * V);
  }

  /** log softmax of the logits, [R·rows, V] (tf.logSoftmax's float32 operations); overwritten by the next call. */
  logProbabilities(rows: number): Float32Array {
    this.forward(rows);
    const n = this.shape.replicates * rows;
    this.k.logSoftmax(this.logitsAt, this.logProbAt, n, this.shape.classes);
    return this.view.subarray(this.logProbAt / 4, this.logProbAt / 4 + n * this.shape.classes);
  }

  /**
   * Per replicate, the loss Σ_b scale_b·(−log p(target_b | context_b)) over its first `rows`
   * rows (float32, summed in row order), and the gradients of their sum with respect to every
   * weight (read them with gradients() or apply adamStep()).
   */
  lossAndGradients(rows: number): Float32Array {
    this.logProbabilities(rows);
    const { replicates: R, window: k, embedding: E, hidden: H, symbols: S, classes: V } = this.shape;
    this.checkTargets(rows);
    const losses = new Float32Array(R);
    const kE = k * E;
    for (let r = 0; r < R; r++) {
      const input = this.inputAt + 4 * r * rows * kE;
      const hidden = this.hiddenAt + 4 * r * rows * H;
      const w1 = this.value[1] + 4 * r * this.sizes[1];
      const w2 = this.value[3] + 4 * r * this.sizes[3];
      losses[r] = this.k.weightedCrossEntropyGrad(
        this.logProbAt + 4 * r * rows * V,
        this.targetAt + 4 * r * rows,
        this.scaleAt + 4 * r * rows,
        this.dLogitsAt,
        rows,
        V,
      );
      // Output layer: ∂b₂ = Σ_rows ∂z, ∂W₂ = hᵀ·∂z, ∂h = ∂z·W₂ᵀ.
      this.k.columnSums(this.dLogitsAt, this.grad[4] + 4 * r * V, rows, V);
      this.k.transpose(hidden, this.transposedAt, rows, H);
      this.k.gemmBlocked(this.transposedAt, this.dLogitsAt, this.grad[3] + 4 * r * this.sizes[3], H, rows, V);
      this.k.transpose(w2, this.transposedWeightAt, H, V);
      this.k.gemmBlocked(this.dLogitsAt, this.transposedWeightAt, this.dHiddenAt, rows, V, H);
      // Through tanh, then the hidden layer: ∂b₁, ∂W₁ = xᵀ·∂a, ∂x = ∂a·W₁ᵀ.
      this.k.tanhBackward(this.dHiddenAt, hidden, rows * H);
      this.k.columnSums(this.dHiddenAt, this.grad[2] + 4 * r * H, rows, H);
      this.k.transpose(input, this.transposedAt, rows, kE);
      this.k.gemmBlocked(this.transposedAt, this.dHiddenAt, this.grad[1] + 4 * r * this.sizes[1], kE, rows, H);
      this.k.transpose(w1, this.transposedWeightAt, kE, H);
      this.k.gemmBlocked(this.dHiddenAt, this.transposedWeightAt, this.dInputAt, rows, H, kE);
      // The embedding: each context position's gradient added to its symbol's row (scratch: the
      // transposed-weight buffer, free again).
      this.k.scatterAddRows(
        this.contextAt + 4 * r * rows * k,
        this.dInputAt,
        this.grad[0] + 4 * r * S * E,
        this.transposedWeightAt,
        rows * k,
        E,
        S,
      );
    }
    return losses;
  }

  /**
   * One Adam step on the weighted cross-entropy of the first `rows` contexts, targets and
   * scales per replicate: forward, backward, update. Returns each replicate's loss before it.
   */
  trainStep(rows: number, adam: AdamOptions): Float32Array {
    const losses = this.lossAndGradients(rows);
    this.adamStep(adam);
    return losses;
  }

  /**
   * Adam's update of every weight from the current gradients, as tf.train.adam (its float32
   * operations in its order; the β powers kept in float32 like its accBeta variables).
   */
  adamStep(options: AdamOptions): void {
    const beta1 = options.beta1 ?? 0.9;
    const beta2 = options.beta2 ?? 0.999;
    const epsilon = options.epsilon ?? 1e-7;
    if (this.adamSteps === 0) {
      this.accBeta1 = Math.fround(beta1);
      this.accBeta2 = Math.fround(beta2);
    }
    const c1 = Math.fround(1 - this.accBeta1);
    const c2 = Math.fround(1 - this.accBeta2);
    const R = this.shape.replicates;
    for (let i = 0; i < this.sizes.length; i++) {
      this.k.adam(
        this.value[i],
        this.grad[i],
        this.moment1[i],
        this.moment2[i],
        R * this.sizes[i],
        options.learningRate,
        beta1,
        beta2,
        1 - beta1,
        1 - beta2,
        c1,
        c2,
        epsilon,
      );
    }
    this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(beta1));
    this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(beta2));
    this.adamSteps++;
  }

  /** Copies of the gradients of the last lossAndGradients, in the weights' layout. */
  gradients(): Float32Array[] {
    return this.grad.map((at, i) => this.view.slice(at / 4, at / 4 + this.shape.replicates * this.sizes[i]));
  }

  /** Copies of the weights, in the layout create() takes. */
  read(): Float32Array[] {
    return this.value.map((at, i) => this.view.slice(at / 4, at / 4 + this.shape.replicates * this.sizes[i]));
  }

  private checkRows(rows: number): void {
    if (!Number.isInteger(rows) || rows < 1 || rows > this.capacity)
      throw new Error(`rows must be an integer in 1…${this.capacity} (write them through contexts() first), got ${rows}`);
  }

  /** Context ids index the embedding table: one out of range would read other weights. */
  private checkIds(rows: number): void {
    const start = this.contextAt / 4;
    const end = start + this.shape.replicates * rows * this.shape.window;
    const S = this.shape.symbols;
    for (let i = start; i < end; i++) {
      const id = this.ints[i];
      if (!(id >= 0 && id < S)) throw new Error(`context id ${id} is outside 0…${S - 1}`);
    }
  }

  private checkTargets(rows: number): void {
    const start = this.targetAt / 4;
    const end = start + this.shape.replicates * rows;
    const V = this.shape.classes;
    for (let i = start; i < end; i++) {
      const id = this.ints[i];
      if (!(id >= 0 && id < V)) throw new Error(`target ${id} is outside 0…${V - 1}`);
    }
  }
}
