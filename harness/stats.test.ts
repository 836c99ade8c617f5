import { describe, expect, it } from 'vitest';
import { meanAndSe, summarize, tInterval95 } from './stats.ts';

/*
 * Inputs are chosen so that every expected number is exact in binary floating point: the
 * standard error is pinned with toBe, not toBeCloseTo, so a changed divisor, a dropped √n or a
 * one-pass variance cannot hide inside a tolerance.
 */

describe('meanAndSe: mean and SE = sample SD / √n, sample SD with the n − 1 divisor', () => {
  it('[0, 0, 6]: mean 2, Σ(x − x̄)² = 24, s² = 24/2 = 12, SE = √(12/3) = 2 exactly', () => {
    // Catches the n divisor (hand-made bug 1): √(24/3/3) = 1.633 ≠ 2.
    expect(meanAndSe([0, 0, 6])).toEqual({ mean: 2, se: 2, n: 3 });
  });

  it('n = 2, [1, 3]: s² = 2/1, SE = √(2/2) = 1 exactly (the n divisor would give √½)', () => {
    expect(meanAndSe([1, 3])).toEqual({ mean: 2, se: 1, n: 2 });
    expect(meanAndSe([3, 1])).toEqual({ mean: 2, se: 1, n: 2 });
  });

  it('n = 1: SE 0 (not NaN from 0/0), and n = 0: NaN mean and SE', () => {
    expect(meanAndSe([-7.5])).toEqual({ mean: -7.5, se: 0, n: 1 });
    const empty = meanAndSe([]);
    expect(empty.n).toBe(0);
    expect(Number.isNaN(empty.mean)).toBe(true);
    expect(Number.isNaN(empty.se)).toBe(true);
  });

  it('[1, 2, 3, 4]: SE = √((5/3)/4) = √(5/12), within one rounding of the closed form', () => {
    const { mean, se, n } = meanAndSe([1, 2, 3, 4]);
    expect(mean).toBe(2.5);
    expect(n).toBe(4);
    expect(Math.abs(se - Math.sqrt(5 / 12))).toBeLessThanOrEqual(Number.EPSILON * se);
  });

  it('is two-pass: 1e9 + {1, 3} still gives SE 1 (one-pass Σx² − n·x̄² loses it to rounding at x² ≈ 1e18)', () => {
    expect(meanAndSe([1e9 + 1, 1e9 + 3])).toEqual({ mean: 1e9 + 2, se: 1, n: 2 });
    // Float64Array input (ArrayLike) works the same.
    expect(meanAndSe(Float64Array.from([0, 0, 6]))).toEqual({ mean: 2, se: 2, n: 3 });
  });

  it('a constant sample has SE exactly 0', () => {
    expect(meanAndSe([0.1, 0.1, 0.1, 0.1])).toEqual({ mean: 0.1, se: 0, n: 4 });
  });
});

describe('summarize: one meanAndSe per step, columnar', () => {
  it('keeps step order and each step’s own n', () => {
    const series = summarize([[0, 0, 6], [1, 3], [5], Float64Array.from([2, 2])]);
    expect(series).toEqual({ mean: [2, 2, 5, 2], se: [2, 1, 0, 0], n: [3, 2, 1, 2] });
  });

  it('an empty step gives NaN mean and SE with n = 0; no steps give empty columns', () => {
    const series = summarize([[]]);
    expect(series.n).toEqual([0]);
    expect(Number.isNaN(series.mean[0]) && Number.isNaN(series.se[0])).toBe(true);
    expect(summarize([])).toEqual({ mean: [], se: [], n: [] });
  });
});

describe('tInterval95: mean ± t_{0.975, n−1}·SE over a few seeds', () => {
  it('matches scipy.stats.t.interval(0.95, 4, loc=3, scale=sem([1, 2, 3, 4, 5])) = (1.0368, 4.9632)', () => {
    const i = tInterval95([1, 2, 3, 4, 5]);
    expect(i.mean).toBe(3);
    expect(i.low).toBeCloseTo(1.0368, 3);
    expect(i.high).toBeCloseTo(4.9632, 3);
    expect(i.se).toBe(meanAndSe([1, 2, 3, 4, 5]).se);
  });

  it('n = 2 uses df = 1 (t = 12.706) and n = 3 uses df = 2 (t = 4.303): SE exact, so the bounds are exact', () => {
    // [1, 3]: SE 1, so the half-width is t itself.
    expect(tInterval95([1, 3])).toEqual({ mean: 2, se: 1, n: 2, low: 2 - 12.706, high: 2 + 12.706 });
    // [0, 0, 6]: SE 2.
    expect(tInterval95([0, 0, 6])).toEqual({ mean: 2, se: 2, n: 3, low: 2 - 4.303 * 2, high: 2 + 4.303 * 2 });
  });

  it('df = 29 and 30 are the table’s last two entries; df > 30 keeps 2.042', () => {
    const halfWidth = (n: number) => {
      const values = Array.from({ length: n }, (_, k) => k % 2); // alternating 0, 1: SE > 0
      const i = tInterval95(values);
      return (i.high - i.mean) / i.se;
    };
    expect(halfWidth(30)).toBeCloseTo(2.045, 12);
    expect(halfWidth(31)).toBeCloseTo(2.042, 12);
    expect(halfWidth(32)).toBeCloseTo(2.042, 12);
  });

  it('uses df = 30’s quantile beyond 31 values and has no interval for one value', () => {
    const many = Array.from({ length: 50 }, (_, k) => k % 7);
    const { mean, se, low } = tInterval95(many);
    expect(mean - low).toBeCloseTo(2.042 * se, 12);
    const one = tInterval95([4]);
    expect([one.mean, one.se, one.n]).toEqual([4, 0, 1]);
    expect(Number.isNaN(one.low) && Number.isNaN(one.high)).toBe(true);
  });
});
