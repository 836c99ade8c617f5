/**
 * Exact draws without replacement for the markov variant's subsampled pools (markov.ts): a pool
 * `subset` keeps, per replicate, a uniform random subset of `size` of the union's samples, and
 * the fit needs only that subset's token counts per context. Their law is multivariate
 * hypergeometric at two levels, realized here without materializing a single token:
 * - contexts: how many picked samples fall in each context, by sequential univariate
 *   hypergeometric draws (`hypergeometric`), O(C) draws per replicate;
 * - tokens: which samples of a context are picked, as uniformly random distinct positions in
 *   the context's samples grouped by token (`DistinctPositions`), each position's token found
 *   in the cumulative counts: O(picked · log V) per context, whatever the pool's size.
 * The second level (`RowPicker`) also realizes a Bernoulli `draw` part in law (markov.ts): which
 * of a context's samples its mask takes.
 */
import type { Rng } from '../../harness/rng.ts';

/**
 * Relative weights below this fraction of the running total end the walk away from the mode; the
 * log-concave tail left out weighs less than that fraction of the whole, far below the 2⁻⁵³
 * resolution of the uniform that inverts the distribution.
 */
const TAIL = 2 ** -64;

/**
 * A draw from Hypergeometric(population, successes, draws): the number of successes among
 * `draws` samples taken without replacement from `population` items of which `successes` are
 * successes.
 *
 * Exact inversion, without log-gamma cancellation (log Γ(10⁶) ≈ 1.3·10⁷ would leave ~10⁻⁹ relative
 * error in the pmf): weights relative to the mode come from the pmf's ratio recurrences
 *   f(x+1)/f(x) = (K − x)(n − x) / ((x + 1)(N − K − n + x + 1)),
 *   f(x−1)/f(x) = x(N − K − n + x) / ((K − x + 1)(n − x + 1)),
 * walking outwards until the rest of each tail is provably below 2⁻⁶⁴ of the total (the pmf is
 * log-concave, so past a ratio ρ < 1 a tail is at most term·ρ/(1 − ρ)); then one uniform times
 * the total is spent down from the mode, alternately right and left (any fixed order of the
 * values inverts exactly). O(width of the distribution) ≈ O(sd). `scratch` holds the weights;
 * pass the same object to reuse it.
 */
export function hypergeometric(
  rng: Rng,
  population: number,
  successes: number,
  draws: number,
  scratch: HypergeometricScratch = hypergeometricScratch(),
): number {
  const N = population;
  const K = successes;
  const n = draws;
  if (!Number.isSafeInteger(N) || !Number.isSafeInteger(K) || !Number.isSafeInteger(n) || N < 0 || K < 0 || n < 0 || K > N || n > N) {
    throw new Error(`hypergeometric needs integers 0 <= successes, draws <= population, got population ${N}, successes ${K}, draws ${n}`);
  }
  const lo = Math.max(0, n - (N - K));
  const hi = Math.min(n, K);
  if (lo === hi) return lo;
  const mode = Math.min(hi, Math.max(lo, Math.floor(((n + 1) * (K + 1)) / (N + 2))));
  const rest = N - K - n;
  let total = 1;
  let right = scratch.right;
  let nr = 0;
  for (let x = mode, w = 1; x < hi; x++) {
    const ratio = ((K - x) * (n - x)) / ((x + 1) * (rest + x + 1));
    w *= ratio;
    if (nr === right.length) right = scratch.right = grow(right);
    right[nr++] = w;
    total += w;
    if (ratio < 1 && w * ratio < TAIL * total * (1 - ratio)) break;
  }
  let left = scratch.left;
  let nl = 0;
  for (let x = mode, w = 1; x > lo; x--) {
    const ratio = (x * (rest + x)) / ((K - x + 1) * (n - x + 1));
    w *= ratio;
    if (nl === left.length) left = scratch.left = grow(left);
    left[nl++] = w;
    total += w;
    if (ratio < 1 && w * ratio < TAIL * total * (1 - ratio)) break;
  }
  for (;;) {
    let u = rng.uniform() * total - 1;
    if (u < 0) return mode;
    for (let i = 0; i < nr || i < nl; i++) {
      if (i < nr && (u -= right[i]) < 0) return mode + 1 + i;
      if (i < nl && (u -= left[i]) < 0) return mode - 1 - i;
    }
    // Only rounding gets here (the total was summed in another order, u within an ulp of it): draw again.
  }
}

/** Reusable storage for `hypergeometric`: the weights right and left of the mode. */
export interface HypergeometricScratch {
  right: Float64Array;
  left: Float64Array;
}

export function hypergeometricScratch(): HypergeometricScratch {
  return { right: new Float64Array(64), left: new Float64Array(64) };
}

function grow(a: Float64Array): Float64Array {
  const out = new Float64Array(2 * a.length);
  out.set(a);
  return out;
}

/**
 * k distinct uniformly random positions in [0, n), in the order drawn (an ordered uniform sample
 * without replacement, as `rng.sampleWithoutReplacement` draws: a partial Fisher–Yates shuffle)
 * without its O(n) set-up per call: the identity array is kept between calls and the swaps are
 * undone afterwards, so a call costs O(k). The swap partners are exact uniform integers (Lemire's
 * multiply-and-reject on 32-bit words) from uniforms drawn in bulk, each a uniform 53-bit
 * integer whose top 32 bits ⌊u·2³²⌋ are a uniform word: several times cheaper than one
 * `rng.int` call per position.
 */
export class DistinctPositions {
  #identity = new Int32Array(0);
  #out = new Int32Array(0);
  #swaps = new Int32Array(0);
  #uniforms = new Float64Array(0);

  /** The positions, in an array reused by the next call. */
  draw(rng: Rng, n: number, k: number): Int32Array {
    if (!Number.isInteger(n) || n < 0 || n > 2 ** 21 || !Number.isInteger(k) || k < 0 || k > n) {
      throw new Error(`DistinctPositions needs integers 0 <= k <= n <= 2^21, got n = ${n}, k = ${k}`);
    }
    if (this.#identity.length < n) {
      const grown = new Int32Array(Math.max(n, 2 * this.#identity.length));
      for (let i = 0; i < grown.length; i++) grown[i] = i;
      this.#identity = grown;
    }
    if (this.#out.length < k) {
      const length = Math.max(k, 2 * this.#out.length);
      this.#out = new Int32Array(length);
      this.#swaps = new Int32Array(length);
      this.#uniforms = new Float64Array(length);
    }
    const pool = this.#identity;
    const out = this.#out;
    const swaps = this.#swaps;
    partialShuffle(rng, rng.fillUniform(this.#uniforms.subarray(0, k)), pool, n, k, swaps);
    out.set(pool.subarray(0, k));
    // Undo in reverse order: the array is the identity again.
    for (let i = k - 1; i >= 0; i--) {
      const j = swaps[i];
      const v = pool[j];
      pool[j] = pool[i];
      pool[i] = v;
    }
    return out.subarray(0, k);
  }
}

/**
 * The first k steps of a Fisher–Yates shuffle of items[0, n), in place: step i swaps position i
 * with i + uniformBelow(rng, u[i], n − i), so items[0, k) ends up an ordered uniform sample without
 * replacement (no later step touches an earlier position). Step i's partner goes to swaps[i] when
 * given, for a caller that undoes the steps.
 */
function partialShuffle(rng: Rng, u: Float64Array, items: Int32Array, n: number, k: number, swaps?: Int32Array): void {
  for (let i = 0; i < k; i++) {
    const j = i + uniformBelow(rng, u[i], n - i);
    const v = items[j];
    items[j] = items[i];
    items[i] = v;
    if (swaps) swaps[i] = j;
  }
}

const TWO_POW_32 = 4294967296;
const TWO_POW_NEG_32 = 1 / TWO_POW_32;

/**
 * An exact uniform integer in [0, range) (range ≤ 2^21) from the uniform u, by Lemire's
 * multiply-and-reject on its top 32 bits ⌊u·2³²⌋ (a uniform word), drawing further uniforms from
 * `rng` in the rare case of a rejection. x·range < 2^53 is exact; the low word below the threshold
 * (2^32 − range) mod range marks the few words that would over-represent some values. (Split by
 * powers of two, exact, rather than by %, a slow floating-point remainder.)
 */
function uniformBelow(rng: Rng, u: number, range: number): number {
  let prod = Math.floor(u * TWO_POW_32) * range;
  let high = Math.floor(prod * TWO_POW_NEG_32);
  let low = prod - high * TWO_POW_32;
  if (low < range) {
    const threshold = (TWO_POW_32 - range) % range;
    while (low < threshold) {
      prod = Math.floor(rng.uniform() * TWO_POW_32) * range;
      high = Math.floor(prod * TWO_POW_NEG_32);
      low = prod - high * TWO_POW_32;
    }
  }
  return high;
}

/**
 * The token counts of a uniform random subset of `size` samples, drawn independently in each
 * replicate, from a union of samples given by its counts: `union[(r·C + c)·V + v]` samples of
 * replicate r in context c are token v (integers), and every replicate has `population[c]`
 * samples in context c (= Σ_v of the union's row). Returns the subset's counts (R × C × V) and
 * their sums per (replicate, context). The law is that of picking `size` of the union's samples
 * uniformly without replacement: per replicate, the picks per context are multivariate
 * hypergeometric over the contexts' populations (sequential univariate draws), and a context's
 * picks are uniformly random distinct samples of it, their tokens multivariate hypergeometric
 * over the row's counts. Draws come from `rng` in replicate order.
 */
export function subsetCounts(
  union: Float64Array,
  population: ArrayLike<number>,
  shape: { replicates: number; contexts: number; vocab: number },
  size: number,
  rng: Rng,
): { counts: Float64Array; totals: Float64Array } {
  const { replicates: R, contexts: C, vocab: V } = shape;
  if (union.length !== R * C * V || population.length !== C)
    throw new Error(
      `subsetCounts needs R × C × V = ${R * C * V} counts and ${C} populations, got ${union.length} and ${population.length}`,
    );
  let total = 0;
  for (let c = 0; c < C; c++) total += population[c];
  if (!Number.isInteger(size) || size < 0 || size > total) throw new Error(`cannot pick ${size} samples from a pool of ${total}`);
  const counts = new Float64Array(R * C * V);
  const totals = new Float64Array(R * C);
  const picker = new RowPicker(V);
  const scratch = hypergeometricScratch();
  for (let r = 0; r < R; r++) {
    let left = total;
    let picksLeft = size;
    for (let c = 0; c < C; c++) {
      const nc = population[c];
      const m = c === C - 1 ? picksLeft : hypergeometric(rng, left, nc, picksLeft, scratch);
      left -= nc;
      picksLeft -= m;
      const row = (r * C + c) * V;
      totals[r * C + c] = m;
      if (m === 0) continue;
      const sum = picker.prepare(union, row);
      if (sum !== nc) throw new Error(`the pool's counts of replicate ${r} context ${c} sum to ${sum}, not its ${nc} samples`);
      picker.pick(rng, m, counts, row);
    }
  }
  return { counts, totals };
}

/**
 * Picks uniformly random distinct samples of one row given by its token counts, and counts their
 * tokens: the picks' counts are multivariate hypergeometric over the row's counts. `prepare` takes
 * the row; `pick` draws m distinct positions in the row's samples grouped by token
 * (DistinctPositions) and finds each position's token. A row's positive entries are kept as their
 * tokens and cumulative ends (positions [end_{i−1}, end_i) are token tok_i) with a bucket index
 * over the positions: bucket b of width 2^shift starts at the first entry whose end exceeds
 * b·2^shift, so a lookup scans about one entry (a binary search's unpredictable branches cost
 * several times more).
 */
export class RowPicker {
  readonly #positions = new DistinctPositions();
  readonly #tok: Int32Array;
  readonly #end: Float64Array;
  #first: Int32Array;
  #entries = 0;
  #size = 0;
  /** The prepared row's tokens laid out in order, and uniforms, for the shuffle path of `pick`. */
  #row = new Int32Array(0);
  #u = new Float64Array(0);

  constructor(private readonly V: number) {
    this.#tok = new Int32Array(V);
    this.#end = new Float64Array(V);
    this.#first = new Int32Array(2 * V + 2);
  }

  /** Takes the row counts[off … off+V) (integers ≥ 0) and returns its number of samples. */
  prepare(counts: ArrayLike<number>, off: number): number {
    const tok = this.#tok;
    const end = this.#end;
    let k = 0;
    let acc = 0;
    // Branch-free (whether a token is present is a coin flip in sparse rows): every entry is
    // written, only the count advances past the positive ones.
    for (let v = 0; v < this.V; v++) {
      const x = counts[off + v];
      acc += x;
      tok[k] = v;
      end[k] = acc;
      k += (x > 0) as unknown as number;
    }
    this.#entries = k;
    this.#size = acc;
    return acc;
  }

  /**
   * Adds one to out[off + token] for each of m distinct samples of the prepared row, picked
   * uniformly; draws from `rng`. The positions are DistinctPositions' (the same uniforms, the same
   * swaps), found two ways with the same result: where the picks are a fair share of the row, a
   * partial shuffle of the row's tokens laid out in order (O(n_c) to lay out, no lookups);
   * otherwise positions in an identity array and a bucket lookup each (O(V + m), whatever n_c).
   */
  pick(rng: Rng, m: number, out: Float64Array, off: number): void {
    const nc = this.#size;
    const k = this.#entries;
    const tok = this.#tok;
    const end = this.#end;
    if (nc <= 4 * m + this.V) {
      if (!(m >= 0 && m <= nc && nc <= 2 ** 21)) throw new Error(`RowPicker needs integers 0 <= m <= n <= 2^21, got n = ${nc}, m = ${m}`);
      if (this.#row.length < nc) this.#row = new Int32Array(Math.max(nc, 2 * this.#row.length));
      if (this.#u.length < m) this.#u = new Float64Array(Math.max(m, 2 * this.#u.length));
      const row = this.#row;
      for (let i = 0, p = 0; i < k; i++) for (const e = end[i]; p < e; p++) row[p] = tok[i];
      partialShuffle(rng, rng.fillUniform(this.#u.subarray(0, m)), row, nc, m);
      for (let i = 0; i < m; i++) out[off + row[i]]++;
      return;
    }
    // Buckets at least as many as entries, at most twice: 2^shift ≤ nc/k.
    let shift = 0;
    while (2 ** (shift + 1) * k <= nc) shift++;
    const buckets = Math.ceil(nc / 2 ** shift);
    if (this.#first.length < buckets) this.#first = new Int32Array(2 * buckets);
    const first = this.#first;
    for (let b = 0, i = 0; b < buckets; b++) {
      const start = b * 2 ** shift;
      while (end[i] <= start) i++;
      first[b] = i;
    }
    const picks = this.#positions.draw(rng, nc, m);
    for (let j = 0; j < m; j++) {
      const p = picks[j];
      let i = first[p >> shift];
      while (end[i] <= p) i++;
      out[off + tok[i]]++;
    }
  }
}
