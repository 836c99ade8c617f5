// Character-LM kernels in AssemblyScript with 128-bit wasm SIMD (compiled by kernels/charlm/build.ts).
//
// The neural character model of benchmarks/recursive-lm/char.ts (embedding → tanh dense → logits,
// weighted softmax cross-entropy) on float32 row-major matrices at byte addresses in linear
// memory; the TypeScript wrapper (kernels/charlm/charlm.ts) lays the buffers out and calls these
// in order. The dense products, transposes, bias gradients and Adam are kernels/mlp's, compiled
// in from its source, so both modules sum in the same fixed order. Nothing allocates
// (`--runtime stub`); every loop has a fixed order, so results are bit-identical run to run and
// an output row depends only on its own input row.

export { heapBase, gemm, transpose, columnSums, adam } from '../../mlp/assembly/index';

// @ts-ignore: decorator
@inline
function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** out[j, :] = table[ids[j], :] for j < count, rows of `width` floats (the embedding lookup). */
export function gatherRows(ids: usize, table: usize, out: usize, count: i32, width: i32): void {
  const bytes = <usize>width << 2;
  for (let j = 0; j < count; j++) {
    memory.copy(out + <usize>j * bytes, table + <usize>load<i32>(at(ids, j)) * bytes, bytes);
  }
}

/**
 * The embedding gradient: table[tableRows, width] ← 0, then table[ids[j], :] += grad[j, :] for
 * j = 0, 1, … in order (the sum a one-hot × table product's gradient forms, without its zeros).
 */
export function scatterAddRows(ids: usize, grad: usize, table: usize, count: i32, width: i32, tableRows: i32): void {
  memory.fill(table, 0, <usize>(tableRows * width) << 2);
  for (let j = 0; j < count; j++) {
    const src = at(grad, j * width);
    const dst = at(table, load<i32>(at(ids, j)) * width);
    let e = 0;
    for (; e + 4 <= width; e += 4) v128.store(at(dst, e), f32x4.add(v128.load(at(dst, e)), v128.load(at(src, e))));
    for (; e < width; e++) store<f32>(at(dst, e), load<f32>(at(dst, e)) + load<f32>(at(src, e)));
  }
}

/** x ← tanh(x) in place over n values (musl's tanhf, as AssemblyScript's Mathf.tanh). */
export function tanhInPlace(x: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(x, i), Mathf.tanh(load<f32>(at(x, i))));
}

/** tanh's backward in place: grad ← (1 − y²)·grad over n values (TF.js's order: sub, square, mul). */
export function tanhBackward(grad: usize, y: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const yi = v128.load(at(y, i));
    v128.store(at(grad, i), f32x4.mul(f32x4.sub(one, f32x4.mul(yi, yi)), v128.load(at(grad, i))));
  }
  for (; i < n; i++) {
    const yi = load<f32>(at(y, i));
    store<f32>(at(grad, i), (<f32>1 - yi * yi) * load<f32>(at(grad, i)));
  }
}

/**
 * out[r, :] = log softmax(logits[r, :]) over rows of n, in tf.logSoftmax's float32 operations:
 * shifted = x − max, out = shifted − log(Σ exp(shifted)), the sum in column order.
 */
export function logSoftmax(logits: usize, out: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    const x = at(logits, r * n);
    const y = at(out, r * n);
    let max = load<f32>(x);
    for (let v = 1; v < n; v++) max = Mathf.max(max, load<f32>(at(x, v)));
    let sum: f32 = 0;
    for (let v = 0; v < n; v++) sum += Mathf.exp(load<f32>(at(x, v)) - max);
    const logSum = Mathf.log(sum);
    for (let v = 0; v < n; v++) store<f32>(at(y, v), (load<f32>(at(x, v)) - max) - logSum);
  }
}

/**
 * The weighted cross-entropy Σ_b scale[b]·(−logp[b, target[b]]) over `rows` rows of n log-
 * probabilities (summed in row order in float32, as tf.sum) and its gradient with respect to
 * the logits, through tf.logSoftmax's: with dy = −scale·onehot(target) and Σ_v dy = −scale,
 * grad = dy − (Σ_v dy)·exp(logp).
 */
export function weightedCrossEntropyGrad(logp: usize, targets: usize, scales: usize, grad: usize, rows: i32, n: i32): f32 {
  let total: f32 = 0;
  for (let r = 0; r < rows; r++) {
    const lp = at(logp, r * n);
    const g = at(grad, r * n);
    const target = load<i32>(at(targets, r));
    const s = load<f32>(at(scales, r));
    total += -load<f32>(at(lp, target)) * s;
    const sumDy = -s;
    for (let v = 0; v < n; v++) {
      const dy: f32 = v == target ? -s : -0.0;
      store<f32>(at(g, v), dy - sumDy * Mathf.exp(load<f32>(at(lp, v))));
    }
  }
  return total;
}
