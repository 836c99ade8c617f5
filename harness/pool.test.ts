import { describe, expect, it } from 'vitest';
import { subsample, wholePool } from './pool.ts';
import { rngFromKey } from './rng.ts';
import type { Batch } from './types.ts';

const batch = (size: number, generation: number): Batch<null> => ({ origin: generation === 0 ? 'real' : 'synthetic', generation, size, data: null });

describe('subsample', () => {
  const R = 4000;
  const pool = wholePool([batch(5, 0), batch(5, 1), batch(10, 2)]);
  const picked = subsample(pool, R, 8, rngFromKey('pool', 'test'));

  it('keeps exactly n samples in every replicate, with weight 1', () => {
    for (let r = 0; r < R; r++) {
      let kept = 0;
      for (const { batch: b, weights } of picked.parts) for (let i = 0; i < b.size; i++) {
        const w = weights![r * b.size + i];
        expect([0, 1]).toContain(w);
        kept += w;
      }
      expect(kept).toBe(8);
    }
  });

  it('includes each of the 20 candidates with probability n/N = 0.4 (within 4 SE)', () => {
    const se = Math.sqrt((0.4 * 0.6) / R);
    for (const { batch: b, weights } of picked.parts) for (let i = 0; i < b.size; i++) {
      let hits = 0;
      for (let r = 0; r < R; r++) hits += weights![r * b.size + i];
      expect(Math.abs(hits / R - 0.4)).toBeLessThan(4 * se);
    }
  });

  it('draws independently per replicate (replicates differ) and preserves prior weights', () => {
    const first = picked.parts.map((p) => Array.from(p.weights!.subarray(0, p.batch.size)).join('')).join('|');
    const second = picked.parts.map((p) => Array.from(p.weights!.subarray(p.batch.size, 2 * p.batch.size)).join('')).join('|');
    expect(first).not.toBe(second);
    const weighted = { parts: [{ batch: batch(3, 0), weights: Float64Array.from([0.5, 0, 2]) }] };
    expect(Array.from(subsample(weighted, 1, 2, rngFromKey('pool', 'w')).parts[0].weights!)).toEqual([0.5, 0, 2]);
  });

  it('refuses to subsample more than a replicate holds', () => {
    expect(() => subsample(wholePool([batch(3, 0)]), 2, 4, rngFromKey('pool', 'x'))).toThrow('cannot subsample 4 samples from a pool of 3 in replicate 0');
  });
});
