/**
 * Building blocks for `pool` hooks: weighted views over batches, vectorized over replicates, and
 * the helpers that realize a pool's recipes (a `subset`, a part's `draw`) for a task's fit.
 *
 * Recipes keep a pool's cost per round instead of per sample: `subsample` of plain parts and
 * `bernoulliSplit` record a seed and the harness (or a task, in law) draws the samples when the
 * fit reads them, so a pool that keeps every round holds no weight per sample and builds in time
 * that does not grow with the generation.
 */
import type { Batch, BernoulliDraw, Pool, PoolPart } from './types.ts';
import { Rng } from './rng.ts';

/** Every batch with weight 1. */
export function wholePool<D>(batches: Batch<D>[]): Pool<D> {
  return { parts: batches.map((batch) => ({ batch })) };
}

/**
 * Keeps, independently in each replicate, a uniform random subset of `n` samples from the
 * pool's samples of positive weight (weights of kept samples are preserved, others set to 0).
 * Throws when a replicate has fewer than n candidates.
 *
 * A pool of plain parts (no weights, no draws; e.g. a whole history) is not rescanned: the result
 * is the same parts with a `subset` recipe (a seed drawn from `rng`), realized by `subsetPicks`
 * when the fit reads it, in O(n) per replicate whatever the pool's size. Any other pool is
 * subsampled at once into dense weights.
 */
export function subsample<D>(pool: Pool<D>, replicates: number, n: number, rng: Rng): Pool<D> {
  if (pool.subset === undefined && pool.parts.every((p) => p.weights === undefined && p.draw === undefined)) {
    const total = pool.parts.reduce((s, p) => s + p.batch.size, 0);
    if (total < n) throw new Error(`cannot subsample ${n} samples from a pool of ${total} in replicate 0`);
    return { parts: pool.parts, subset: { size: n, seed: recipeSeed(rng, 'subset') } };
  }
  const parts = densePool(pool, replicates).parts;
  const out: PoolPart<D>[] = parts.map((p) => ({ batch: p.batch, weights: new Float64Array(replicates * p.batch.size) }));
  // Candidate (part, index) pairs of one replicate, reused across replicates.
  const total = parts.reduce((s, p) => s + p.batch.size, 0);
  const candPart = new Int32Array(total);
  const candIndex = new Int32Array(total);
  for (let r = 0; r < replicates; r++) {
    let m = 0;
    for (let k = 0; k < parts.length; k++) {
      const { batch, weights } = parts[k];
      for (let i = 0; i < batch.size; i++) {
        if (weights === undefined || weights[r * batch.size + i] > 0) {
          candPart[m] = k;
          candIndex[m] = i;
          m++;
        }
      }
    }
    if (m < n) throw new Error(`cannot subsample ${n} samples from a pool of ${m} in replicate ${r}`);
    for (const j of rng.sampleWithoutReplacement(m, n)) {
      const k = candPart[j];
      const size = parts[k].batch.size;
      const at = r * size + candIndex[j];
      out[k].weights![at] = parts[k].weights?.[at] ?? 1;
    }
  }
  return { parts: out };
}

/**
 * Mixes two candidate batches of the same size slot by slot: independently in each replicate,
 * slot i holds `first`'s sample i with probability p, otherwise `second`'s sample i (weights
 * 1/0 and 0/1, so every slot holds exactly one sample). When the two batches are i.i.d. draws
 * from P₁ and P₂, the pool is then n i.i.d. draws from the mixture p·P₁ + (1−p)·P₂, and the
 * number of `first` samples in a replicate is Binomial(n, p).
 */
export function bernoulliSplit<D>(first: Batch<D>, second: Batch<D>, p: number, _replicates: number, rng: Rng): [PoolPart<D>, PoolPart<D>] {
  if (first.size !== second.size) throw new Error(`bernoulliSplit needs batches of the same size, got ${first.size} and ${second.size}`);
  if (!(p >= 0 && p <= 1)) throw new Error(`invalid p: ${p} (bernoulliSplit needs a probability in [0, 1])`);
  // The mask as a recipe (types.ts BernoulliDraw): realized by partWeights when read, so a pool
  // that keeps every round (generation weighting) holds a seed per round, not a weight per sample.
  const seed = recipeSeed(rng, 'bernoulli');
  return [
    { batch: first, draw: { kind: 'bernoulli', seed, p, side: 'first', weight: 1 } },
    { batch: second, draw: { kind: 'bernoulli', seed, p, side: 'second', weight: 1 } },
  ];
}

/** A copy of `part` with every weight multiplied by `factor` (omitted weights count as 1; a draw stays a draw). */
export function scaleWeights<D>(part: PoolPart<D>, factor: number, replicates: number): PoolPart<D> {
  if (!(factor >= 0) || !Number.isFinite(factor)) throw new Error(`invalid factor: ${factor} (scaleWeights needs a finite factor ≥ 0)`);
  if (part.draw) return { batch: part.batch, draw: { ...part.draw, weight: part.draw.weight * factor } };
  const weights = new Float64Array(replicates * part.batch.size);
  for (let i = 0; i < weights.length; i++) weights[i] = (part.weights ? part.weights[i] : 1) * factor;
  return { batch: part.batch, weights };
}

/**
 * Rescales the weights of groups of pool parts so that, in every replicate, group g carries the
 * fraction `shares[g]` of that replicate's total weight; the total itself is unchanged, so the
 * pool keeps its size (Σw) and relative weights within a group are preserved. A group with no
 * positive weight in a replicate stays empty there and the others share its part in proportion
 * to their shares; when every non-empty group has share 0, the replicate keeps its weights.
 * Returns the groups in the same shape, with fresh weight arrays.
 */
export function reweightShares<D>(groups: PoolPart<D>[][], shares: readonly number[], replicates: number): PoolPart<D>[][] {
  if (shares.length !== groups.length)
    throw new Error(`reweightShares needs one share per group: ${groups.length} groups, ${shares.length} shares`);
  for (const s of shares) if (!(s >= 0) || !Number.isFinite(s)) throw new Error(`invalid share: ${s} (shares must be finite and ≥ 0)`);
  const dense = new Map(groups.flat().map((part) => [part, partWeights(part, replicates)]));
  const weightOf = (part: PoolPart<D>, at: number) => dense.get(part)?.[at] ?? 1;
  const sums = groups.map(() => new Float64Array(replicates));
  groups.forEach((group, g) => {
    for (const part of group) {
      const n = part.batch.size;
      for (let r = 0; r < replicates; r++) for (let i = 0; i < n; i++) sums[g][r] += weightOf(part, r * n + i);
    }
  });
  // factor[g][r]: multiplier of group g's weights in replicate r.
  const factors = groups.map(() => new Float64Array(replicates).fill(1));
  for (let r = 0; r < replicates; r++) {
    let total = 0;
    let shareSum = 0;
    for (let g = 0; g < groups.length; g++) {
      total += sums[g][r];
      if (sums[g][r] > 0) shareSum += shares[g];
    }
    if (shareSum === 0) continue;
    for (let g = 0; g < groups.length; g++) {
      if (sums[g][r] > 0) factors[g][r] = (total * shares[g]) / (shareSum * sums[g][r]);
    }
  }
  return groups.map((group, g) =>
    group.map((part) => {
      const n = part.batch.size;
      const weights = new Float64Array(replicates * n);
      for (let r = 0; r < replicates; r++) for (let i = 0; i < n; i++) weights[r * n + i] = weightOf(part, r * n + i) * factors[g][r];
      return { batch: part.batch, weights };
    }),
  );
}

/** Per-replicate training-pool size: the sum of weights (samples count 1 where weights are omitted). */
export function poolWeightSums<D>(pool: Pool<D>, replicates: number): Float64Array {
  const sums = new Float64Array(replicates);
  if (pool.subset) return sums.fill(pool.subset.size);
  for (const part of pool.parts) {
    const { batch } = part;
    const weights = partWeights(part, replicates);
    for (let r = 0; r < replicates; r++) {
      if (!weights) sums[r] += batch.size;
      else for (let i = r * batch.size, end = i + batch.size; i < end; i++) sums[r] += weights[i];
    }
  }
  return sums;
}

// ---------------------------------------------------------------------------------------
// Realizing recipes

/** A seed for a recipe, from four draws of the method's stream (so the recipe's own stream never shifts the method's later draws). */
function recipeSeed(rng: Rng, what: string): string {
  return rng.fork(`${what} ${rng.nextUint32()} ${rng.nextUint32()} ${rng.nextUint32()} ${rng.nextUint32()}`).seed;
}

/** A part's weights as a dense array (R × size), or undefined when every sample weighs 1; a draw is realized afresh (the caller keeps it if it needs it twice). */
export function partWeights<D>(part: PoolPart<D>, replicates: number): Float64Array | undefined {
  if (part.draw) return drawWeights(part.draw, replicates * part.batch.size);
  return part.weights;
}

/** The weights of a Bernoulli draw over `length` slots (types.ts BernoulliDraw). */
function drawWeights(draw: BernoulliDraw, length: number): Float64Array {
  const out = new Rng(draw.seed).fillUniform(new Float64Array(length));
  const { p, weight } = draw;
  const first = draw.side === 'first';
  for (let i = 0; i < length; i++) out[i] = inDraw(out[i], p, first) ? weight : 0;
  return out;
}

/** Uniforms drawn per chunk by `drawMaskInto`: small enough to stay in cache, large enough that the call costs nothing. */
const DRAW_CHUNK = 4096;

/**
 * Sets `mask[i] = 1` for every slot i a draw gives positive weight (`mask.length` slots), without
 * realizing its weights: the draw's uniforms stream through one small buffer, the same values
 * `partWeights` reads, so the budget counts exactly the slots the fit weighs.
 */
export function drawMaskInto(draw: BernoulliDraw, mask: Uint8Array): void {
  if (!(draw.weight > 0)) return;
  const rng = new Rng(draw.seed);
  const chunk = new Float64Array(DRAW_CHUNK);
  const { p } = draw;
  const first = draw.side === 'first';
  for (let start = 0; start < mask.length; start += DRAW_CHUNK) {
    const count = Math.min(DRAW_CHUNK, mask.length - start);
    const u = rng.fillUniform(count === DRAW_CHUNK ? chunk : chunk.subarray(0, count));
    for (let i = 0; i < count; i++) if (inDraw(u[i], p, first)) mask[start + i] = 1;
  }
}

/** The selection rule of a Bernoulli draw: slot i belongs to its `first` side when its uniform is below p. */
function inDraw(u: number, p: number, first: boolean): boolean {
  return u < p === first;
}

/**
 * Realizes a pool's `subset`: calls `visit(r, part, index, count)` for each replicate r in order,
 * with the picked samples as (part number, sample index) pairs in `part[0…count)` and
 * `index[0…count)`, sorted by part and then index. The arrays are reused between calls.
 */
export function subsetPicks<D>(
  pool: Pool<D>,
  replicates: number,
  visit: (r: number, part: Int32Array, index: Int32Array, count: number) => void,
): void {
  const subset = pool.subset;
  if (!subset) throw new Error('subsetPicks needs a pool with a subset');
  // starts[q]: the pool-wide number of part q's first sample.
  const starts = new Float64Array(pool.parts.length + 1);
  pool.parts.forEach((p, q) => {
    starts[q + 1] = starts[q] + p.batch.size;
  });
  const total = starts[pool.parts.length];
  // firstPart[b]: the part holding sample b·2^shift, where a pick's part is looked up from
  // (≤ 4096 buckets), so that finding it does not walk every part of a long history.
  const shift = Math.max(0, Math.ceil(Math.log2(total / 4096)));
  const firstPart = new Int32Array(Math.floor((total - 1) / 2 ** shift) + 1);
  for (let b = 0, q = 0; b < firstPart.length; b++) {
    while (starts[q + 1] <= b * 2 ** shift) q++;
    firstPart[b] = q;
  }
  const k = subset.size;
  const rng = new Rng(subset.seed);
  const part = new Int32Array(k);
  const index = new Int32Array(k);
  const picks = new Int32Array(k);
  for (let r = 0; r < replicates; r++) {
    floydSample(rng, total, picks);
    for (let i = 0; i < k; i++) {
      const pick = picks[i];
      let q = firstPart[pick >>> shift];
      while (pick >= starts[q + 1]) q++;
      part[i] = q;
      index[i] = pick - starts[q];
    }
    visit(r, part, index, k);
  }
}

/** Up to this many picks, each is inserted in order as it is drawn (which is also the membership test); beyond, a set and one sort. */
const INSERTION_PICKS = 64;

/**
 * A uniform k-subset of [0, n) (k = out.length), sorted ascending: Floyd's algorithm, O(k)
 * draws and O(k) memory whatever n is (Rng.sampleWithoutReplacement is O(n) for n ≤ 64k, which a
 * subset of a growing history would pay every generation).
 */
function floydSample(rng: Rng, n: number, out: Int32Array): Int32Array {
  const k = out.length;
  if (k > INSERTION_PICKS) {
    const set = new Set<number>();
    for (let m = 0, j = n - k; j < n; j++, m++) {
      const t = rng.int(j + 1);
      const pick = set.has(t) ? j : t;
      out[m] = pick;
      set.add(pick);
    }
    return out.sort();
  }
  for (let m = 0, j = n - k; j < n; j++, m++) {
    const t = rng.int(j + 1);
    // Floyd: t if not yet picked, else j (larger than every pick so far, so it goes last).
    let at = m;
    while (at > 0 && out[at - 1] > t) at--;
    if (at > 0 && out[at - 1] === t) out[m] = j;
    else {
      for (let i = m; i > at; i--) out[i] = out[i - 1];
      out[at] = t;
    }
  }
  return out;
}

/**
 * The pool with every recipe realized: parts with plain weights (or none), no subset. Plain parts
 * are returned as they are (a task may cache by their identity); a subset gives every part fresh
 * 0/1 weights, a draw its realized weights: the same part object each time when `drawn` (a cache
 * kept for the cell) is given, so that a task's per-part caches keep working across generations.
 */
export function densePool<D>(pool: Pool<D>, replicates: number, drawn?: WeakMap<PoolPart<D>, PoolPart<D>>): Pool<D> {
  if (pool.subset) {
    const weights = pool.parts.map((p) => new Float64Array(replicates * p.batch.size));
    subsetPicks(pool, replicates, (r, part, index, count) => {
      for (let i = 0; i < count; i++) weights[part[i]][r * pool.parts[part[i]].batch.size + index[i]] = 1;
    });
    return { parts: pool.parts.map((p, i) => ({ batch: p.batch, weights: weights[i] })) };
  }
  if (!pool.parts.some((p) => p.draw)) return pool;
  const realize = (p: PoolPart<D>): PoolPart<D> => {
    let dense = drawn?.get(p);
    if (!dense) {
      dense = { batch: p.batch, weights: partWeights(p, replicates) };
      drawn?.set(p, dense);
    }
    return dense;
  };
  return { parts: pool.parts.map((p) => (p.draw ? realize(p) : p)) };
}
