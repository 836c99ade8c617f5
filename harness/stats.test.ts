import { describe, expect, it } from 'vitest';
import { meanAndSe, tInterval95 } from './stats.ts';

describe('tInterval95: mean ± t_{0.975, n−1}·SE over a few seeds', () => {
  it('matches scipy.stats.t.interval(0.95, 4, loc=3, scale=sem([1, 2, 3, 4, 5])) = (1.0368, 4.9632)', () => {
    const i = tInterval95([1, 2, 3, 4, 5]);
    expect(i.mean).toBe(3);
    expect(i.low).toBeCloseTo(1.0368, 3);
    expect(i.high).toBeCloseTo(4.9632, 3);
    expect(i.se).toBe(meanAndSe([1, 2, 3, 4, 5]).se);
  });

  it('uses df = 30’s quantile beyond 31 values and has no interval for one value', () => {
    const many = Array.from({ length: 50 }, (_, k) => k % 7);
    const { mean, se, low } = tInterval95(many);
    expect(mean - low).toBeCloseTo(2.042 * se, 12);
    expect(Number.isNaN(tInterval95([4]).low)).toBe(true);
  });
});
