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
