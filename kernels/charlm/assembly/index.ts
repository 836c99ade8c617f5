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

/**
 * k-block of tfjs-wasm's products with a transposed operand (its `slow_batch_matmul`, which
 * TF.js's matMul gradients use): each entry sums k in blocks of 48, each block from zero in
 * order, and adds each block's sum to the running total.
 */
const K_BLOCK = 48;

// @ts-ignore: decorator
@inline
function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/**
 * C[M,N] = A[M,K]·B[K,N] summed as tfjs-wasm sums a product with a transposed operand: C ← 0,
 * then for each block of K_BLOCK k's, C ← C + (that block's in-order sum). The backward pass's
 * products (∂W = xᵀ·∂y, ∂x = ∂y·Wᵀ through explicit transposes) use it, so they equal TF.js's
 * gradients bit for bit. Blocks of 4 rows × 8 columns as kernels/mlp's gemm; 4 × 4 and scalar
 * code cover the edges.
 */
export function gemmBlocked(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32): void {
  memory.fill(c, 0, <usize>(M * N) << 2);
  for (let k0 = 0; k0 < K; k0 += K_BLOCK) gemmAddBlock(a, b, c, M, K, N, k0, min(k0 + K_BLOCK, K));
}

/** C += A[:, k0:k1]·B[k0:k1, :], each entry's partial sum formed in order from zero first. */
function gemmAddBlock(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32, k0: i32, k1: i32): void {
  const zero = f32x4.splat(0);
  const stride = <usize>N << 2;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = at(a, i * K);
    const a1 = a0 + (<usize>K << 2);
    const a2 = a1 + (<usize>K << 2);
    const a3 = a2 + (<usize>K << 2);
    let j = 0;
    for (; j + 8 <= N; j += 8) {
      let c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
      let bp = at(b, k0 * N + j);
      for (let k = k0; k < k1; k++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const off = <usize>k << 2;
        let s = v128.load32_splat(a0 + off);
        c00 = f32x4.add(c00, f32x4.mul(s, b0));
        c01 = f32x4.add(c01, f32x4.mul(s, b1));
        s = v128.load32_splat(a1 + off);
        c10 = f32x4.add(c10, f32x4.mul(s, b0));
        c11 = f32x4.add(c11, f32x4.mul(s, b1));
        s = v128.load32_splat(a2 + off);
        c20 = f32x4.add(c20, f32x4.mul(s, b0));
        c21 = f32x4.add(c21, f32x4.mul(s, b1));
        s = v128.load32_splat(a3 + off);
        c30 = f32x4.add(c30, f32x4.mul(s, b0));
        c31 = f32x4.add(c31, f32x4.mul(s, b1));
        bp += stride;
      }
      const cp = at(c, i * N + j);
      v128.store(cp, f32x4.add(v128.load(cp), c00)); v128.store(cp, f32x4.add(v128.load(cp, 16), c01), 16);
      v128.store(cp + stride, f32x4.add(v128.load(cp + stride), c10)); v128.store(cp + stride, f32x4.add(v128.load(cp + stride, 16), c11), 16);
      v128.store(cp + 2 * stride, f32x4.add(v128.load(cp + 2 * stride), c20)); v128.store(cp + 2 * stride, f32x4.add(v128.load(cp + 2 * stride, 16), c21), 16);
      v128.store(cp + 3 * stride, f32x4.add(v128.load(cp + 3 * stride), c30)); v128.store(cp + 3 * stride, f32x4.add(v128.load(cp + 3 * stride, 16), c31), 16);
    }
    for (; j + 4 <= N; j += 4) {
      let c0 = zero, c1 = zero, c2 = zero, c3 = zero;
      let bp = at(b, k0 * N + j);
      for (let k = k0; k < k1; k++) {
        const b0 = v128.load(bp);
        const off = <usize>k << 2;
        c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(a0 + off), b0));
        c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(a1 + off), b0));
        c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(a2 + off), b0));
        c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(a3 + off), b0));
        bp += stride;
      }
      const cp = at(c, i * N + j);
      v128.store(cp, f32x4.add(v128.load(cp), c0));
      v128.store(cp + stride, f32x4.add(v128.load(cp + stride), c1));
      v128.store(cp + 2 * stride, f32x4.add(v128.load(cp + 2 * stride), c2));
      v128.store(cp + 3 * stride, f32x4.add(v128.load(cp + 3 * stride), c3));
    }
    for (; j < N; j++) {
      for (let r = 0; r < 4; r++) scalarAddCell(a, b, c, i + r, j, K, N, k0, k1);
    }
  }
  for (; i < M; i++) {
    const ar = at(a, i * K);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      let c0 = zero;
      let bp = at(b, k0 * N + j);
      for (let k = k0; k < k1; k++) {
        c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(ar + (<usize>k << 2)), v128.load(bp)));
        bp += stride;
      }
      const cp = at(c, i * N + j);
      v128.store(cp, f32x4.add(v128.load(cp), c0));
    }
    for (; j < N; j++) scalarAddCell(a, b, c, i, j, K, N, k0, k1);
  }
}

/** One entry of gemmAddBlock, in the same order. */
function scalarAddCell(a: usize, b: usize, c: usize, i: i32, j: i32, K: i32, N: i32, k0: i32, k1: i32): void {
  let sum: f32 = 0;
  for (let k = k0; k < k1; k++) sum += load<f32>(at(a, i * K + k)) * load<f32>(at(b, k * N + j));
  store<f32>(at(c, i * N + j), load<f32>(at(c, i * N + j)) + sum);
}

/** out[j, :] = table[ids[j], :] for j < count, rows of `width` floats (the embedding lookup). */
export function gatherRows(ids: usize, table: usize, out: usize, count: i32, width: i32): void {
  const bytes = <usize>width << 2;
  for (let j = 0; j < count; j++) {
    memory.copy(out + <usize>j * bytes, table + <usize>load<i32>(at(ids, j)) * bytes, bytes);
  }
}

/**
 * The embedding gradient as TF.js forms it (one-hot(ids)ᵀ · grad, a transposed product: see
 * gemmBlocked), without the one-hot's zeros: table[tableRows, width] ← 0, then for each block
 * of K_BLOCK consecutive j, partial ← 0, partial[ids[j], :] += grad[j, :] in order, and
 * table += partial. `partial` is scratch of tableRows × width floats.
 */
export function scatterAddRows(ids: usize, grad: usize, table: usize, partial: usize, count: i32, width: i32, tableRows: i32): void {
  const size = tableRows * width;
  memory.fill(table, 0, <usize>size << 2);
  for (let j0 = 0; j0 < count; j0 += K_BLOCK) {
    memory.fill(partial, 0, <usize>size << 2);
    const j1 = min(j0 + K_BLOCK, count);
    for (let j = j0; j < j1; j++) {
      const src = at(grad, j * width);
      const dst = at(partial, load<i32>(at(ids, j)) * width);
      let e = 0;
      for (; e + 4 <= width; e += 4) v128.store(at(dst, e), f32x4.add(v128.load(at(dst, e)), v128.load(at(src, e))));
      for (; e < width; e++) store<f32>(at(dst, e), load<f32>(at(dst, e)) + load<f32>(at(src, e)));
    }
    let e = 0;
    for (; e + 4 <= size; e += 4) v128.store(at(table, e), f32x4.add(v128.load(at(table, e)), v128.load(at(partial, e))));
    for (; e < size; e++) store<f32>(at(table, e), load<f32>(at(table, e)) + load<f32>(at(partial, e)));
  }
}

/**
 * e^x − 1 in float32: musl's expm1f (src/math/expm1f.c, MIT; from FreeBSD / Sun's fdlibm)
 * line for line. AssemblyScript's Mathf.expm1 ends its k ≥ 2 branch in the float64 routine's
 * order instead, which rounds differently; this one gives tfjs-wasm's bits.
 */
function expm1f(x: f32): f32 {
  const ln2_hi = reinterpret<f32>(0x3F317180), ln2_lo = reinterpret<f32>(0x3717F7D1), invln2 = reinterpret<f32>(0x3FB8AA3B);
  const Q1 = reinterpret<f32>(0xBD088868), Q2 = reinterpret<f32>(0x3ACF3010);
  let u = reinterpret<u32>(x);
  let hx = u & 0x7FFFFFFF;
  let sign = u >> 31;
  if (hx >= 0x4195B844) {
    if (hx > 0x7F800000) return x;
    if (sign) return -1;
    if (hx > 0x42B17217) return x * reinterpret<f32>(0x7F000000);
  }
  let c: f32 = 0, t: f32, k: i32, hi: f32, lo: f32;
  if (hx > 0x3EB17218) {
    if (hx < 0x3F851592) {
      if (!sign) { hi = x - ln2_hi; lo = ln2_lo; k = 1; }
      else { hi = x + ln2_hi; lo = -ln2_lo; k = -1; }
    } else {
      k = <i32>(invln2 * x + (sign ? <f32>-0.5 : <f32>0.5));
      t = <f32>k;
      hi = x - t * ln2_hi;
      lo = t * ln2_lo;
    }
    x = hi - lo;
    c = (hi - x) - lo;
  } else if (hx < 0x33000000) {
    return x;
  } else k = 0;
  let hfx: f32 = <f32>0.5 * x;
  let hxs: f32 = x * hfx;
  let r1: f32 = <f32>1 + hxs * (Q1 + hxs * Q2);
  t = <f32>3 - r1 * hfx;
  let e: f32 = hxs * ((r1 - t) / (<f32>6 - x * t));
  if (k == 0) return x - (x * e - hxs);
  e = x * (e - c) - c;
  e -= hxs;
  if (k == -1) return <f32>0.5 * (x - e) - <f32>0.5;
  if (k == 1) {
    if (x < <f32>-0.25) return <f32>-2 * (e - (x + <f32>0.5));
    return <f32>1 + <f32>2 * (x - e);
  }
  let twopk = reinterpret<f32>(<u32>(0x7F + k) << 23);
  let y: f32;
  if (k < 0 || k > 56) {
    y = x - e + <f32>1;
    if (k == 128) y = y * <f32>2 * reinterpret<f32>(0x7F000000);
    else y = y * twopk;
    return y - <f32>1;
  }
  let uf = reinterpret<f32>(<u32>(0x7F - k) << 23);
  if (k < 23) y = x - e + (<f32>1 - uf);
  else y = x - (e + uf) + <f32>1;
  return y * twopk;
}

/**
 * tanh in float32: musl's tanhf (src/math/tanhf.c) line for line, which is what tfjs-wasm's
 * Tanh kernel calls (emscripten's libc), so the two agree bit for bit.
 */
function tanhf(x: f32): f32 {
  let u = reinterpret<u32>(x);
  const sign = u >> 31;
  u &= 0x7FFFFFFF;
  const y = reinterpret<f32>(u);
  let t: f32;
  if (u > 0x3F0C9F54) {
    if (u > 0x41200000) t = <f32>1 + <f32>0 / y;
    else { t = expm1f(<f32>2 * y); t = <f32>1 - <f32>2 / (t + <f32>2); }
  } else if (u > 0x3E82C578) {
    t = expm1f(<f32>2 * y); t = t / (t + <f32>2);
  } else if (u >= 0x00800000) {
    t = expm1f(<f32>-2 * y); t = -t / (t + <f32>2);
  } else t = y;
  return sign ? -t : t;
}

// @ts-ignore: decorator
@inline
function splatBits(bits: u32): v128 {
  return i32x4.splat(<i32>bits);
}

/**
 * expm1f on 4 lanes, for the arguments tanhf gives it (2|x| ≤ 20 and −2|x| ≥ −0.51; finite):
 * every branch of expm1f computed in every lane with the same float32 operations, and each
 * lane's result selected by the branch expm1f takes for it, so each lane equals expm1f
 * bit for bit. (The overflow branches of expm1f are not reached from tanhf.)
 */
// @ts-ignore: decorator
@inline
function expm1f4(a: v128): v128 {
  const hx = v128.and(a, splatBits(0x7FFFFFFF));
  const negative = i32x4.lt_s(a, i32x4.splat(0));
  // k: 0 for |a| ≤ ln2/2, ±1 below 1.5·ln2, else trunc(a/ln2 ± 0.5), as expm1f.
  const half = v128.bitselect(f32x4.splat(-0.5), f32x4.splat(0.5), negative);
  const kGeneral = i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.mul(f32x4.splat(reinterpret<f32>(0x3FB8AA3B)), a), half));
  const kOne = v128.bitselect(i32x4.splat(-1), i32x4.splat(1), negative);
  const reduce = i32x4.gt_s(hx, splatBits(0x3EB17218));
  const k = v128.and(v128.bitselect(kOne, kGeneral, i32x4.lt_s(hx, splatBits(0x3F851592))), reduce);
  // hi = a − k·ln2_hi, lo = k·ln2_lo (for k = ±1 these are expm1f's a ∓ ln2_hi, ±ln2_lo exactly;
  // for k = 0 they give x = a and c = +0, as expm1f).
  const tk = f32x4.convert_i32x4_s(k);
  const hi = f32x4.sub(a, f32x4.mul(tk, f32x4.splat(reinterpret<f32>(0x3F317180))));
  const lo = f32x4.mul(tk, f32x4.splat(reinterpret<f32>(0x3717F7D1)));
  const x = f32x4.sub(hi, lo);
  const c = f32x4.sub(f32x4.sub(hi, x), lo);
  const hfx = f32x4.mul(f32x4.splat(0.5), x);
  const hxs = f32x4.mul(x, hfx);
  const r1 = f32x4.add(f32x4.splat(1), f32x4.mul(hxs, f32x4.add(f32x4.splat(reinterpret<f32>(0xBD088868)), f32x4.mul(hxs, f32x4.splat(reinterpret<f32>(0x3ACF3010))))));
  const t = f32x4.sub(f32x4.splat(3), f32x4.mul(r1, hfx));
  const e0 = f32x4.mul(hxs, f32x4.div(f32x4.sub(r1, t), f32x4.sub(f32x4.splat(6), f32x4.mul(x, t))));
  const kZero = f32x4.sub(x, f32x4.sub(f32x4.mul(x, e0), hxs));
  const e = f32x4.sub(f32x4.sub(f32x4.mul(x, f32x4.sub(e0, c)), c), hxs);
  const kMinusOne = f32x4.sub(f32x4.mul(f32x4.splat(0.5), f32x4.sub(x, e)), f32x4.splat(0.5));
  const kPlusOne = v128.bitselect(
    f32x4.mul(f32x4.splat(-2), f32x4.sub(e, f32x4.add(x, f32x4.splat(0.5)))),
    f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(2), f32x4.sub(x, e))),
    f32x4.lt(x, f32x4.splat(-0.25)),
  );
  const twopk = i32x4.shl(i32x4.add(k, i32x4.splat(0x7F)), 23);
  const uf = i32x4.shl(i32x4.sub(i32x4.splat(0x7F), k), 23);
  const below23 = f32x4.add(f32x4.sub(x, e), f32x4.sub(f32x4.splat(1), uf));
  const from23 = f32x4.add(f32x4.sub(x, f32x4.add(e, uf)), f32x4.splat(1));
  const kLarge = f32x4.mul(v128.bitselect(below23, from23, i32x4.lt_s(k, i32x4.splat(23))), twopk);
  let out = v128.bitselect(kPlusOne, kLarge, i32x4.eq(k, i32x4.splat(1)));
  out = v128.bitselect(kMinusOne, out, i32x4.eq(k, i32x4.splat(-1)));
  out = v128.bitselect(kZero, out, i32x4.eq(k, i32x4.splat(0)));
  // |a| < 2⁻²⁵: expm1f returns a itself.
  return v128.bitselect(a, out, i32x4.lt_s(hx, splatBits(0x33000000)));
}

/** tanhf on 4 lanes: each lane equals tanhf (every branch computed, each lane's selected). */
// @ts-ignore: decorator
@inline
function tanhf4(v: v128): v128 {
  const sign = v128.and(v, splatBits(0x80000000));
  const y = v128.and(v, splatBits(0x7FFFFFFF));
  const huge = i32x4.gt_s(y, splatBits(0x41200000));
  const high = i32x4.gt_s(y, splatBits(0x3F0C9F54));
  const mid = i32x4.gt_s(y, splatBits(0x3E82C578));
  const em = expm1f4(v128.bitselect(f32x4.mul(f32x4.splat(2), y), f32x4.mul(f32x4.splat(-2), y), mid));
  // One division per lane, of the numerator and denominator its branch divides:
  // |x| > 10: 1 + 0/y;  > 0.5493: 1 − 2/(em + 2);  > 0.2554: em/(em + 2);  else −em/(em + 2).
  let numerator = v128.bitselect(em, f32x4.neg(em), mid);
  numerator = v128.bitselect(f32x4.splat(2), numerator, high);
  numerator = v128.bitselect(f32x4.splat(0), numerator, huge);
  const q = f32x4.div(numerator, v128.bitselect(y, f32x4.add(em, f32x4.splat(2)), huge));
  let t = v128.bitselect(f32x4.sub(f32x4.splat(1), q), q, high);
  t = v128.bitselect(f32x4.add(f32x4.splat(1), q), t, huge);
  // Subnormal and zero |x|: tanhf returns |x| itself.
  t = v128.bitselect(t, y, i32x4.gt_s(y, splatBits(0x007FFFFF)));
  // sign ? −t : t (negation flips the sign bit).
  return v128.xor(t, sign);
}

/** x ← tanh(x) in place over n values (musl's tanhf, 4 lanes at a time: tfjs-wasm's Tanh bit for bit). */
export function tanhInPlace(x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(x, i), tanhf4(v128.load(at(x, i))));
  for (; i < n; i++) store<f32>(at(x, i), tanhf(load<f32>(at(x, i))));
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
