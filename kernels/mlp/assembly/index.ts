// Dense-network kernels in AssemblyScript with 128-bit wasm SIMD (compiled by kernels/mlp/build.ts).
//
// Every function works on float32 row-major matrices at byte addresses in this module's linear
// memory; the TypeScript wrapper (kernels/mlp/mlp.ts) lays the buffers out and calls these in
// order (forward, loss gradient, backward, Adam). Nothing here allocates, so the module needs
// no runtime (`--runtime stub`). Summation orders are fixed by the loops below, so results are
// bit-identical run to run and do not depend on how many rows a call covers (each output row
// depends only on its own input row).

/** First free byte after the module's static data: where the wrapper may start its buffers. */
export function heapBase(): usize {
  return __heap_base;
}

// @ts-ignore: decorator
@inline
function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/**
 * C[M,N] = A[M,K]·B[K,N] (+ bias[N] when bias ≠ 0), then max(·, 0) when relu.
 * Blocks of 4 rows × 8 columns keep 8 accumulators in registers (each k: two loads of B, four
 * splats of A, eight multiply-adds); 4 × 4 and scalar code cover the edges.
 */
export function gemm(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32, bias: usize, relu: bool): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = at(a, i * K);
    const a1 = a0 + (<usize>K << 2);
    const a2 = a1 + (<usize>K << 2);
    const a3 = a2 + (<usize>K << 2);
    let j = 0;
    for (; j + 8 <= N; j += 8) {
      let c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
      let bp = at(b, j);
      const stride = <usize>N << 2;
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const off = <usize>k << 2;
        let s = v128.load32_splat((a0 + off));
        c00 = f32x4.add(c00, f32x4.mul(s, b0));
        c01 = f32x4.add(c01, f32x4.mul(s, b1));
        s = v128.load32_splat((a1 + off));
        c10 = f32x4.add(c10, f32x4.mul(s, b0));
        c11 = f32x4.add(c11, f32x4.mul(s, b1));
        s = v128.load32_splat((a2 + off));
        c20 = f32x4.add(c20, f32x4.mul(s, b0));
        c21 = f32x4.add(c21, f32x4.mul(s, b1));
        s = v128.load32_splat((a3 + off));
        c30 = f32x4.add(c30, f32x4.mul(s, b0));
        c31 = f32x4.add(c31, f32x4.mul(s, b1));
        bp += stride;
      }
      if (bias) {
        const bias0 = v128.load(at(bias, j));
        const bias1 = v128.load(at(bias, j), 16);
        c00 = f32x4.add(c00, bias0); c01 = f32x4.add(c01, bias1);
        c10 = f32x4.add(c10, bias0); c11 = f32x4.add(c11, bias1);
        c20 = f32x4.add(c20, bias0); c21 = f32x4.add(c21, bias1);
        c30 = f32x4.add(c30, bias0); c31 = f32x4.add(c31, bias1);
      }
      if (relu) {
        c00 = f32x4.max(c00, zero); c01 = f32x4.max(c01, zero);
        c10 = f32x4.max(c10, zero); c11 = f32x4.max(c11, zero);
        c20 = f32x4.max(c20, zero); c21 = f32x4.max(c21, zero);
        c30 = f32x4.max(c30, zero); c31 = f32x4.max(c31, zero);
      }
      const cp = at(c, i * N + j);
      v128.store(cp, c00); v128.store(cp, c01, 16);
      v128.store(cp + stride, c10); v128.store(cp + stride, c11, 16);
      v128.store(cp + 2 * stride, c20); v128.store(cp + 2 * stride, c21, 16);
      v128.store(cp + 3 * stride, c30); v128.store(cp + 3 * stride, c31, 16);
    }
    for (; j + 4 <= N; j += 4) {
      let c0 = zero, c1 = zero, c2 = zero, c3 = zero;
      let bp = at(b, j);
      const stride = <usize>N << 2;
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp);
        const off = <usize>k << 2;
        c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat((a0 + off)), b0));
        c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat((a1 + off)), b0));
        c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat((a2 + off)), b0));
        c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat((a3 + off)), b0));
        bp += stride;
      }
      if (bias) {
        const bias0 = v128.load(at(bias, j));
        c0 = f32x4.add(c0, bias0); c1 = f32x4.add(c1, bias0);
        c2 = f32x4.add(c2, bias0); c3 = f32x4.add(c3, bias0);
      }
      if (relu) {
        c0 = f32x4.max(c0, zero); c1 = f32x4.max(c1, zero);
        c2 = f32x4.max(c2, zero); c3 = f32x4.max(c3, zero);
      }
      const cp = at(c, i * N + j);
      v128.store(cp, c0);
      v128.store(cp + stride, c1);
      v128.store(cp + 2 * stride, c2);
      v128.store(cp + 3 * stride, c3);
    }
    for (; j < N; j++) {
      for (let r = 0; r < 4; r++) scalarCell(a, b, c, i + r, j, K, N, bias, relu);
    }
  }
  // Leftover rows, one at a time.
  for (; i < M; i++) {
    const ar = at(a, i * K);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      let c0 = zero;
      let bp = at(b, j);
      for (let k = 0; k < K; k++) {
        c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat((ar + (<usize>k << 2))), v128.load(bp)));
        bp += <usize>N << 2;
      }
      if (bias) c0 = f32x4.add(c0, v128.load(at(bias, j)));
      if (relu) c0 = f32x4.max(c0, zero);
      v128.store(at(c, i * N + j), c0);
    }
    for (; j < N; j++) scalarCell(a, b, c, i, j, K, N, bias, relu);
  }
}

/** One entry C[i,j] of gemm, in the same order (sum over k, then bias, then ReLU). */
function scalarCell(a: usize, b: usize, c: usize, i: i32, j: i32, K: i32, N: i32, bias: usize, relu: bool): void {
  let sum: f32 = 0;
  for (let k = 0; k < K; k++) sum += load<f32>(at(a, i * K + k)) * load<f32>(at(b, k * N + j));
  if (bias) sum += load<f32>(at(bias, j));
  if (relu && !(sum > 0)) sum = 0;
  store<f32>(at(c, i * N + j), sum);
}

/** out[N,M] = inᵀ for in[M,N] (lets both backward products use gemm's layout). */
export function transpose(input: usize, out: usize, M: i32, N: i32): void {
  // Blocks of 16 × 16 keep the strided side within a few cache lines.
  for (let i0 = 0; i0 < M; i0 += 16) {
    const i1 = min(i0 + 16, M);
    for (let j0 = 0; j0 < N; j0 += 16) {
      const j1 = min(j0 + 16, N);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) store<f32>(at(out, j * M + i), load<f32>(at(input, i * N + j)));
      }
    }
  }
}

/** ReLU's backward in place: grad[i] ← grad[i] where activation[i] > 0, else 0 (n values). */
export function reluBackward(grad: usize, activation: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const g = v128.load(at(grad, i));
    v128.store(at(grad, i), v128.and(g, f32x4.gt(v128.load(at(activation, i)), zero)));
  }
  for (; i < n; i++) if (!(load<f32>(at(activation, i)) > 0)) store<f32>(at(grad, i), 0);
}

/** out[N] = Σ_rows in[M,N] (the bias gradient), rows summed in order. */
export function columnSums(input: usize, out: usize, M: i32, N: i32): void {
  let j = 0;
  for (; j + 4 <= N; j += 4) {
    let s = f32x4.splat(0);
    for (let i = 0; i < M; i++) s = f32x4.add(s, v128.load(at(input, i * N + j)));
    v128.store(at(out, j), s);
  }
  for (; j < N; j++) {
    let s: f32 = 0;
    for (let i = 0; i < M; i++) s += load<f32>(at(input, i * N + j));
    store<f32>(at(out, j), s);
  }
}

/**
 * The squared-error loss L = (1/M) Σ_i Σ_j (target − out)² over M rows of N columns and its
 * gradient ∂L/∂out = −(1/M)·2(target − out), written to grad (the order of TF.js's chain rule
 * through mean, sum, square and sub). Returns L (summed in float64).
 */
export function squaredErrorGrad(out: usize, target: usize, grad: usize, M: i32, N: i32): f64 {
  const scale: f32 = <f32>1 / <f32>M;
  let total: f64 = 0;
  for (let i = 0; i < M * N; i++) {
    const diff: f32 = load<f32>(at(target, i)) - load<f32>(at(out, i));
    total += <f64>diff * <f64>diff;
    store<f32>(at(grad, i), -(scale * (<f32>2 * diff)));
  }
  return total / <f64>M;
}

/**
 * One Adam update of n weights in place, in tf.train.adam's float32 operations and order:
 *   m ← m·β₁ + g·(1−β₁),  v ← v·β₂ + g²·(1−β₂),
 *   w ← (m/c₁) / (√(v/c₂) + ε) · (−lr) + w,
 * where c₁ = 1 − β₁ᵗ and c₂ = 1 − β₂ᵗ are the bias corrections the caller computes, and
 * 1−β₁, 1−β₂ come from the caller too (TF.js rounds them from float64, not 1 − float32(β)).
 */
export function adam(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32, c1: f32, c2: f32, epsilon: f32): void {
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const ob1 = f32x4.splat(oneMinusBeta1);
  const ob2 = f32x4.splat(oneMinusBeta2);
  const vc1 = f32x4.splat(c1);
  const vc2 = f32x4.splat(c2);
  const eps = f32x4.splat(epsilon);
  const step = f32x4.splat(-lr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const gi = v128.load(at(g, i));
    const mi = f32x4.add(f32x4.mul(v128.load(at(m, i)), b1), f32x4.mul(gi, ob1));
    const vi = f32x4.add(f32x4.mul(v128.load(at(v, i)), b2), f32x4.mul(f32x4.mul(gi, gi), ob2));
    v128.store(at(m, i), mi);
    v128.store(at(v, i), vi);
    const update = f32x4.div(f32x4.div(mi, vc1), f32x4.add(f32x4.sqrt(f32x4.div(vi, vc2)), eps));
    v128.store(at(w, i), f32x4.add(f32x4.mul(update, step), v128.load(at(w, i))));
  }
  for (; i < n; i++) {
    const gi = load<f32>(at(g, i));
    const mi = load<f32>(at(m, i)) * beta1 + gi * oneMinusBeta1;
    const vi = load<f32>(at(v, i)) * beta2 + gi * gi * oneMinusBeta2;
    store<f32>(at(m, i), mi);
    store<f32>(at(v, i), vi);
    const update = (mi / c1) / (sqrt<f32>(vi / c2) + epsilon);
    store<f32>(at(w, i), update * -lr + load<f32>(at(w, i)));
  }
}
