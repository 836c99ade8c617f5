/**
 * Seeded random streams. Every random number in a cell comes from an `Rng` derived from the
 * cell key (`rngFromKey(cellKey, 'task')`, `.fork('replicate-3')`, …), so a cell gives the
 * same numbers whether it runs alone, in a shard, or in the full suite.
 *
 * Generator: **xoshiro128\*\*** (Blackman & Vigna 2018), 128 bits of state, 32-bit output.
 * Why this one:
 * - Every operation is a 32-bit xor, shift, rotate or `Math.imul`, which V8 compiles to plain
 *   machine integer instructions; 64-bit generators (PCG64, xoshiro256) would need BigInt or
 *   hand-split 64-bit arithmetic in JavaScript, which is several times slower.
 * - It passes BigCrush (TestU01) and PractRand to many terabytes; the `**` scrambler has no
 *   weak low bits (unlike the `+` variants), so any bit of the output can be used.
 * - Period 2^128 − 1 is ample for benchmark cells, and streams are seeded from independent
 *   sha256 digests rather than from jumps, so overlap between streams is astronomically
 *   unlikely.
 * It is not cryptographic, which is fine here.
 */
import { hashValue } from './hash.ts';

// ---------------------------------------------------------------------------------------
// Ziggurat tables for the standard normal (Marsaglia & Tsang 2000, 256 layers), computed
// once at module load from first principles: no tables copied from elsewhere.
//
// f(x) = exp(−x²/2) (unnormalized). Layer 0 is the base strip: the rectangle [0, r]×[0, f(r)]
// plus the tail beyond r, with total area V. Layers 1…255 are rectangles of the same area V:
// layer i spans heights f(X[i])…f(X[i+1]) and has width X[i], with X[1] = r and X[256] = 0.
// r (and so V) is chosen so that the 255 stacked rectangles end exactly at height f(0) = 1.

const LAYERS = 256;
/** Uniform mantissa: 53 bits (32 from one draw, 21 from the other). */
const MANTISSA = 2 ** 53;

function gauss(x: number): number {
  return Math.exp(-0.5 * x * x);
}

/** ∫_r^∞ exp(−t²/2) dt via the Mills-ratio continued fraction (converges fast for r ≳ 2). */
function gaussTail(r: number): number {
  let t = r;
  for (let k = 300; k >= 1; k--) t = r + k / t;
  return gauss(r) / t;
}

interface Ziggurat {
  r: number;
  v: number;
  /** Layer widths X[0…256] (X[0] = V/f(r), the base strip's equivalent width). */
  x: Float64Array;
}

/** Builds the layer boundaries for tail start r; `undefined` when r is too small (V too big). */
function buildLayers(r: number): { x: Float64Array; v: number; residual: number } | undefined {
  const v = r * gauss(r) + gaussTail(r);
  const x = new Float64Array(LAYERS + 1);
  x[0] = v / gauss(r);
  x[1] = r;
  for (let i = 1; i < LAYERS - 1; i++) {
    const y = gauss(x[i]) + v / x[i];
    if (y >= 1) return undefined;
    x[i + 1] = Math.sqrt(-2 * Math.log(y));
  }
  x[LAYERS] = 0;
  // Area of the top layer (heights f(X[255])…1) minus V: zero at the right r.
  const residual = x[LAYERS - 1] * (1 - gauss(x[LAYERS - 1])) - v;
  return { x, v, residual };
}

function solveZiggurat(): Ziggurat {
  // Bisection: a larger r means a smaller V, so the stack of layers ends lower.
  let lo = 3;
  let hi = 4;
  for (let iter = 0; iter < 200 && hi - lo > 0; iter++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    const built = buildLayers(mid);
    if (built === undefined || built.residual <= 0) lo = mid;
    else hi = mid;
  }
  // lo is the largest r whose stack still fits below height 1.
  const built = buildLayers(lo);
  if (built === undefined) throw new Error('ziggurat table construction failed');
  return { r: lo, v: built.v, x: built.x };
}

const ZIG = solveZiggurat();
/** Tail start (≈ 3.6541528853610088 for 256 layers). */
const ZIG_R = ZIG.r;
/**
 * Tables indexed by the 9 low bits of a draw: bits 0–7 pick the layer, bit 8 the sign, so
 * the sign costs no branch. K: acceptance thresholds on the 53-bit mantissa (accept when
 * mantissa < K, i.e. x lies in the layer's core rectangle); W: mantissa → signed x scale.
 */
const ZIG_K = new Float64Array(2 * LAYERS);
const ZIG_W = new Float64Array(2 * LAYERS);
/** f(X[i]) for i = 1…256 (F[256] = 1); used by the wedge test. */
const ZIG_F = new Float64Array(LAYERS + 1);
for (let i = 0; i < LAYERS; i++) {
  const k = i < LAYERS - 1 ? Math.floor((ZIG.x[i + 1] / ZIG.x[i]) * MANTISSA) : 0;
  const w = ZIG.x[i] / MANTISSA;
  ZIG_K[i] = k;
  ZIG_K[i + LAYERS] = k;
  ZIG_W[i] = w;
  ZIG_W[i + LAYERS] = -w;
}
for (let i = 1; i <= LAYERS; i++) ZIG_F[i] = i === LAYERS ? 1 : gauss(ZIG.x[i]);

/** The solved ziggurat constants, for tests and documentation. */
export const ZIGGURAT = Object.freeze({ layers: LAYERS, r: ZIG.r, v: ZIG.v });

// ---------------------------------------------------------------------------------------
// Log-factorial correction for the binomial sampler: fc(k) = ln k! − Stirling(k).

const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);
const STIRLING_SMALL = new Float64Array(10);
{
  let lnFact = 0;
  for (let k = 0; k < 10; k++) {
    if (k > 0) lnFact += Math.log(k);
    STIRLING_SMALL[k] = lnFact - ((k + 0.5) * Math.log(k + 1) - (k + 1) + HALF_LN_2PI);
  }
}
/** ln k! − [(k + ½) ln(k + 1) − (k + 1) + ½ ln 2π]: exact table below 10, series above. */
function stirlingTail(k: number): number {
  if (k < 10) return STIRLING_SMALL[k];
  const kp1 = k + 1;
  const kp1sq = kp1 * kp1;
  return (1 / 12 - (1 / 360 - 1 / 1260 / kp1sq) / kp1sq) / kp1;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_NEG_53 = 2 ** -53;
/** A sha256 digest as 64 lowercase hex digits: the form of every seed (rngFromSeed, recipe seeds). */
export const HEX_DIGEST = /^[0-9a-f]{64}$/;

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}

/** Throws `invalid probs: …` unless probs is non-empty, finite, ≥ 0, with positive sum. */
function checkedProbSum(probs: ArrayLike<number>): number {
  const k = probs.length;
  if (k === 0) throw new Error('invalid probs: empty');
  let total = 0;
  for (let i = 0; i < k; i++) {
    const p = probs[i];
    if (!(p >= 0) || p === Infinity) {
      throw new Error(`invalid probs: entry ${i} is ${describe(p)} (must be finite and >= 0)`);
    }
    total += p;
  }
  if (!(total > 0) || total === Infinity) {
    throw new Error(`invalid probs: sum is ${total} (must be positive and finite)`);
  }
  return total;
}

function checkCount(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(`${name} must be an integer in [0, ${max}], got ${value}`);
  }
}

/**
 * A seeded stream of random numbers (xoshiro128**). Deterministic: the same seed always
 * yields the same sequence from every method. Create streams with `rngFromKey` and
 * `fork`, not by hand-picking seeds.
 */
export class Rng {
  /** The 64-hex-digit seed digest; forks are derived from it. */
  readonly seed: string;
  /**
   * Generator state (four 32-bit words), read into locals by the bulk fills. An Int32Array
   * measured fastest for per-call draws (≈2.9 ms per 1e6 `nextUint32`, vs ≈3.1 ms for a
   * Uint32Array, whose values above 2^31 become doubles, and ≈3–11 ms for four number
   * fields, which V8 may box as heap numbers).
   */
  private readonly s: Int32Array;

  /** @param seed a sha256 hex digest (64 lowercase hex digits), e.g. from `hashValue`. */
  constructor(seed: string) {
    if (!HEX_DIGEST.test(seed)) throw new Error(`Rng seed must be a 64-digit hex sha256 digest, got ${describe(seed)}`);
    this.seed = seed;
    const s = new Int32Array(4);
    // 128 bits of the digest; the all-zero state is xoshiro's one fixed point, so avoid it.
    for (let i = 0; i < 4; i++) s[i] = parseInt(seed.slice(8 * i, 8 * i + 8), 16) | 0;
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 0x9e3779b9 | 0;
    this.s = s;
  }

  /**
   * An independent child stream for `label`, derived by hashing this stream's seed with the
   * label. It consumes no draws from this stream, so adding a fork never shifts the others,
   * and the same label always gives the same child.
   */
  fork(label: string): Rng {
    return new Rng(hashValue({ parent: this.seed, fork: label }));
  }

  /** The next raw 32-bit output, an integer in [0, 2^32). */
  nextUint32(): number {
    const s = this.s;
    const s0 = s[0];
    const s1 = s[1];
    let s2 = s[2];
    let s3 = s[3];
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    s2 ^= s0;
    s3 ^= s1;
    s[1] = s1 ^ s2;
    s[0] = s0 ^ s3;
    s[2] = s2 ^ (s1 << 9);
    s[3] = (s3 << 11) | (s3 >>> 21);
    return result >>> 0;
  }

  /** A uniform double in [0, 1) with 53 random bits (from two 32-bit draws). */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) * TWO_POW_NEG_53;
  }

  /** Fills `out` with uniforms in [0, 1), the same values as repeated `uniform()`; returns out. */
  fillUniform(out: Float64Array): Float64Array {
    const s = this.s;
    let s0 = s[0];
    let s1 = s[1];
    let s2 = s[2];
    let s3 = s[3];
    const n = out.length;
    for (let j = 0; j < n; j++) {
      let m = Math.imul(s1, 5);
      const a = Math.imul((m << 7) | (m >>> 25), 9);
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      m = Math.imul(s1, 5);
      const b = Math.imul((m << 7) | (m >>> 25), 9);
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[j] = ((a >>> 5) * 67108864 + (b >>> 6)) * TWO_POW_NEG_53;
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return out;
  }

  /**
   * A standard normal draw: 256-layer ziggurat (Marsaglia & Tsang 2000). Each attempt uses
   * two 32-bit draws: 8 bits pick the layer, 1 bit the sign, and 53 *other* bits form the
   * uniform (Doornik 2005: reusing the layer bits in the mantissa correlates them).
   */
  normal(): number {
    const b = this.nextUint32();
    const a = this.nextUint32();
    const idx = b & 511;
    const rabs = a * 2097152 + (b >>> 11);
    if (rabs < ZIG_K[idx]) return rabs * ZIG_W[idx];
    return this.normalSlow(idx, rabs);
  }

  /**
   * The ziggurat's rare path (about 1.2% of attempts): the tail beyond r for layer 0, the
   * wedge test otherwise; on rejection, a fresh attempt.
   */
  private normalSlow(idx: number, rabs: number): number {
    const layer = idx & 255;
    if (layer === 0) {
      // Marsaglia's tail method: x = −ln(U₁)/r, y = −ln(U₂), accept when 2y > x².
      let x: number;
      let y: number;
      do {
        x = -Math.log(1 - this.uniform()) / ZIG_R;
        y = -Math.log(1 - this.uniform());
      } while (y + y < x * x);
      return idx & 256 ? -(ZIG_R + x) : ZIG_R + x;
    }
    const x = rabs * ZIG_W[idx];
    const f0 = ZIG_F[layer];
    if (f0 + this.uniform() * (ZIG_F[layer + 1] - f0) < Math.exp(-0.5 * x * x)) return x;
    return this.normal();
  }

  /**
   * Fills `out` with normal draws of the given mean and standard deviation; returns out.
   * With mean 0 and sd 1 the values equal repeated `normal()` calls.
   */
  fillNormal(out: Float64Array, mean = 0, sd = 1): Float64Array {
    const s = this.s;
    const K = ZIG_K;
    const W = ZIG_W;
    let s0 = s[0];
    let s1 = s[1];
    let s2 = s[2];
    let s3 = s[3];
    const n = out.length;
    for (let j = 0; j < n; j++) {
      // Two xoshiro128** steps, inlined with the state in locals: ≈6 ns per normal here vs
      // ≈11 ns for a loop of normal() calls (state loads/stores through the typed array).
      // Layer index (8 bits) and sign (1 bit) come from b's low bits, the 53-bit mantissa
      // from a and b's top 21 bits (bits 9–10 unused); one 512-entry table folds in the sign.
      let m = Math.imul(s1, 5);
      const b = Math.imul((m << 7) | (m >>> 25), 9);
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      m = Math.imul(s1, 5);
      const a = Math.imul((m << 7) | (m >>> 25), 9);
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      const idx = b & 511;
      const rabs = (a >>> 0) * 2097152 + (b >>> 11);
      if (rabs < K[idx]) {
        out[j] = mean + sd * (rabs * W[idx]);
      } else {
        // Rare path: hand the state back to the object, finish via the method, reload.
        s[0] = s0;
        s[1] = s1;
        s[2] = s2;
        s[3] = s3;
        out[j] = mean + sd * this.normalSlow(idx, rabs);
        s0 = s[0];
        s1 = s[1];
        s2 = s[2];
        s3 = s[3];
      }
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return out;
  }

  /** An exponential draw with rate 1 (inversion; 1 − U keeps the argument of ln positive). */
  exponential(): number {
    return -Math.log(1 - this.uniform());
  }

  /**
   * A uniform integer in [0, n) for an integer 1 ≤ n ≤ 2^32, without modulo bias (Lemire
   * 2019: multiply, then reject the few draws that would over-represent some values).
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new Error(`int(n) needs an integer 1 <= n <= 2^32, got ${n}`);
    }
    if (n === TWO_POW_32) return this.nextUint32();
    if (n <= 2097152) {
      // x·n < 2^53: the 64-bit product is exact in a double, and so is its split into the
      // high and low 32-bit words (division by a power of two, no floating-point modulo).
      let prod = this.nextUint32() * n;
      let high = Math.floor(prod / TWO_POW_32);
      let low = prod - high * TWO_POW_32;
      if (low < n) {
        const threshold = (TWO_POW_32 - n) % n;
        while (low < threshold) {
          prod = this.nextUint32() * n;
          high = Math.floor(prod / TWO_POW_32);
          low = prod - high * TWO_POW_32;
        }
      }
      return high;
    }
    // Larger n: form the high and low words of x·n from 16-bit halves of n.
    const nHi = Math.floor(n / 65536);
    const nLo = n % 65536;
    for (;;) {
      const x = this.nextUint32();
      const low = Math.imul(x, n) >>> 0;
      if (low >= n || low >= (TWO_POW_32 - n) % n) {
        const pLo = x * nLo;
        return Math.floor((x * nHi + Math.floor(pLo / 65536)) / 65536);
      }
    }
  }

  /**
   * Draws an index with probability proportional to probs[i] (≥ 0, finite, positive sum;
   * otherwise throws `invalid probs: …`). O(k) per draw (validation plus a linear scan): for
   * many draws from the same probs, `multinomial` gives the counts directly.
   */
  categorical(probs: ArrayLike<number>): number {
    const total = checkedProbSum(probs);
    const u = this.uniform() * total;
    let acc = 0;
    let last = 0;
    for (let i = 0; i < probs.length; i++) {
      const p = probs[i];
      if (p > 0) {
        acc += p;
        last = i;
        if (u < acc) return i;
      }
    }
    // Rounding left u ≥ the accumulated sum: the last positive entry.
    return last;
  }

  /**
   * A binomial(n, p) draw, exact: inversion when n·min(p, 1−p) < 10, otherwise Hörmann's
   * BTRS transformed rejection with squeeze (1993), using exact log-factorial corrections.
   */
  binomial(n: number, p: number): number {
    checkCount('binomial n', n, Number.MAX_SAFE_INTEGER);
    if (!(p >= 0 && p <= 1)) throw new Error(`binomial p must be in [0, 1], got ${p}`);
    if (n === 0 || p === 0) return 0;
    if (p === 1) return n;
    if (p > 0.5) return n - this.binomialLow(n, 1 - p);
    return this.binomialLow(n, p);
  }

  /** binomial(n, p) for 0 < p ≤ ½. */
  private binomialLow(n: number, p: number): number {
    if (n * p < 10) return this.binomialInversion(n, p);
    return this.binomialBtrs(n, p);
  }

  /** Sequential-search inversion; expected work O(n·p), so only for small means. */
  private binomialInversion(n: number, p: number): number {
    const q = 1 - p;
    const qn = Math.exp(n * Math.log1p(-p));
    const ratio = p / q;
    const mean = n * p;
    // Past mean + 10·sd the truncated mass is < 1e-14; restarting there also stops a run-away
    // search when rounding leaves u above the accumulated pmf.
    const bound = Math.min(n, mean + 10 * Math.sqrt(mean * q + 1));
    for (;;) {
      let x = 0;
      let px = qn;
      let u = this.uniform();
      while (u > px) {
        x++;
        if (x > bound) break;
        u -= px;
        px *= ((n - x + 1) * ratio) / x;
      }
      if (x <= bound) return x;
    }
  }

  /** BTRS (Hörmann 1993), valid for n·p ≥ 10, p ≤ ½. */
  private binomialBtrs(n: number, p: number): number {
    const q = 1 - p;
    const spq = Math.sqrt(n * p * q);
    const b = 1.15 + 2.53 * spq;
    const a = -0.0873 + 0.0248 * b + 0.01 * p;
    const c = n * p + 0.5;
    const vr = 0.92 - 4.2 / b;
    const alpha = (2.83 + 5.1 / b) * spq;
    const ratio = p / q;
    const m = Math.floor((n + 1) * p);
    const h = stirlingTail(m) + stirlingTail(n - m);
    for (;;) {
      const u = this.uniform() - 0.5;
      let v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + c);
      if (!(k >= 0 && k <= n)) continue; // also catches NaN when us = 0
      // Squeeze: inside this box the hat lies under the density, accept without logs.
      if (us >= 0.07 && v <= vr) return k;
      v = Math.log((v * alpha) / (a / (us * us) + b));
      // ln[f(k)/f(m)] for the binomial pmf f, exact up to the Stirling corrections.
      const bound =
        (m + 0.5) * Math.log((m + 1) / (ratio * (n - m + 1))) +
        (n + 1) * Math.log((n - m + 1) / (n - k + 1)) +
        (k + 0.5) * Math.log((ratio * (n - k + 1)) / (k + 1)) +
        h -
        stirlingTail(k) -
        stirlingTail(n - k);
      if (v <= bound) return k;
    }
  }

  /**
   * Multinomial counts: n trials over categories with probabilities proportional to probs,
   * by conditional binomials (count_i ~ Binomial(n − earlier counts, p_i / remaining mass)).
   * Writes into `out` (length ≥ probs.length) when given; returns the counts.
   */
  multinomial(n: number, probs: ArrayLike<number>, out?: Float64Array): Float64Array {
    checkCount('multinomial n', n, Number.MAX_SAFE_INTEGER);
    checkedProbSum(probs);
    const k = probs.length;
    const counts = out ?? new Float64Array(k);
    if (counts.length < k) throw new Error(`multinomial out has length ${counts.length} < ${k}`);
    counts.fill(0, 0, k);
    // Suffix sums, each summed directly (subtracting from the total would cancel badly when
    // early entries dominate).
    const rest = new Float64Array(k);
    let acc = 0;
    let lastPositive = -1;
    for (let i = k - 1; i >= 0; i--) {
      acc += probs[i];
      rest[i] = acc;
      if (lastPositive < 0 && probs[i] > 0) lastPositive = i;
    }
    let left = n;
    for (let i = 0; i < lastPositive && left > 0; i++) {
      const p = probs[i];
      if (p === 0) continue;
      const c = this.binomial(left, Math.min(1, p / rest[i]));
      counts[i] = c;
      left -= c;
    }
    counts[lastPositive] += left;
    return counts;
  }

  /** A gamma(shape, scale) draw (Marsaglia & Tsang 2000; boosted for shape < 1). */
  gamma(shape: number, scale = 1): number {
    if (!(shape > 0) || !Number.isFinite(shape)) throw new Error(`gamma shape must be positive, got ${shape}`);
    if (shape < 1) {
      // G(a) = G(a + 1) · U^(1/a).
      const u = 1 - this.uniform();
      return this.gamma(shape + 1, scale) * u ** (1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v * scale;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }

  /** A uniformly random permutation of 0…n−1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    checkCount('permutation n', n, 2 ** 31 - 1);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  /** Shuffles an array (or typed array) in place, uniformly (Fisher–Yates); returns it. */
  shuffle<T extends { length: number; [index: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /**
   * k distinct indices from [0, n), uniformly: every ordered k-tuple is equally likely (so the
   * set is a uniform k-subset, in random order). A partial Fisher–Yates shuffle; when k ≪ n
   * the permuted prefix lives in a Map, so cost is O(k) whatever n is. Both forms give the
   * same values for the same stream.
   */
  sampleWithoutReplacement(n: number, k: number): Int32Array {
    checkCount('sampleWithoutReplacement n', n, 2 ** 31 - 1);
    if (!Number.isInteger(k) || k < 0 || k > n) {
      throw new Error(`sampleWithoutReplacement needs an integer 0 <= k <= n = ${n}, got ${k}`);
    }
    const out = new Int32Array(k);
    if (n <= 64 * k || n <= 4096) {
      const pool = new Int32Array(n);
      for (let i = 0; i < n; i++) pool[i] = i;
      for (let i = 0; i < k; i++) {
        const j = i + this.int(n - i);
        const v = pool[j];
        pool[j] = pool[i];
        pool[i] = v;
        out[i] = v;
      }
      return out;
    }
    // Sparse Fisher–Yates: only the displaced positions are stored.
    const moved = new Map<number, number>();
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const v = moved.get(j) ?? j;
      moved.set(j, moved.get(i) ?? i);
      out[i] = v;
    }
    return out;
  }
}

/**
 * The stream `stream` of the cell (or other entity) identified by `key`: seeded from
 * sha256 of the canonical JSON of `{ key, stream }`, so it depends only on the key and the
 * stream name, never on what ran before.
 */
export function rngFromKey(key: unknown, stream: string): Rng {
  return new Rng(hashValue({ key, stream }));
}
