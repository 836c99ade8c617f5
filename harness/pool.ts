/** Building blocks for `pool` hooks: weighted views over batches, vectorized over replicates. */
import type { Batch, Pool, PoolPart } from './types.ts';
import type { Rng } from './rng.ts';

/** Every batch with weight 1. */
export function wholePool<D>(batches: Batch<D>[]): Pool<D> {
  return { parts: batches.map((batch) => ({ batch })) };
}

/**
 * Keeps, independently in each replicate, a uniform random subset of `n` samples from the
 * pool's samples of positive weight (weights of kept samples are preserved, others set to 0).
 * Throws when a replicate has fewer than n candidates.
 */
export function subsample<D>(pool: Pool<D>, replicates: number, n: number, rng: Rng): Pool<D> {
  const parts = pool.parts;
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
export function bernoulliSplit<D>(first: Batch<D>, second: Batch<D>, p: number, replicates: number, rng: Rng): [PoolPart<D>, PoolPart<D>] {
  if (first.size !== second.size) throw new Error(`bernoulliSplit needs batches of the same size, got ${first.size} and ${second.size}`);
  if (!(p >= 0 && p <= 1)) throw new Error(`invalid p: ${p} (bernoulliSplit needs a probability in [0, 1])`);
  const u = rng.fillUniform(new Float64Array(replicates * first.size));
  const a = new Float64Array(u.length);
  const b = new Float64Array(u.length);
  for (let i = 0; i < u.length; i++) {
    const take = u[i] < p ? 1 : 0;
    a[i] = take;
    b[i] = 1 - take;
  }
  return [
    { batch: first, weights: a },
    { batch: second, weights: b },
  ];
}

/** A copy of `part` with every weight multiplied by `factor` (omitted weights count as 1). */
export function scaleWeights<D>(part: PoolPart<D>, factor: number, replicates: number): PoolPart<D> {
  if (!(factor >= 0) || !Number.isFinite(factor)) throw new Error(`invalid factor: ${factor} (scaleWeights needs a finite factor ≥ 0)`);
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
  if (shares.length !== groups.length) throw new Error(`reweightShares needs one share per group: ${groups.length} groups, ${shares.length} shares`);
  for (const s of shares) if (!(s >= 0) || !Number.isFinite(s)) throw new Error(`invalid share: ${s} (shares must be finite and ≥ 0)`);
  const weightOf = (part: PoolPart<D>, at: number) => (part.weights ? part.weights[at] : 1);
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
  for (const { batch, weights } of pool.parts) {
    for (let r = 0; r < replicates; r++) {
      if (!weights) sums[r] += batch.size;
      else for (let i = r * batch.size, end = i + batch.size; i < end; i++) sums[r] += weights[i];
    }
  }
  return sums;
}
