import { describe, expect, it } from 'vitest';
import { hashValue } from './hash.ts';
import { Rng, ZIGGURAT, rngFromKey } from './rng.ts';

// All streams come from fixed keys, so every run sees the same numbers. The bounds are
// ~5 standard errors (or a chi-square p-value near 1e-6): loose enough that a correct
// generator passes for essentially any key, tight enough that a biased one fails.
const KEY = { task: 'rng-test', seed: 7 };
const Z = 5;

// ---------------------------------------------------------------------------------------
// Statistical helpers

/** erfc, Numerical Recipes' Chebyshev fit (fractional error < 1.2e-7 everywhere). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF. */
function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/**
 * Wilson–Hilferty z-score of a chi-square statistic with df degrees of freedom: ≈ N(0, 1)
 * under the null, so |z| < 4.75 is a two-sided test at p ≈ 2e-6.
 */
function chiSquareZ(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let chi2 = 0;
  for (let i = 0; i < observed.length; i++) chi2 += (observed[i] - expected[i]) ** 2 / expected[i];
  const df = observed.length - 1;
  const h = 2 / (9 * df);
  return (Math.cbrt(chi2 / df) - (1 - h)) / Math.sqrt(h);
}

function expectChiSquareOk(observed: ArrayLike<number>, expected: ArrayLike<number>): void {
  const z = chiSquareZ(observed, expected);
  expect(Math.abs(z), `chi-square z = ${z}`).toBeLessThan(4.75);
}

/** |estimate − truth| < Z standard errors. */
function expectWithin(estimate: number, truth: number, se: number, what = ''): void {
  expect(Math.abs(estimate - truth), `${what}: ${estimate} vs ${truth} (se ${se})`).toBeLessThan(Z * se);
}

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return '(did not throw)';
}

/** Exact binomial pmf, via log-factorials (no underflow for extreme p). */
function binomialPmf(n: number, p: number): Float64Array {
  const lnFact = new Float64Array(n + 1);
  for (let k = 1; k <= n; k++) lnFact[k] = lnFact[k - 1] + Math.log(k);
  const pmf = new Float64Array(n + 1);
  for (let k = 0; k <= n; k++) {
    pmf[k] = Math.exp(lnFact[n] - lnFact[k] - lnFact[n - k] + k * Math.log(p) + (n - k) * Math.log1p(-p));
  }
  return pmf;
}

/** Chi-square against a pmf, pooling cells with expected count < 5 into their neighbours. */
function expectMatchesPmf(samples: ArrayLike<number>, pmf: ArrayLike<number>): void {
  const counts = new Float64Array(pmf.length);
  for (let i = 0; i < samples.length; i++) counts[samples[i]]++;
  const obs: number[] = [];
  const exp: number[] = [];
  let o = 0;
  let e = 0;
  for (let k = 0; k < pmf.length; k++) {
    o += counts[k];
    e += pmf[k] * samples.length;
    if (e >= 5) {
      obs.push(o);
      exp.push(e);
      o = 0;
      e = 0;
    }
  }
  obs[obs.length - 1] += o;
  exp[exp.length - 1] += e;
  expectChiSquareOk(obs, exp);
}

// ---------------------------------------------------------------------------------------

describe('helpers used by these tests', () => {
  it('normalCdf matches known quantiles', () => {
    // Far more accurate than the KS test below can resolve (~1e-3).
    expect(Math.abs(normalCdf(1.959963984540054) - 0.975)).toBeLessThan(1e-7);
    expect(Math.abs(normalCdf(-3) - 0.0013498980316300946)).toBeLessThan(1e-9);
    expect(Math.abs(normalCdf(0) - 0.5)).toBeLessThan(1e-7);
  });
});

describe('xoshiro128** core', () => {
  it('matches the reference outputs for state {1, 2, 3, 4}', () => {
    // Reference values from Vigna's xoshiro128starstar.c (as in rand_xoshiro's tests).
    const rng = new Rng(`00000001000000020000000300000004${'0'.repeat(32)}`);
    expect(draws(rng, 10)).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
  });

  it('uniform() packs two draws into 53 bits', () => {
    const rng = new Rng(`00000001000000020000000300000004${'0'.repeat(32)}`);
    expect(rng.uniform()).toBe(((11520 >>> 5) * 2 ** 26 + (0 >>> 6)) / 2 ** 53);
    expect(rng.uniform()).toBe(((5927040 >>> 5) * 2 ** 26 + (70819200 >>> 6)) / 2 ** 53);
  });

  it('never starts from the all-zero state', () => {
    const rng = new Rng('0'.repeat(64));
    expect(new Set(draws(rng, 8)).size).toBeGreaterThan(1);
  });

  it('rejects a seed that is not a sha256 hex digest', () => {
    expect(() => new Rng('abc')).toThrow(/64-digit hex/);
  });
});

describe('determinism', () => {
  it('the same key and stream give the same sequence', () => {
    expect(draws(rngFromKey(KEY, 'data'), 100)).toEqual(draws(rngFromKey(KEY, 'data'), 100));
  });

  it('key order inside objects does not matter (canonical JSON)', () => {
    expect(draws(rngFromKey({ a: 1, b: [2, 3] }, 's'), 20)).toEqual(draws(rngFromKey({ b: [2, 3], a: 1 }, 's'), 20));
  });

  it('a different stream or key gives a different sequence', () => {
    const base = draws(rngFromKey(KEY, 'data'), 20);
    expect(draws(rngFromKey(KEY, 'model'), 20)).not.toEqual(base);
    expect(draws(rngFromKey({ ...KEY, seed: 8 }, 'data'), 20)).not.toEqual(base);
  });

  it('seeds from sha256 of the canonical JSON of { key, stream }', () => {
    const rng = rngFromKey(KEY, 'data');
    expect(rng.seed).toBe(hashValue({ key: KEY, stream: 'data' }));
    expect(draws(rng, 5)).toEqual(draws(new Rng(hashValue({ stream: 'data', key: KEY })), 5));
  });
});

describe('fork', () => {
  it('is stable: the same label gives the same child, however many draws the parent made', () => {
    const a = rngFromKey(KEY, 'p');
    const b = rngFromKey(KEY, 'p');
    draws(b, 37);
    b.normal();
    expect(draws(a.fork('child'), 20)).toEqual(draws(b.fork('child'), 20));
  });

  it('consumes no parent draws, so adding a fork shifts nothing', () => {
    const a = rngFromKey(KEY, 'p');
    const b = rngFromKey(KEY, 'p');
    a.fork('x');
    a.fork('y').uniform();
    expect(draws(a, 20)).toEqual(draws(b, 20));
  });

  it('children differ from each other, from the parent, and across parents', () => {
    const parent = rngFromKey(KEY, 'p');
    const seqs = [
      draws(rngFromKey(KEY, 'p'), 10),
      draws(parent.fork('a'), 10),
      draws(parent.fork('b'), 10),
      draws(parent.fork('a').fork('b'), 10),
      draws(rngFromKey(KEY, 'q').fork('a'), 10),
    ].map((s) => s.join(','));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('sibling streams are uncorrelated', () => {
    const n = 200_000;
    const parent = rngFromKey(KEY, 'p');
    const x = parent.fork('a').fillNormal(new Float64Array(n));
    const y = parent.fork('b').fillNormal(new Float64Array(n));
    let sxy = 0;
    for (let i = 0; i < n; i++) sxy += x[i] * y[i];
    expectWithin(sxy / n, 0, 1 / Math.sqrt(n), 'E[XY]');
  });
});

describe('uniform', () => {
  const n = 1_000_000;
  const u = rngFromKey(KEY, 'uniform').fillUniform(new Float64Array(n));

  it('fillUniform equals repeated uniform()', () => {
    const rng = rngFromKey(KEY, 'uniform');
    for (let i = 0; i < 1000; i++) expect(rng.uniform()).toBe(u[i]);
  });

  it('lies in [0, 1) with mean 1/2 and variance 1/12', () => {
    let s = 0;
    let s2 = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      if (!(u[i] >= 0 && u[i] < 1)) outside++;
      s += u[i];
      s2 += (u[i] - 0.5) ** 2;
    }
    expect(outside).toBe(0);
    expectWithin(s / n, 0.5, Math.sqrt(1 / 12 / n), 'mean');
    expectWithin(s2 / n, 1 / 12, Math.sqrt(1 / 180 / n), 'variance');
  });

  it('uses all 53 bits (the lowest mantissa bit is a fair coin)', () => {
    let ones = 0;
    for (let i = 0; i < n; i++) ones += (u[i] * 2 ** 53) % 2;
    expectWithin(ones / n, 0.5, 0.5 / Math.sqrt(n), 'lowest bit');
  });

  it('is uniform over 100 equal bins', () => {
    const counts = new Float64Array(100);
    for (let i = 0; i < n; i++) counts[Math.floor(u[i] * 100)]++;
    expectChiSquareOk(counts, new Float64Array(100).fill(n / 100));
  });
});

describe('normal', () => {
  const n = 1_000_000;
  const z = rngFromKey(KEY, 'normal').fillNormal(new Float64Array(n));

  it('solves the 256-layer ziggurat to the published constants', () => {
    expect(ZIGGURAT.r).toBeCloseTo(3.6541528853610088, 12);
    expect(ZIGGURAT.v).toBeCloseTo(0.00492867323399, 12);
  });

  it('fillNormal equals repeated normal(), including the rare paths', () => {
    const rng = rngFromKey(KEY, 'normal');
    for (let i = 0; i < 20_000; i++) expect(rng.normal()).toBe(z[i]);
  });

  it('has mean 0, variance 1, skewness 0 and kurtosis 3', () => {
    let m1 = 0;
    let m2 = 0;
    let m3 = 0;
    let m4 = 0;
    for (let i = 0; i < n; i++) {
      const x = z[i];
      const x2 = x * x;
      m1 += x;
      m2 += x2;
      m3 += x2 * x;
      m4 += x2 * x2;
    }
    // Raw moments about the true mean 0; Var(Z^k) = E[Z^2k] − E[Z^k]^2.
    expectWithin(m1 / n, 0, Math.sqrt(1 / n), 'E[Z]');
    expectWithin(m2 / n, 1, Math.sqrt(2 / n), 'E[Z^2]');
    expectWithin(m3 / n, 0, Math.sqrt(15 / n), 'E[Z^3]');
    expectWithin(m4 / n, 3, Math.sqrt(96 / n), 'E[Z^4]');
  });

  it('puts the right mass beyond 3 and in the ziggurat tail beyond r', () => {
    const big = rngFromKey(KEY, 'normal-tail').fillNormal(new Float64Array(4_000_000));
    for (const c of [3, ZIGGURAT.r, 4.5]) {
      let count = 0;
      for (let i = 0; i < big.length; i++) if (Math.abs(big[i]) > c) count++;
      const p = 2 * normalCdf(-c);
      expectWithin(count / big.length, p, Math.sqrt((p * (1 - p)) / big.length), `P(|Z| > ${c})`);
    }
    expect(Math.abs(2 * normalCdf(-3) - 0.0026997960632601866)).toBeLessThan(1e-8);
  });

  it('passes a Kolmogorov–Smirnov test against the normal CDF', () => {
    const sorted = Float64Array.from(z).sort();
    let d = 0;
    for (let i = 0; i < n; i++) {
      const f = normalCdf(sorted[i]);
      d = Math.max(d, (i + 1) / n - f, f - i / n);
    }
    // Kolmogorov distribution: P(√n·D > 1.95) ≈ 0.001.
    expect(Math.sqrt(n) * d).toBeLessThan(1.95);
  });

  it('is symmetric: each sign half the time', () => {
    let pos = 0;
    for (let i = 0; i < n; i++) if (z[i] > 0) pos++;
    expectWithin(pos / n, 0.5, 0.5 / Math.sqrt(n), 'P(Z > 0)');
  });

  it('fillNormal applies mean and sd', () => {
    const m = 200_000;
    const x = rngFromKey(KEY, 'scaled').fillNormal(new Float64Array(m), 3, 2);
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < m; i++) {
      s += x[i];
      s2 += (x[i] - 3) ** 2;
    }
    expectWithin(s / m, 3, 2 / Math.sqrt(m), 'mean');
    expectWithin(s2 / m, 4, 4 * Math.sqrt(2 / m), 'variance');
  });
});

describe('int', () => {
  it('is uniform on [0, n) for small n (chi-square)', () => {
    const rng = rngFromKey(KEY, 'int');
    for (const n of [1, 2, 7, 10, 1000]) {
      const m = 100 * n + 10_000;
      const counts = new Float64Array(n);
      let bad = 0;
      for (let i = 0; i < m; i++) {
        const v = rng.int(n);
        if (Number.isInteger(v) && v >= 0 && v < n) counts[v]++;
        else bad++;
      }
      expect(bad).toBe(0);
      if (n > 1) expectChiSquareOk(counts, new Float64Array(n).fill(m / n));
    }
  });

  it('has no modulo bias for n = 3·2^30 (x mod n would favour the lowest third 2:1)', () => {
    const rng = rngFromKey(KEY, 'int-large');
    const n = 3 * 2 ** 30;
    const m = 200_000;
    const bins = new Float64Array(12);
    let bad = 0;
    for (let i = 0; i < m; i++) {
      const v = rng.int(n);
      if (Number.isInteger(v) && v >= 0 && v < n) bins[Math.floor((v / n) * 12)]++;
      else bad++;
    }
    expect(bad).toBe(0);
    expectChiSquareOk(bins, new Float64Array(12).fill(m / 12));
  });

  it('accepts n = 2^32 and rejects invalid n', () => {
    const rng = rngFromKey(KEY, 'int-edge');
    const v = rng.int(2 ** 32);
    expect(v >= 0 && v < 2 ** 32).toBe(true);
    expect(() => rng.int(0)).toThrow();
    expect(() => rng.int(2.5)).toThrow();
    expect(() => rng.int(2 ** 32 + 1)).toThrow();
  });
});

describe('categorical', () => {
  it('draws indices in proportion to unnormalized probs', () => {
    const rng = rngFromKey(KEY, 'categorical');
    const probs = [0.3, 0, 0.75, 1.2, 0.75]; // sums to 3
    const m = 300_000;
    const counts = new Float64Array(probs.length);
    for (let i = 0; i < m; i++) counts[rng.categorical(probs)]++;
    expect(counts[1]).toBe(0);
    const positive = [0, 2, 3, 4];
    expectChiSquareOk(
      positive.map((i) => counts[i]),
      positive.map((i) => (m * probs[i]) / 3),
    );
  });

  it('accepts typed arrays and a single category', () => {
    const rng = rngFromKey(KEY, 'categorical-1');
    expect(rng.categorical(Float64Array.of(0, 0, 2))).toBe(2);
    expect(rng.categorical([5])).toBe(0);
  });
});

describe('invalid probs', () => {
  const rng = rngFromKey(KEY, 'invalid');

  it('reports exactly what is wrong', () => {
    expect(thrownMessage(() => rng.categorical([]))).toBe('invalid probs: empty');
    expect(thrownMessage(() => rng.categorical([0.5, -0.1]))).toBe('invalid probs: entry 1 is -0.1 (must be finite and >= 0)');
    expect(thrownMessage(() => rng.categorical([1, NaN]))).toBe('invalid probs: entry 1 is NaN (must be finite and >= 0)');
    expect(thrownMessage(() => rng.categorical([Infinity]))).toBe('invalid probs: entry 0 is Infinity (must be finite and >= 0)');
    expect(thrownMessage(() => rng.categorical([0, 0]))).toBe('invalid probs: sum is 0 (must be positive and finite)');
    expect(thrownMessage(() => rng.categorical([1e308, 1e308]))).toBe('invalid probs: sum is Infinity (must be positive and finite)');
  });

  it('multinomial validates the same way', () => {
    expect(thrownMessage(() => rng.multinomial(10, [0.5, -1]))).toBe('invalid probs: entry 1 is -1 (must be finite and >= 0)');
    expect(thrownMessage(() => rng.multinomial(10, [0, 0]))).toBe('invalid probs: sum is 0 (must be positive and finite)');
  });
});

describe('binomial', () => {
  // Small means use inversion, larger ones BTRS, p > 1/2 the mirror image: check each
  // against the exact pmf.
  for (const [n, p] of [
    [30, 0.1],
    [12, 0.5],
    [50, 0.4],
    [400, 0.9],
    [2000, 0.03],
  ] as const) {
    it(`Binomial(${n}, ${p}) matches the exact pmf (chi-square)`, () => {
      const rng = rngFromKey(KEY, `binomial-${n}-${p}`);
      const m = 200_000;
      const samples = new Int32Array(m);
      for (let i = 0; i < m; i++) samples[i] = rng.binomial(n, p);
      expectMatchesPmf(samples, binomialPmf(n, p));
    });
  }

  it('has mean np and variance np(1 − p) for huge n', () => {
    const rng = rngFromKey(KEY, 'binomial-huge');
    const [n, p, m] = [1e9, 0.3, 50_000];
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < m; i++) {
      const x = rng.binomial(n, p) - n * p;
      s += x;
      s2 += x * x;
    }
    const v = n * p * (1 - p);
    expectWithin(s / m, 0, Math.sqrt(v / m), 'mean − np');
    expectWithin(s2 / m, v, v * Math.sqrt(2 / m), 'variance');
  });

  it('handles the edges p = 0, p = 1, n = 0', () => {
    const rng = rngFromKey(KEY, 'binomial-edge');
    expect(rng.binomial(10, 0)).toBe(0);
    expect(rng.binomial(10, 1)).toBe(10);
    expect(rng.binomial(0, 0.5)).toBe(0);
  });
});

describe('multinomial', () => {
  // Cell order mixes large and tiny probabilities so both binomial paths and the
  // conditional renormalization are exercised.
  const probs = [0.02, 0.5, 0.005, 0.3, 0.175];

  for (const [n, reps] of [
    [5, 40_000],
    [1000, 20_000],
    [1_000_000, 20_000],
  ] as const) {
    it(`n = ${n}: counts sum to n, with mean np and variance np(1 − p) per cell`, () => {
      const rng = rngFromKey(KEY, `multinomial-${n}`);
      const k = probs.length;
      const sum = new Float64Array(k);
      const sumSq = new Float64Array(k);
      let cross = 0; // Σ (X₁ − np₁)(X₃ − np₃), for the covariance −n p₁ p₃
      const out = new Float64Array(k);
      let bad = 0;
      for (let r = 0; r < reps; r++) {
        rng.multinomial(n, probs, out);
        let total = 0;
        for (let i = 0; i < k; i++) {
          if (!(Number.isInteger(out[i]) && out[i] >= 0)) bad++;
          total += out[i];
          const d = out[i] - n * probs[i];
          sum[i] += d;
          sumSq[i] += d * d;
        }
        if (total !== n) bad++;
        cross += (out[1] - n * probs[1]) * (out[3] - n * probs[3]);
      }
      expect(bad).toBe(0);
      for (let i = 0; i < k; i++) {
        const p = probs[i];
        const v = n * p * (1 - p);
        // Binomial central fourth moment: npq(1 + 3(n − 2)pq).
        const mu4 = v * (1 + 3 * (n - 2) * p * (1 - p));
        expectWithin(sum[i] / reps, 0, Math.sqrt(v / reps), `cell ${i} mean − np`);
        expectWithin(sumSq[i] / reps, v, Math.sqrt((mu4 - v * v) / reps), `cell ${i} variance`);
      }
      const c = -n * probs[1] * probs[3];
      const v1 = n * probs[1] * (1 - probs[1]);
      const v3 = n * probs[3] * (1 - probs[3]);
      // Var of a product of (nearly) bivariate-normal deviations: σ₁²σ₃² + c²; n = 5 is far
      // from normal, so there use a generous bound.
      const se = Math.sqrt((v1 * v3 + c * c) / reps) * (n < 100 ? 2 : 1);
      expectWithin(cross / reps, c, se, 'covariance of cells 1 and 3');
    });
  }

  it('never puts counts in zero-probability cells and accepts unnormalized probs', () => {
    const rng = rngFromKey(KEY, 'multinomial-zero');
    for (let r = 0; r < 1000; r++) {
      const c = rng.multinomial(100, [0, 2, 0, 6, 0]);
      expect(c[0] + c[2] + c[4]).toBe(0);
      expect(c[1] + c[3]).toBe(100);
    }
  });
});

describe('permutation and shuffle', () => {
  it('permutation(n) is a permutation of 0…n−1', () => {
    const rng = rngFromKey(KEY, 'perm');
    for (const n of [0, 1, 2, 17, 1000]) {
      const p = rng.permutation(n);
      expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  it('puts each element first equally often, and every order of 3 equally often', () => {
    const rng = rngFromKey(KEY, 'perm-uniform');
    const n = 10;
    const m = 100_000;
    const first = new Float64Array(n);
    for (let r = 0; r < m; r++) first[rng.permutation(n)[0]]++;
    expectChiSquareOk(first, new Float64Array(n).fill(m / n));
    const orders = new Map<string, number>();
    for (let r = 0; r < 60_000; r++) {
      const key = rng.permutation(3).join('');
      orders.set(key, (orders.get(key) ?? 0) + 1);
    }
    expect(orders.size).toBe(6);
    expectChiSquareOk([...orders.values()], new Float64Array(6).fill(10_000));
  });

  it('shuffle works in place on plain arrays and keeps the elements', () => {
    const rng = rngFromKey(KEY, 'shuffle');
    const a = ['a', 'b', 'c', 'd', 'e', 'f'];
    const same = rng.shuffle(a);
    expect(same).toBe(a);
    expect([...a].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
});

describe('sampleWithoutReplacement', () => {
  it('returns k distinct indices in range (dense and sparse paths)', () => {
    const rng = rngFromKey(KEY, 'swor');
    for (const [n, k] of [
      [10, 10],
      [10, 0],
      [1000, 37],
      [10_000_000, 50],
    ]) {
      const s = rng.sampleWithoutReplacement(n, k);
      expect(s.length).toBe(k);
      expect(new Set(s).size).toBe(k);
      for (const v of s) expect(v >= 0 && v < n).toBe(true);
    }
    expect(() => rng.sampleWithoutReplacement(3, 4)).toThrow();
  });

  it('includes each index with probability k/n, and the first pick is uniform', () => {
    const rng = rngFromKey(KEY, 'swor-uniform');
    const [n, k, m] = [20, 5, 40_000];
    const included = new Float64Array(n);
    const first = new Float64Array(n);
    for (let r = 0; r < m; r++) {
      const s = rng.sampleWithoutReplacement(n, k);
      first[s[0]]++;
      for (const v of s) included[v]++;
    }
    const p = k / n;
    for (let i = 0; i < n; i++) expectWithin(included[i] / m, p, Math.sqrt((p * (1 - p)) / m), `index ${i}`);
    expectChiSquareOk(first, new Float64Array(n).fill(m / n));
  });

  it('the sparse path (k ≪ n) equals a plain partial Fisher–Yates and is uniform', () => {
    const [n, k] = [1_000_000, 100];
    const a = rngFromKey(KEY, 'swor-sparse');
    const b = rngFromKey(KEY, 'swor-sparse');
    const pool = new Int32Array(n).map((_, i) => i);
    const reference = new Int32Array(k);
    for (let i = 0; i < k; i++) {
      const j = i + b.int(n - i);
      reference[i] = pool[j];
      pool[j] = pool[i];
    }
    expect(a.sampleWithoutReplacement(n, k)).toEqual(reference);

    const bins = new Float64Array(10);
    const m = 2000;
    for (let r = 0; r < m; r++) for (const v of a.sampleWithoutReplacement(n, k)) bins[Math.floor(v / (n / 10))]++;
    expectChiSquareOk(bins, new Float64Array(10).fill((m * k) / 10));
  });
});

describe('gamma and exponential', () => {
  it('gamma(shape, scale) has mean shape·scale and variance shape·scale²', () => {
    const rng = rngFromKey(KEY, 'gamma');
    const m = 200_000;
    for (const [shape, scale] of [
      [0.3, 1],
      [1, 2],
      [7.5, 0.5],
    ]) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < m; i++) {
        const x = rng.gamma(shape, scale) - shape * scale;
        s += x;
        s2 += x * x;
      }
      const v = shape * scale * scale;
      // Gamma central fourth moment: 3a(a + 2)θ⁴.
      const mu4 = 3 * shape * (shape + 2) * scale ** 4;
      expectWithin(s / m, 0, Math.sqrt(v / m), `gamma(${shape}) mean`);
      expectWithin(s2 / m, v, Math.sqrt((mu4 - v * v) / m), `gamma(${shape}) variance`);
    }
  });

  it('exponential() has mean 1 and variance 1', () => {
    const rng = rngFromKey(KEY, 'exponential');
    const m = 200_000;
    let s = 0;
    let s2 = 0;
    let negative = 0;
    for (let i = 0; i < m; i++) {
      const x = rng.exponential() - 1;
      if (!(x >= -1)) negative++;
      s += x;
      s2 += x * x;
    }
    expect(negative).toBe(0);
    expectWithin(s / m, 0, Math.sqrt(1 / m), 'mean');
    expectWithin(s2 / m, 1, Math.sqrt(8 / m), 'variance'); // μ4 − σ⁴ = 9 − 1
  });
});
