/**
 * A ReLU multilayer perceptron on the fused wasm SIMD kernels (kernels/mlp/assembly/index.ts):
 * input → `layers` × (Dense(hidden) + ReLU) → Dense(output), weights per layer W [in, out] then
 * b [out] (the layout of benchmarks/diffusion/ddpm.ts's DenoiserWeights and of TF.js's dense
 * layers), with a forward pass, a backward pass from any upstream gradient, the squared-error
 * loss and Adam (tf.train.adam's float32 update and defaults).
 *
 * Each network owns one WebAssembly instance and its linear memory: the weights, Adam's moments
 * and gradients first, then the activations of up to `capacity` rows, which grow on demand. The
 * input rows and targets are written straight into that memory through `input()` / `target()`,
 * so a training step or a forward pass copies nothing but its result.
 *
 * Determinism: every sum runs in a fixed order in float32, and an output row depends only on its
 * own input row, so results are bit-identical run to run and whatever the rows per call.
 */
import { MLP_WASM_BASE64 } from './wasm.generated.ts';

/** The layer widths. */
export interface MlpShape {
  input: number;
  hidden: number;
  /** Hidden Dense(hidden) + ReLU layers (≥ 1). */
  layers: number;
  output: number;
}

/** Adam's hyperparameters; the defaults are tf.train.adam's (ε = 1e-7: TF.js's float32 backend epsilon). */
export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** The exports of the compiled kernels (addresses are byte offsets into `memory`). */
interface Kernels {
  memory: WebAssembly.Memory;
  heapBase(): number;
  gemm(a: number, b: number, c: number, M: number, K: number, N: number, bias: number, relu: number): void;
  transpose(input: number, out: number, M: number, N: number): void;
  reluBackward(grad: number, activation: number, n: number): void;
  columnSums(input: number, out: number, M: number, N: number): void;
  squaredErrorGrad(out: number, target: number, grad: number, M: number, N: number): number;
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
}

let compiled: WebAssembly.Module | undefined;

/** The compiled module, decoded and compiled once per process (synchronously: it is 3 KB). */
function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(MLP_WASM_BASE64, 'base64'));
  return compiled;
}

const PAGE = 65536;
const align = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** The parameter shapes of an MLP: per layer [in, out] then [out], the output layer last. */
export function mlpParameterShapes(shape: MlpShape): number[][] {
  const shapes: number[][] = [];
  let fanIn = shape.input;
  for (let l = 0; l < shape.layers; l++) {
    shapes.push([fanIn, shape.hidden], [shape.hidden]);
    fanIn = shape.hidden;
  }
  shapes.push([fanIn, shape.output], [shape.output]);
  return shapes;
}

/** A network on the wasm kernels (see the module comment). */
export class MlpKernel {
  readonly shape: MlpShape;
  readonly parameterShapes: number[][];
  private readonly k: Kernels;
  /** Widths of the activations: input, each hidden layer, output. */
  private readonly widths: number[];
  private readonly sizes: number[];
  /** Byte addresses of each parameter's value, gradient and Adam moments. */
  private readonly value: number[] = [];
  private readonly grad: number[] = [];
  private readonly moment1: number[] = [];
  private readonly moment2: number[] = [];
  /** Where the row buffers start (after the parameters). */
  private readonly rowsBase: number;
  private capacity = 0;
  private activation: number[] = [];
  private targetAt = 0;
  private scratchA = 0;
  private scratchB = 0;
  private transposedInput = 0;
  private transposedWeight = 0;
  private view: Float32Array;
  /** Rows of the last forward pass that kept its activations for a backward pass. */
  private forwardRows = -1;
  /** Adam's step count and running β powers (float32, as TF.js's accBeta variables). */
  private adamSteps = 0;
  private accBeta1 = 0;
  private accBeta2 = 0;

  private constructor(shape: MlpShape, values: Float32Array[], capacity: number) {
    for (const key of ['input', 'hidden', 'layers', 'output'] as const) {
      if (!Number.isInteger(shape[key]) || shape[key] < 1)
        throw new Error(`MLP shape ${key} must be a positive integer, got ${shape[key]}`);
    }
    this.shape = { ...shape };
    this.parameterShapes = mlpParameterShapes(shape);
    this.sizes = this.parameterShapes.map((s) => s.reduce((a, b) => a * b, 1));
    if (values.length !== this.sizes.length || values.some((v, i) => v.length !== this.sizes[i])) {
      throw new Error(
        `MLP weights do not match shape ${JSON.stringify(this.parameterShapes)} (got lengths ${values.map((v) => v.length).join(', ')})`,
      );
    }
    this.widths = [shape.input, ...Array<number>(shape.layers).fill(shape.hidden), shape.output];
    this.k = new WebAssembly.Instance(kernelModule(), {}).exports as unknown as Kernels;
    // Never address 0: gemm reads a bias address of 0 as "no bias".
    let at = align(Math.max(16, this.k.heapBase()));
    for (const size of this.sizes) {
      for (const list of [this.value, this.grad, this.moment1, this.moment2]) {
        list.push(at);
        at += align(4 * size);
      }
    }
    this.rowsBase = at;
    this.view = new Float32Array(this.k.memory.buffer);
    this.reserve(Math.max(1, capacity));
    values.forEach((v, i) => {
      this.view.set(v, this.value[i] / 4);
      this.view.fill(0, this.moment1[i] / 4, this.moment1[i] / 4 + v.length);
      this.view.fill(0, this.moment2[i] / 4, this.moment2[i] / 4 + v.length);
    });
  }

  /**
   * A network with these weights (copied): per layer W [in, out] row-major then b [out], the
   * output layer last (mlpParameterShapes). `capacity` rows are laid out up front; more grow on demand.
   */
  static create(shape: MlpShape, values: Float32Array[], capacity = 256): MlpKernel {
    return new MlpKernel(shape, values, capacity);
  }

  /** Makes room for `rows` rows of activations (growing memory invalidates earlier views). */
  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const maxWidth = Math.max(...this.widths);
    let at = this.rowsBase;
    const take = (floats: number) => {
      const start = at;
      at += align(4 * floats);
      return start;
    };
    this.activation = this.widths.map((w) => take(rows * w));
    this.targetAt = take(rows * this.shape.output);
    this.scratchA = take(rows * maxWidth);
    this.scratchB = take(rows * maxWidth);
    this.transposedInput = take(rows * maxWidth);
    this.transposedWeight = take(maxWidth * maxWidth);
    const pages = Math.ceil(at / PAGE) - this.k.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.k.memory.grow(pages);
    this.view = new Float32Array(this.k.memory.buffer);
    this.capacity = rows;
    this.forwardRows = -1;
  }

  /** Writable view of the input rows [rows, input] of the next forward pass (valid until a call with more rows). */
  input(rows: number): Float32Array {
    this.reserve(rows);
    return this.view.subarray(this.activation[0] / 4, this.activation[0] / 4 + rows * this.shape.input);
  }

  /** Writable view of the targets [rows, output] of the next trainStep (valid until a call with more rows). */
  target(rows: number): Float32Array {
    this.reserve(rows);
    return this.view.subarray(this.targetAt / 4, this.targetAt / 4 + rows * this.shape.output);
  }

  /**
   * The forward pass over the first `rows` input rows (written through input()). Returns a view
   * of the output [rows, output], or with `hiddenOnly` of the last hidden layer [rows, hidden];
   * the view is overwritten by the next call. Keeps the activations for backward().
   */
  forward(rows: number, hiddenOnly = false): Float32Array {
    this.checkRows(rows);
    const { layers } = this.shape;
    const last = hiddenOnly ? layers : layers + 1;
    for (let l = 0; l < last; l++) {
      this.k.gemm(
        this.activation[l],
        this.value[2 * l],
        this.activation[l + 1],
        rows,
        this.widths[l],
        this.widths[l + 1],
        this.value[2 * l + 1],
        l < layers ? 1 : 0,
      );
    }
    this.forwardRows = hiddenOnly ? -1 : rows;
    const out = this.activation[last] / 4;
    return this.view.subarray(out, out + rows * this.widths[last]);
  }

  /**
   * Gradients of every parameter for the last forward pass (all `rows` rows), given the
   * gradient of the output [rows, output]; read them with gradients() or apply adamStep().
   */
  backward(rows: number, upstream: Float32Array): void {
    if (upstream.length !== rows * this.shape.output)
      throw new Error(`upstream gradient has ${upstream.length} values, expected ${rows * this.shape.output}`);
    this.checkBackward(rows);
    this.view.set(upstream, this.scratchA / 4);
    this.backpropagate(rows);
  }

  /**
   * One step of Adam on the squared error (1/rows) Σ ‖target − ε̂‖² (the ε-prediction loss) for
   * the input rows and targets written through input() and target(): forward, backward, update.
   * Returns the loss before the update.
   */
  trainStep(rows: number, adam: AdamOptions): number {
    this.forward(rows);
    const out = this.activation[this.shape.layers + 1];
    const loss = this.k.squaredErrorGrad(out, this.targetAt, this.scratchA, rows, this.shape.output);
    this.backpropagate(rows);
    this.adamStep(adam);
    return loss;
  }

  /** Copies of the gradients of the last backward pass, in parameter order. */
  gradients(): Float32Array[] {
    return this.grad.map((at, i) => this.view.slice(at / 4, at / 4 + this.sizes[i]));
  }

  /**
   * Adam's update of every parameter from the current gradients, as tf.train.adam (its float32
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
    for (let i = 0; i < this.sizes.length; i++) {
      this.k.adam(
        this.value[i],
        this.grad[i],
        this.moment1[i],
        this.moment2[i],
        this.sizes[i],
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

  /** Copies of the weights, in parameter order. */
  read(): Float32Array[] {
    return this.value.map((at, i) => this.view.slice(at / 4, at / 4 + this.sizes[i]));
  }

  private checkRows(rows: number): void {
    if (!Number.isInteger(rows) || rows < 1 || rows > this.capacity)
      throw new Error(`rows must be an integer in 1…${this.capacity} (write them through input() first), got ${rows}`);
  }

  private checkBackward(rows: number): void {
    if (rows !== this.forwardRows) throw new Error(`backward(${rows}) needs a full forward pass over ${rows} rows first`);
  }

  /** Backpropagation from the output gradient in scratchA to every parameter's gradient. */
  private backpropagate(rows: number): void {
    const { layers } = this.shape;
    let upstream = this.scratchA;
    let downstream = this.scratchB;
    for (let l = layers; l >= 0; l--) {
      const fanIn = this.widths[l];
      const fanOut = this.widths[l + 1];
      // Through the ReLU of hidden layer l (its output is activation[l + 1]).
      if (l < layers) this.k.reluBackward(upstream, this.activation[l + 1], rows * fanOut);
      // ∂b = Σ_rows dy,  ∂W = xᵀ·dy,  ∂x = dy·Wᵀ (not needed below the first layer).
      this.k.columnSums(upstream, this.grad[2 * l + 1], rows, fanOut);
      this.k.transpose(this.activation[l], this.transposedInput, rows, fanIn);
      this.k.gemm(this.transposedInput, upstream, this.grad[2 * l], fanIn, rows, fanOut, 0, 0);
      if (l > 0) {
        this.k.transpose(this.value[2 * l], this.transposedWeight, fanIn, fanOut);
        this.k.gemm(upstream, this.transposedWeight, downstream, rows, fanOut, fanIn, 0, 0);
        [upstream, downstream] = [downstream, upstream];
      }
    }
  }
}
