import { describe, expect, it } from 'vitest';
import {
  bernoulliSplit,
  densePool,
  drawMaskInto,
  partWeights,
  poolWeightSums,
  reweightShares,
  scaleWeights,
  subsample,
  subsetPicks,
  wholePool,
} from './pool.ts';
import { Rng, rngFromKey } from './rng.ts';
import type { Batch } from './types.ts';

const batch = (size: number, generation: number): Batch<null> => ({
  origin: generation === 0 ? 'real' : 'synthetic',
  generation,
  size,
  data: null,
});

describe('subsample', () => {
  const R = 4000;
  const pool = wholePool([batch(5, 0), batch(5, 1), batch(10, 2)]);
  const recipe = subsample(pool, R, 8, rngFromKey('pool', 'test'));
  const picked = densePool(recipe, R);

  it('of plain parts is a recipe: the same parts and a subset, realized the same way every time', () => {
    expect(recipe.parts).toBe(pool.parts);
    expect(recipe.subset).toMatchObject({ size: 8, seed: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(recipe.parts.every((p) => p.weights === undefined)).toBe(true);
    const again = densePool(recipe, R);
    again.parts.forEach((p, i) => {
      expect(p.weights).toEqual(picked.parts[i].weights);
    });
    expect(Array.from(poolWeightSums(recipe, 3))).toEqual([8, 8, 8]);
    const seen: string[] = [];
    subsetPicks(recipe, 2, (r, part, index, count) =>
      seen.push(`${r}:${count}:${Array.from(part.subarray(0, count))}:${Array.from(index.subarray(0, count))}`),
    );
    expect(seen).toHaveLength(2);
    // Sorted by part, then index.
    for (const line of seen) {
      const [, , parts, indices] = line.split(':');
      const keys = parts.split(',').map((q, i) => Number(q) * 100 + Number(indices.split(',')[i]));
      expect(keys).toEqual([...keys].sort((x, y) => x - y));
    }
  });

  it('keeps exactly n samples in every replicate, with weight 1', () => {
    for (let r = 0; r < R; r++) {
      let kept = 0;
      for (const { batch: b, weights } of picked.parts)
        for (let i = 0; i < b.size; i++) {
          const w = weights![r * b.size + i];
          expect([0, 1]).toContain(w);
          kept += w;
        }
      expect(kept).toBe(8);
    }
  });

  it('includes each of the 20 candidates with probability n/N = 0.4 (within 4 SE)', () => {
    const se = Math.sqrt((0.4 * 0.6) / R);
    for (const { batch: b, weights } of picked.parts)
      for (let i = 0; i < b.size; i++) {
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
    expect(() => subsample(wholePool([batch(3, 0)]), 2, 4, rngFromKey('pool', 'x'))).toThrow(
      'cannot subsample 4 samples from a pool of 3 in replicate 0',
    );
  });
});

describe('subsetPicks over a long history', () => {
  // 60 parts of 90…149 samples (7170 in all, so the part lookup table has buckets of 2 samples).
  const sizes = Array.from({ length: 60 }, (_, q) => 90 + q);
  const pool = wholePool(sizes.map((size, q) => batch(size, q)));
  const N = sizes.reduce((a, b) => a + b, 0);

  /** The plain algorithm, written out: Floyd with a set, one sort, a pick's part by walking the parts. */
  function reference(seed: string, k: number, replicates: number): string[] {
    const rng = new Rng(seed);
    const out: string[] = [];
    for (let r = 0; r < replicates; r++) {
      const set = new Set<number>();
      for (let j = N - k; j < N; j++) {
        const t = rng.int(j + 1);
        set.add(set.has(t) ? j : t);
      }
      const pairs = [...set]
        .sort((a, b) => a - b)
        .map((pick) => {
          let q = 0;
          while (pick >= sizes[q]) pick -= sizes[q++];
          return `${q}.${pick}`;
        });
      out.push(pairs.join(' '));
    }
    return out;
  }

  for (const k of [20, 64, 65, 300]) {
    it(`gives the plain algorithm's picks, ${k} per replicate (${k <= 64 ? 'inserted in order as drawn' : 'a set and a sort'})`, () => {
      const recipe = subsample(pool, 50, k, rngFromKey('long history', String(k)));
      const seen: string[] = [];
      subsetPicks(recipe, 50, (_r, part, index, count) =>
        seen.push(Array.from({ length: count }, (_, i) => `${part[i]}.${index[i]}`).join(' ')),
      );
      expect(seen).toEqual(reference(recipe.subset!.seed, k, 50));
    });
  }

  it('picks every sample with probability k/N (Monte Carlo, per part, within 5 standard errors)', () => {
    const R = 4000;
    const k = 20;
    const recipe = subsample(pool, R, k, rngFromKey('long history', 'frequencies'));
    const perPart = new Float64Array(sizes.length);
    subsetPicks(recipe, R, (_r, part, _index, count) => {
      for (let i = 0; i < count; i++) perPart[part[i]]++;
    });
    sizes.forEach((size, q) => {
      // A part's picks per replicate are hypergeometric: mean k·size/N.
      const p = size / N;
      const mean = R * k * p;
      const sd = Math.sqrt(R * k * p * (1 - p) * ((N - k) / (N - 1)));
      expect(Math.abs(perPart[q] - mean)).toBeLessThan(5 * sd);
    });
  });
});

describe('drawMaskInto', () => {
  it('marks exactly the slots partWeights weighs, across chunk boundaries', () => {
    const [first, second] = bernoulliSplit(batch(3001, 1), batch(3001, 2), 0.3, 5, rngFromKey('mask', 'test'));
    for (const part of [first, second]) {
      const weights = partWeights(part, 5)!;
      const mask = new Uint8Array(5 * 3001);
      drawMaskInto(part.draw!, mask);
      expect(Array.from(mask)).toEqual(Array.from(weights, (w) => (w > 0 ? 1 : 0)));
    }
    const none = new Uint8Array(10);
    drawMaskInto({ ...first.draw!, weight: 0 }, none);
    expect(Array.from(none)).toEqual(new Array(10).fill(0));
  });
});

describe('bernoulliSplit', () => {
  const R = 4000;
  const [da, db] = bernoulliSplit(batch(10, 1), batch(10, 2), 0.3, R, rngFromKey('pool', 'split'));
  const [a, b] = [{ weights: partWeights(da, R) }, { weights: partWeights(db, R) }];

  it('is a recipe (a shared seed), realized identically on every read, and scaled as a recipe', () => {
    expect(da.weights).toBeUndefined();
    expect(da.draw).toMatchObject({ kind: 'bernoulli', p: 0.3, side: 'first', weight: 1 });
    expect(db.draw!.seed).toBe(da.draw!.seed);
    expect(partWeights(da, R)).toEqual(a.weights);
    const scaled = scaleWeights(da, 2.5, R);
    expect(scaled.draw).toMatchObject({ ...da.draw, weight: 2.5 });
    expect(Array.from(partWeights(scaled, R)!.subarray(0, 50))).toEqual(Array.from(a.weights!.subarray(0, 50), (w) => w * 2.5));
    const plain = { parts: [{ batch: batch(3, 0) }] };
    expect(densePool(plain, 2)).toBe(plain);
    expect(densePool({ parts: [da] }, R).parts[0].weights).toEqual(a.weights);
  });

  it('gives every slot to exactly one batch (complementary 0/1 weights)', () => {
    for (let i = 0; i < R * 10; i++) {
      expect([0, 1]).toContain(a.weights![i]);
      expect(a.weights![i] + b.weights![i]).toBe(1);
    }
  });

  it('takes the first batch with probability p in every slot (within 4 SE)', () => {
    const se = Math.sqrt((0.3 * 0.7) / R);
    for (let i = 0; i < 10; i++) {
      let hits = 0;
      for (let r = 0; r < R; r++) hits += a.weights![r * 10 + i];
      expect(Math.abs(hits / R - 0.3)).toBeLessThan(4 * se);
    }
  });

  it('gives all slots to one batch at p = 0 and p = 1', () => {
    const rng = rngFromKey('pool', 'edge');
    expect(Array.from(partWeights(bernoulliSplit(batch(3, 1), batch(3, 2), 1, 2, rng)[0], 2)!)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(partWeights(bernoulliSplit(batch(3, 1), batch(3, 2), 0, 2, rng)[1], 2)!)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('refuses batches of different sizes and p outside [0, 1]', () => {
    const rng = rngFromKey('pool', 'bad');
    expect(() => bernoulliSplit(batch(3, 1), batch(4, 2), 0.5, 2, rng)).toThrow(
      'bernoulliSplit needs batches of the same size, got 3 and 4',
    );
    expect(() => bernoulliSplit(batch(3, 1), batch(3, 2), 1.5, 2, rng)).toThrow(
      'invalid p: 1.5 (bernoulliSplit needs a probability in [0, 1])',
    );
  });
});

describe('scaleWeights', () => {
  it('multiplies given weights and fills omitted ones with the factor', () => {
    expect(Array.from(scaleWeights({ batch: batch(2, 1) }, 4, 2).weights!)).toEqual([4, 4, 4, 4]);
    expect(Array.from(scaleWeights({ batch: batch(2, 1), weights: Float64Array.from([0, 1, 2, 3]) }, 0.5, 2).weights!)).toEqual([
      0, 0.5, 1, 1.5,
    ]);
    expect(() => scaleWeights({ batch: batch(2, 1) }, -1, 2)).toThrow('invalid factor: -1 (scaleWeights needs a finite factor ≥ 0)');
  });
});

describe('reweightShares', () => {
  const sumOf = (parts: { batch: Batch<null>; weights?: Float64Array }[], r: number) =>
    parts.reduce((s, p) => s + Array.from(p.weights!.subarray(r * p.batch.size, (r + 1) * p.batch.size)).reduce((x, y) => x + y, 0), 0);

  it('gives each group its share of the unchanged total, keeping relative weights within a group', () => {
    // Replicate 0: group 0 holds 2 samples (weights 1, 3), group 1 holds 3 (weight 1 each): total 7.
    const g0 = [{ batch: batch(2, 0), weights: Float64Array.from([1, 3, 1, 1]) }];
    const g1 = [{ batch: batch(3, 1), weights: Float64Array.from([1, 1, 1, 0, 1, 0]) }];
    const [h0, h1] = reweightShares([g0, g1], [0.25, 0.75], 2);
    expect(sumOf(h0, 0)).toBeCloseTo(7 * 0.25, 12);
    expect(sumOf(h1, 0)).toBeCloseTo(7 * 0.75, 12);
    expect(h0[0].weights![1] / h0[0].weights![0]).toBeCloseTo(3, 12);
    // Replicate 1: totals 2 and 1.
    expect(sumOf(h0, 1)).toBeCloseTo(0.75, 12);
    expect(sumOf(h1, 1)).toBeCloseTo(2.25, 12);
    expect(h1[0].weights![3]).toBe(0);
    expect(h1[0].weights![5]).toBe(0);
  });

  it('hands an empty group’s share to the others, and keeps weights when only zero-share groups are present', () => {
    const g0 = [{ batch: batch(2, 0), weights: Float64Array.from([0, 0, 0, 0]) }];
    const g1 = [{ batch: batch(2, 1), weights: Float64Array.from([1, 2, 1, 1]) }];
    const [, h1] = reweightShares([g0, g1], [0.6, 0.4], 2);
    expect(Array.from(h1[0].weights!)).toEqual([1, 2, 1, 1]);
    const [, k1] = reweightShares([g0, g1], [1, 0], 2);
    expect(Array.from(k1[0].weights!)).toEqual([1, 2, 1, 1]);
  });

  it('refuses a share count that does not match the groups', () => {
    expect(() => reweightShares([[{ batch: batch(2, 0) }]], [0.5, 0.5], 1)).toThrow(
      'reweightShares needs one share per group: 1 groups, 2 shares',
    );
  });
});
