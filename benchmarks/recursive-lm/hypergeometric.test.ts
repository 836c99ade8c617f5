import { describe, expect, it } from 'vitest';
import { DistinctPositions, hypergeometric, hypergeometricScratch, RowPicker, subsetCounts } from './hypergeometric.ts';
import { Rng, rngFromKey } from '../../harness/rng.ts';

/** C(a, b) exactly. */
function binom(a: number, b: number): bigint {
  if (b < 0 || b > a) return 0n;
  let out = 1n;
  for (let i = 0; i < Math.min(b, a - b); i++) out = (out * BigInt(a - i)) / BigInt(i + 1);
  return out;
}

/** The Hypergeometric(N, K, n) pmf over 0 … n, from exact binomial coefficients (rounded once to a double each). */
function exactPmf(N: number, K: number, n: number): number[] {
  const denominator = binom(N, n);
  // 2⁶⁰ · numerator / denominator in integers, then scaled: exact to double precision.
  const scale = 2n ** 60n;
  return Array.from({ length: n + 1 }, (_, x) => Number((binom(K, x) * binom(N - K, n - x) * scale) / denominator) / 2 ** 60);
}

/** A stream whose uniforms are the given values, in order (and nothing else). */
function fixedUniforms(values: number[]): Rng {
  let i = 0;
  return {
    uniform: () => {
      if (i >= values.length) throw new Error('out of fixed uniforms');
      return values[i++];
    },
  } as unknown as Rng;
}

/**
 * Pearson's X² of observed counts against a pmf, over bins merged until each expects ≥ 5; it is
 * χ²(bins − 1) in law, so a sampler passes when X² < df + 4·√(2·df) (4 SE above its mean).
 */
function chiSquare(observed: number[], pmf: number[], draws: number): { x2: number; df: number } {
  let x2 = 0;
  let bins = 0;
  let o = 0;
  let e = 0;
  for (let x = 0; x < pmf.length; x++) {
    o += observed[x] ?? 0;
    e += pmf[x] * draws;
    if (e >= 5) {
      x2 += (o - e) ** 2 / e;
      bins++;
      o = 0;
      e = 0;
    }
  }
  // Leftover tail mass joins the last bin's statistic as its own term when it expects anything.
  if (e > 0) {
    x2 += (o - e) ** 2 / e;
    bins++;
  }
  return { x2, df: bins - 1 };
}

describe('hypergeometric', () => {
  it('assigns each value its exact probability: uniforms spaced by 1/M hit x about M·pmf(x) times', () => {
    // A deterministic quadrature of the inverse cdf: u_i = (i + ½)/M for i < M, so value x is
    // returned for a set of u of total length pmf(x) (the sampler's order of values does not
    // matter), i.e. M·pmf(x) ± 2 times, whatever the order.
    const M = 200_000;
    const u = Array.from({ length: M }, (_, i) => (i + 0.5) / M);
    for (const [N, K, n] of [
      [20, 7, 9],
      [300, 40, 120],
      [2000, 1000, 1000],
      [10, 10, 4],
      [10, 0, 4],
      [12, 5, 12],
    ]) {
      const pmf = exactPmf(N, K, n);
      const rng = fixedUniforms(u);
      const hits = new Array(n + 1).fill(0);
      const scratch = hypergeometricScratch();
      for (let i = 0; i < M; i++) hits[hypergeometric(rng, N, K, n, scratch)]++;
      for (let x = 0; x <= n; x++)
        expect(Math.abs(hits[x] - M * pmf[x]), `N ${N} K ${K} n ${n} x ${x}: ${hits[x]} vs ${M * pmf[x]}`).toBeLessThanOrEqual(2);
    }
  });

  it('random draws follow the exact pmf (chi-square within 4 SE), and large populations the exact mean and variance', () => {
    const rng = rngFromKey('hypergeometric', 'draws');
    const draws = 100_000;
    for (const [N, K, n] of [
      [60, 25, 30],
      [5000, 300, 700],
    ]) {
      const pmf = exactPmf(N, K, n);
      const hits = new Array(n + 1).fill(0);
      for (let i = 0; i < draws; i++) hits[hypergeometric(rng, N, K, n)]++;
      const { x2, df } = chiSquare(hits, pmf, draws);
      expect(x2, `N ${N} K ${K} n ${n}: X² ${x2} on ${df} df`).toBeLessThan(df + 4 * Math.sqrt(2 * df));
    }
    // N = 10⁶ (beyond BigInt comfort): mean nK/N, variance n(K/N)(1 − K/N)(N − n)/(N − 1).
    const [N, K, n] = [1_000_000, 20_000, 20_000];
    let s = 0;
    let s2 = 0;
    const m = 50_000;
    for (let i = 0; i < m; i++) {
      const x = hypergeometric(rng, N, K, n);
      s += x;
      s2 += x * x;
    }
    const mean = s / m;
    const variance = (s2 - m * mean * mean) / (m - 1);
    const trueMean = (n * K) / N;
    const trueVariance = (((n * K) / N) * (1 - K / N) * (N - n)) / (N - 1);
    expect(Math.abs(mean - trueMean)).toBeLessThan(4 * Math.sqrt(trueVariance / m));
    // SE of a sample variance ≈ σ²·√(2/m) (near-normal at this size).
    expect(Math.abs(variance - trueVariance)).toBeLessThan(4 * trueVariance * Math.sqrt(2 / m));
  });

  it('degenerate supports return their one value without drawing; invalid arguments throw', () => {
    const none = fixedUniforms([]);
    expect(hypergeometric(none, 10, 0, 4)).toBe(0);
    expect(hypergeometric(none, 10, 10, 4)).toBe(4);
    expect(hypergeometric(none, 10, 3, 10)).toBe(3);
    expect(hypergeometric(none, 10, 3, 0)).toBe(0);
    expect(() => hypergeometric(none, 10, 11, 2)).toThrow(
      'hypergeometric needs integers 0 <= successes, draws <= population, got population 10, successes 11, draws 2',
    );
    expect(() => hypergeometric(none, 10, 3, 2.5)).toThrow('hypergeometric needs integers');
  });
});

describe('DistinctPositions', () => {
  it('every ordered k-tuple of distinct positions is equally likely (chi-square within 4 SE), call after call', () => {
    const rng = rngFromKey('positions', 'tuples');
    const positions = new DistinctPositions();
    // n = 5, k = 3: 60 ordered tuples; interleaved with other calls, which must leave no trace.
    const hits = new Map<string, number>();
    const draws = 60_000;
    for (let i = 0; i < draws; i++) {
      const key = Array.from(positions.draw(rng, 5, 3)).join(',');
      hits.set(key, (hits.get(key) ?? 0) + 1);
      const other = positions.draw(rng, 9, 9); // a full permutation
      expect(Array.from(other).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    }
    expect(hits.size).toBe(60);
    for (const key of hits.keys()) expect(new Set(key.split(',')).size).toBe(3);
    const { x2, df } = chiSquare([...hits.values()], new Array(60).fill(1 / 60), draws);
    expect(x2, `X² ${x2} on ${df} df`).toBeLessThan(df + 4 * Math.sqrt(2 * df));
  });

  it('rejects the words that would over-represent a value (Lemire): n = 3 rejects only the word 0', () => {
    // Uniforms u give words ⌊u·2³²⌋; for a range of 3 the threshold (2³² − 3) mod 3 is 1, so
    // word 0 is drawn again and word 2³¹ gives ⌊2³¹·3/2³²⌋ = 1.
    const stream = (values: number[]) => {
      let i = 0;
      const next = () => values[i++];
      return { fillUniform: (out: Float64Array) => out.map(next), uniform: next } as unknown as Rng;
    };
    const positions = new DistinctPositions();
    expect(Array.from(positions.draw(stream([0, 0.5]), 3, 1))).toEqual([1]);
    expect(Array.from(positions.draw(stream([1 / 2 ** 32]), 3, 1))).toEqual([0]);
    expect(Array.from(positions.draw(stream([0.999, 0.6]), 3, 2))).toEqual([2, 0]); // j = 2, then 1 + ⌊0.6·2⌋ = 2 (holding 0)
    expect(() => positions.draw(stream([]), 4, 5)).toThrow('DistinctPositions needs integers 0 <= k <= n <= 2^21, got n = 4, k = 5');
  });
});

describe('RowPicker', () => {
  it('counts the tokens at DistinctPositions’ positions in the row grouped by token, by either path (shuffled tokens or bucket lookups), call after call', () => {
    const V = 12;
    const picker = new RowPicker(V);
    const reference = new DistinctPositions();
    const rows = rngFromKey('row-picker', 'rows');
    const out = new Float64Array(V + 3);
    let paths = 0;
    for (let trial = 0; trial < 300; trial++) {
      // Rows with empty tokens, sizes 1 … 400, picks 0 … n: both sides of n ≤ 4m + V.
      const counts = new Float64Array(V + 1); // one leading entry that is not the row
      for (let v = 0; v < V; v++) counts[1 + v] = rows.uniform() < 0.3 ? 0 : rows.int(1 + rows.int(60));
      let n = 0;
      for (let v = 0; v < V; v++) n += counts[1 + v];
      if (n === 0) continue;
      const m = rows.int(n + 1);
      paths |= n <= 4 * m + V ? 1 : 2;
      expect(picker.prepare(counts, 1)).toBe(n);
      out.fill(0);
      const seed = rngFromKey('row-picker', `picks ${trial}`).seed;
      picker.pick(new Rng(seed), m, out, 3);
      // The reference: the same positions, each position's token by the cumulative counts.
      const expected = new Float64Array(V + 3);
      for (const p of reference.draw(new Rng(seed), n, m)) {
        let v = 0;
        for (let acc = counts[1]; acc <= p; acc += counts[1 + ++v]);
        expected[3 + v]++;
      }
      expect(Array.from(out), `trial ${trial}: n = ${n}, m = ${m}`).toEqual(Array.from(expected));
    }
    expect(paths).toBe(3);
  });
});

describe('subsetCounts', () => {
  it('is multivariate hypergeometric over (context, token) cells: exact marginal pmfs, means, variances and covariances', () => {
    // Every replicate holds the same union: C = 3 contexts of 7, 6, 5 samples over V = 3 tokens.
    const R = 20_000;
    const C = 3;
    const V = 3;
    const rows = [
      [4, 0, 3],
      [1, 2, 3],
      [0, 5, 0],
    ];
    const population = rows.map((row) => row.reduce((a, b) => a + b));
    const N = 18;
    const size = 8;
    const union = new Float64Array(R * C * V);
    for (let r = 0; r < R; r++) union.set(rows.flat(), r * C * V);
    const { counts, totals } = subsetCounts(
      union,
      population,
      { replicates: R, contexts: C, vocab: V },
      size,
      rngFromKey('subset-counts', 'draws'),
    );
    const cells = rows.flat();
    for (let r = 0; r < R; r++) {
      let sum = 0;
      for (let c = 0; c < C; c++) {
        let row = 0;
        for (let v = 0; v < V; v++) {
          const x = counts[(r * C + c) * V + v];
          expect(x <= cells[c * V + v] && x >= 0).toBe(true);
          row += x;
        }
        expect(totals[r * C + c]).toBe(row);
        sum += row;
      }
      expect(sum).toBe(size);
    }
    // Each cell's count and each context's total is Hypergeometric(N, population, size).
    const check = (value: (r: number) => number, K: number, what: string) => {
      const pmf = exactPmf(N, K, size);
      const hits = new Array(size + 1).fill(0);
      for (let r = 0; r < R; r++) hits[value(r)]++;
      const { x2, df } = chiSquare(hits, pmf, R);
      if (df > 0) expect(x2, `${what}: X² ${x2} on ${df} df`).toBeLessThan(df + 4 * Math.sqrt(2 * df));
    };
    for (let c = 0; c < C; c++) {
      check((r) => totals[r * C + c], population[c], `context ${c}`);
      for (let v = 0; v < V; v++) check((r) => counts[(r * C + c) * V + v], cells[c * V + v], `context ${c} token ${v}`);
    }
    // Cov(X_a, X_b) = −n(N − n)/(N − 1) · K_a K_b / N² for two cells a ≠ b (here across contexts).
    const a = 0 * V + 0;
    const b = 2 * V + 1;
    let sa = 0;
    let sb = 0;
    let sab = 0;
    for (let r = 0; r < R; r++) {
      const x = counts[r * C * V + a];
      const y = counts[r * C * V + b];
      sa += x;
      sb += y;
      sab += x * y;
    }
    const cov = (sab - (sa * sb) / R) / (R - 1);
    const trueCov = ((-size * (N - size)) / (N - 1)) * ((cells[a] * cells[b]) / N ** 2);
    // SE of a sample covariance ≤ √(Var X·Var Y·(1 + ρ²)/R) for near-normal pairs; Var ≤ 2 here.
    expect(Math.abs(cov - trueCov), `covariance ${cov} vs ${trueCov}`).toBeLessThan(4 * Math.sqrt((2 * 2 * 2) / R));
  });

  it('the same stream gives the same counts; a union whose rows disagree with the populations is an error', () => {
    const union = Float64Array.from([3, 1, 0, 2, 2, 2, 2, 1, 1, 0, 5, 1]);
    const shape = { replicates: 2, contexts: 2, vocab: 3 };
    const one = subsetCounts(union, [4, 6], shape, 5, new Rng(rngFromKey('subset-counts', 'same').seed));
    const two = subsetCounts(union, [4, 6], shape, 5, new Rng(rngFromKey('subset-counts', 'same').seed));
    expect(Array.from(two.counts)).toEqual(Array.from(one.counts));
    expect(() => subsetCounts(union, [4, 6], shape, 11, new Rng(rngFromKey('subset-counts', 'same').seed))).toThrow(
      'cannot pick 11 samples from a pool of 10',
    );
    expect(() => subsetCounts(union, [5, 5], shape, 10, new Rng(rngFromKey('subset-counts', 'same').seed))).toThrow(
      "the pool's counts of replicate 0 context 0 sum to 4, not its 5 samples",
    );
  });
});
