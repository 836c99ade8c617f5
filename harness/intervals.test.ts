/**
 * Tests that would catch a wrong interval: score()'s bootstrap intervals checked against the
 * exact bootstrap distribution (enumerated), the degenerate-denominator rule pinned on both
 * sides of its boundary, partly degenerate resamples counted exactly, and the common-steps
 * intersection checked on hand-computed numbers.
 *
 * Two ways to know the exact answer:
 * - with the real bootstrap stream and many resamples, the percentile bounds are compared with
 *   the quantiles of the exact bootstrap distribution (all n^n equally likely resamples of n
 *   seeds, grouped by multinomial counts), within the Monte-Carlo error of a sample quantile;
 * - with {@link EnumeratingRng}, an Rng whose every fork walks through all n^n index tuples in
 *   order, score()'s resamples ARE the enumeration (resamples = k·n^n gives each tuple k
 *   times, and resample b of every group draws the same tuple), so the expected interval is
 *   computed exactly in the test, resample by resample.
 *
 * Each test that targets one of the hand-made bugs of issue 12 item 9 says so ("Catches bug N"):
 *   1 the standard error's divisor n instead of n − 1 (harness/stats.test.ts),
 *   2 the bootstrap never resampling the last seed,
 *   3 the IQM interval built from the point scores (collapsing it to the point),
 *   4 the degenerate-denominator tolerance removed (only den = 0 caught),
 *   5 the common-steps intersection skipped.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from './rng.ts';
import { SCHEMA_VERSION, type ResultRecord } from './schema.ts';
import { assignTiers, score, type Interval, type Scores, type SettingScore, type TaskInfo } from './scoring.ts';

// ---------------------------------------------------------------------------------------
// Fixtures

const TASK: TaskInfo = { id: 't', stepAxis: 'generation', primary: { name: 'err', direction: 'lower' } };

interface Cell {
  /** Record id; default a fresh `i<n>`. */
  id?: string;
  method: string;
  seed: number;
  /** Primary metric means, aligned with steps. */
  values: number[];
  steps?: number[];
  /** Setting: distinct values give distinct settings of task 't'. */
  setting?: number;
}

let nextId = 0;
function record({ id = `i${nextId++}`, method, seed, values, steps = values.map((_, i) => i), setting = 0 }: Cell): ResultRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    id,
    key: { task: TASK.id, taskParams: { setting }, method, methodParams: {}, seed },
    status: 'ok',
    stepAxis: 'generation',
    steps,
    metrics: { err: { mean: values, se: values.map(() => 0), n: values.map(() => 1) } },
    budget: { realSamplesPerChain: 0 },
    timing: { wallMs: 1, startedAt: '2025-01-01T00:00:00.000Z' },
    provenance: {
      harnessVersion: '0',
      taskHash: 'x',
      methodHash: 'x',
      harnessHash: 'x',
      gitCommit: null,
      lockfileHash: null,
      node: 'v20',
      backend: 'cpu',
      cpu: 'test',
      date: '2025-01-01',
    },
  };
}

/** Seeds 0…k−1 of `method`, each a flat curve over steps [0, 1] whose trapezoid area is exactly `areas[seed]`. */
function flatSeeds(method: string, areas: readonly number[], setting = 0): ResultRecord[] {
  return areas.map((a, seed) => record({ method, seed, values: [a, a], setting }));
}

function row(scores: Scores, entry: string, setting = 0): SettingScore {
  const found = scores.settings.find((s) => s.entry === entry && s.taskParams.setting === setting);
  if (!found) throw new Error(`no row for ${entry} on setting ${setting}`);
  return found;
}

// ---------------------------------------------------------------------------------------
// Exact bootstrap distributions

/** A discrete distribution: sorted distinct values with their probabilities. */
type Atoms = { value: number; p: number }[];

function toAtoms(weighted: Iterable<[number, number]>): Atoms {
  const byValue = new Map<number, number>();
  for (const [value, p] of weighted) byValue.set(value, (byValue.get(value) ?? 0) + p);
  return [...byValue].map(([value, p]) => ({ value, p })).sort((a, b) => a.value - b.value);
}

/** Count vectors (k_0 … k_{n−1}) with Σk = n: one per multiset of seeds a resample can draw. */
function countVectors(n: number): number[][] {
  const out: number[][] = [];
  const walk = (prefix: number[], left: number) => {
    if (prefix.length === n - 1) out.push([...prefix, left]);
    else for (let k = left; k >= 0; k--) walk([...prefix, k], left - k);
  };
  walk([], n);
  return out;
}

const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));

/**
 * The exact bootstrap distribution of the mean of `values`: a resample is n draws with
 * replacement, all n^n ordered draws equally likely, so the multiset with counts k has the
 * multinomial probability n!/(Πk_i!)·n^−n and mean Σk_i·v_i/n.
 */
function bootstrapMean(values: readonly number[]): Atoms {
  const n = values.length;
  return toAtoms(
    countVectors(n).map((k): [number, number] => {
      const multinomial = factorial(n) / k.reduce((d, ki) => d * factorial(ki), 1);
      return [k.reduce((s, ki, i) => s + ki * values[i], 0) / n, multinomial / n ** n];
    }),
  );
}

/** CDF F(x) = P(X ≤ x) and F(x−) = P(X < x). */
function cdf(atoms: Atoms, x: number): { below: number; atOrBelow: number } {
  let below = 0;
  let atOrBelow = 0;
  for (const a of atoms) {
    if (a.value < x) below += a.p;
    if (a.value <= x) atOrBelow += a.p;
  }
  return { below, atOrBelow };
}

/**
 * The level-p quantile of `atoms` that a percentile bootstrap with B resamples must return.
 *
 * The type-7 sample quantile interpolates between order statistics ⌊(B−1)p⌋+1 and +2; it is
 * exactly the atom q = inf{x : F(x) ≥ p} unless the number of resamples below q reaches that
 * rank (count ~ Binomial(B, F(q−))) or the number at or below q falls short of it (count ~
 * Binomial(B, F(q))). Each gap |F − p| is required to be at least 6 binomial standard errors
 * √(p(1−p)/B) plus 2/B for the rank offsets, so a correct bootstrap misses q with probability
 * below 2·Φ(−6) ≈ 2e−9 (the streams are seeded, so the outcome is fixed anyway; the margin
 * says it is not luck).
 */
function exactQuantile(atoms: Atoms, p: number, resamples: number): number {
  const q = atoms.find((a) => cdf(atoms, a.value).atOrBelow >= p)!.value;
  const { below, atOrBelow } = cdf(atoms, q);
  const margin = 6 * Math.sqrt((p * (1 - p)) / resamples) + 2 / resamples;
  if (!(atOrBelow - p >= margin && p - below >= margin)) {
    throw new Error(
      `level ${p} is within ${margin} of a jump of the CDF at ${q} (F(q−) = ${below}, F(q) = ${atOrBelow}): choose other data`,
    );
  }
  return q;
}

/**
 * Whether `bound` can be the level-p bound of a percentile interval over B resamples from
 * `atoms`: the exact CDF must cross p there, F(bound) ≥ p − ε and F(bound−) ≤ p + ε, with
 * ε = 5 binomial standard errors of the empirical CDF, 5·√(p(1−p)/B), plus 2/B for the
 * interpolation between neighbouring order statistics (≈ 0.0056 at p = 0.025, B = 20 000).
 * For dense distributions, where no single atom can be named. Null when it can; else why not.
 */
function levelCheck(atoms: Atoms, bound: number, p: number, resamples: number): string | null {
  const eps = 5 * Math.sqrt((p * (1 - p)) / resamples) + 2 / resamples;
  const { below, atOrBelow } = cdf(atoms, bound);
  if (atOrBelow < p - eps) return `F(${bound}) = ${atOrBelow} < ${p} − ${eps}`;
  if (below > p + eps) return `F(${bound}−) = ${below} > ${p} + ${eps}`;
  return null;
}

/** Type-7 quantile of sorted samples (numpy's default), written out independently of scoring.ts. */
function type7(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function percentile(samples: readonly number[], confidence: number): Interval {
  const sorted = [...samples].sort((a, b) => a - b);
  return { low: type7(sorted, (1 - confidence) / 2), high: type7(sorted, (1 + confidence) / 2) };
}

/**
 * A bootstrap stream for tests: every fork restarts one fixed sequence in which int(n) returns
 * the base-n digits of 0, 1, 2, … (n draws per number, lowest digit first), counting modulo
 * n^n. score() draws, per setting × entry, n indices per resample from its fork, so resample b
 * uses the index tuple b mod n^n — in every group at once (the oracle's, the reference's and
 * the entry's resamples are paired), and `resamples` = k·n^n enumerates every tuple k times.
 */
class EnumeratingRng extends Rng {
  private draws = 0;

  constructor() {
    super('0'.repeat(64));
  }

  override fork(): Rng {
    return new EnumeratingRng();
  }

  override int(n: number): number {
    const tuple = Math.floor(this.draws / n) % n ** n;
    const position = this.draws % n;
    this.draws++;
    return Math.floor(tuple / n ** position) % n;
  }
}

/** The index tuple of resample b for n seeds under {@link EnumeratingRng}. */
function tuple(b: number, n: number): number[] {
  const t = b % n ** n;
  return Array.from({ length: n }, (_, position) => Math.floor(t / n ** position) % n);
}

/** Seed-mean of `areas` over the tuple, summed in draw order as score() does. */
function resampleMean(areas: readonly number[], indices: readonly number[]): number {
  let sum = 0;
  for (const i of indices) sum += areas[i];
  return sum / indices.length;
}

/** The documented degenerate-denominator rule: |den| < 1e-12·(|A_ref| + |A_oracle|), or den = 0. */
function degenerate(den: number, ref: number, oracle: number): boolean {
  return den === 0 || !Number.isFinite(den) || Math.abs(den) < 1e-12 * (Math.abs(ref) + Math.abs(oracle));
}

// ---------------------------------------------------------------------------------------
// Helpers of the tests themselves

describe('the exact bootstrap distribution used as reference', () => {
  it('3 seeds: 10 multisets whose multinomial probabilities match the 27 ordered resamples', () => {
    const values = [1, 2, 7];
    const byEnumeration = toAtoms(Array.from({ length: 27 }, (_, b): [number, number] => [resampleMean(values, tuple(b, 3)), 1 / 27]));
    const exact = bootstrapMean(values);
    expect(exact.map((a) => a.value)).toEqual([3, 4, 5, 6, 9, 10, 11, 15, 16, 21].map((s) => s / 3));
    expect(exact.map((a) => Math.round(a.p * 27))).toEqual([1, 3, 3, 1, 3, 6, 3, 3, 3, 1]);
    expect(byEnumeration.map((a) => a.value)).toEqual(exact.map((a) => a.value));
    byEnumeration.forEach((a, i) => {
      expect(a.p).toBeCloseTo(exact[i].p, 14);
    });
  });

  it('EnumeratingRng visits every 3-digit tuple once per 27 resamples', () => {
    const rng = new EnumeratingRng().fork();
    const seen = new Set<string>();
    for (let b = 0; b < 27; b++) seen.add([rng.int(3), rng.int(3), rng.int(3)].join());
    expect(seen.size).toBe(27);
    expect([rng.int(3), rng.int(3), rng.int(3)]).toEqual([0, 0, 0]); // and starts over
  });
});

// ---------------------------------------------------------------------------------------
// Per setting × entry: percentile intervals against the exact bootstrap

describe('score: per-setting bootstrap intervals against the exact bootstrap distribution (3 seeds)', () => {
  // Entry m: per seed a curve [a, f] over steps [0, 1], so area (a + f)/2 and final f. The last
  // seed (seed 2) has both the largest area and the largest final value, so an upper quantile
  // that reaches them needs resamples that draw it.
  const first = [4, 0, 2];
  const finals = [1, 2, 7];
  // Computed here, not with trapezoid(): scoring code run outside a test counts as "static"
  // coverage for Stryker, which then misreports its mutants (see stryker.config.mjs).
  const areas = first.map((a, i) => (a + finals[i]) / 2); // 2.5, 1, 4.5
  // Scale entries with identical seeds: their resamples are constant (oracle area 0, reference 10),
  // so m's normalized score in a resample is exactly its resampled area / 10.
  const records = [
    ...flatSeeds('real-only', [0, 0]),
    ...flatSeeds('replace', [10, 10]),
    ...first.map((a, seed) => record({ method: 'm', seed, values: [a, finals[seed]] })),
  ];
  const RESAMPLES = 20_000;

  for (const confidence of [0.95, 0.8]) {
    it(`confidence ${confidence}: finalCi and normalizedCi are the exact distribution's quantiles`, () => {
      const m = row(score(records, [TASK], { resamples: RESAMPLES, confidence }), 'm');
      const alpha = (1 - confidence) / 2;
      const finalDist = bootstrapMean(finals);
      const areaDist = bootstrapMean(areas);
      expect(m.seeds).toBe(3);
      expect(m.final).toBeCloseTo(10 / 3, 14);
      expect(m.normalized).toBeCloseTo(8 / 3 / 10, 14);
      expect(m.finalCi).toEqual({ low: exactQuantile(finalDist, alpha, RESAMPLES), high: exactQuantile(finalDist, 1 - alpha, RESAMPLES) });
      expect(m.normalizedCi!.low).toBeCloseTo(exactQuantile(areaDist, alpha, RESAMPLES) / 10, 12);
      expect(m.normalizedCi!.high).toBeCloseTo(exactQuantile(areaDist, 1 - alpha, RESAMPLES) / 10, 12);
    });
  }

  it('confidence 0.95 reaches the extreme seeds: finalCi = [1, 7], normalizedCi = [1, 4.5]/10 (catches bug 2)', () => {
    // P(all three draws = the same seed) = 1/27 ≈ 0.037 > 0.025, so the 2.5% and 97.5%
    // quantiles are the smallest and the largest seed themselves. A bootstrap that never
    // draws the last seed (int(n − 1)) tops out at seed 1's final 2 and seed 0's area 2.5.
    const m = row(score(records, [TASK], { resamples: RESAMPLES }), 'm');
    expect(m.finalCi).toEqual({ low: 1, high: 7 });
    expect(m.normalizedCi!.low).toBeCloseTo(0.1, 14);
    expect(m.normalizedCi!.high).toBeCloseTo(0.45, 14);
  });

  it('the check has power: a bootstrap that never draws the last seed misses the exact quantiles', () => {
    // The same percentile bootstrap written out in the test, once right and once with the
    // hand-made bug 2 (indices from int(n − 1)); only the right one meets exactQuantile.
    const bootstrapInterval = (values: readonly number[], draw: (rng: Rng) => number, confidence: number) => {
      const rng = new Rng('1'.repeat(64));
      const samples = Array.from({ length: RESAMPLES }, () =>
        resampleMean(
          values,
          values.map(() => draw(rng)),
        ),
      );
      return percentile(samples, confidence);
    };
    for (const confidence of [0.95, 0.8]) {
      const alpha = (1 - confidence) / 2;
      const exact = {
        low: exactQuantile(bootstrapMean(finals), alpha, RESAMPLES),
        high: exactQuantile(bootstrapMean(finals), 1 - alpha, RESAMPLES),
      };
      expect(bootstrapInterval(finals, (rng) => rng.int(3), confidence)).toEqual(exact);
      const flawed = bootstrapInterval(finals, (rng) => rng.int(2), confidence);
      expect(flawed.high).toBeLessThan(exact.high);
    }
  });

  it('the same resamples under EnumeratingRng: 27·k resamples give exactly the enumerated quantiles', () => {
    // Independent of Monte-Carlo error: 27·40 resamples are each ordered tuple 40 times.
    const resamples = 27 * 40;
    const m = row(score(records, [TASK], { resamples, rng: new EnumeratingRng() }), 'm');
    const finalSamples = Array.from({ length: resamples }, (_, b) => resampleMean(finals, tuple(b, 3)));
    const normalizedSamples = Array.from({ length: resamples }, (_, b) => resampleMean(areas, tuple(b, 3)) / 10);
    expect(m.finalCi).toEqual(percentile(finalSamples, 0.95));
    const expected = percentile(normalizedSamples, 0.95);
    expect(m.normalizedCi!.low).toBeCloseTo(expected.low, 14);
    expect(m.normalizedCi!.high).toBeCloseTo(expected.high, 14);
  });
});

// ---------------------------------------------------------------------------------------
// Across settings: the stratified bootstrap of the IQM

describe('score: the stratified IQM interval against its exact distribution', () => {
  // Four settings; in each, oracle area 0 and reference area 1 with constant resamples, and m's
  // three seeds have areas v, so m's normalized score in a resample is its resampled mean of v.
  // Strata are independent, so the IQM's exact bootstrap distribution is the 10⁴ combinations
  // of the four per-setting distributions (10 atoms each), IQM of 4 = mean of the middle two.
  const perSetting = [
    [0.1, 0.5, 0.3],
    [0.2, 0.9, 0.4],
    [0.0, 1.2, 0.6],
    [0.35, 0.45, 0.8],
  ];
  const records = perSetting.flatMap((v, setting) => [
    ...flatSeeds('real-only', [0, 0], setting),
    ...flatSeeds('replace', [1, 1], setting),
    ...flatSeeds('m', v, setting),
  ]);
  const RESAMPLES = 20_000;

  function exactIqmDistribution(): Atoms {
    const dists = perSetting.map(bootstrapMean);
    let combos: [number[], number][] = [[[], 1]];
    for (const dist of dists)
      combos = combos.flatMap(([values, p]) => dist.map((a): [number[], number] => [[...values, a.value], p * a.p]));
    return toAtoms(
      combos.map(([values, p]): [number, number] => {
        const sorted = [...values].sort((a, b) => a - b);
        return [(sorted[1] + sorted[2]) / 2, p];
      }),
    );
  }

  it('the bounds sit at the exact distribution’s 2.5% and 97.5% levels, within Monte-Carlo error (catches bug 3)', () => {
    const s = score(records, [TASK], { resamples: RESAMPLES });
    const m = s.entries.find((e) => e.entry === 'm')!;
    const points = perSetting.map((v) => v.reduce((a, b) => a + b) / 3).sort((a, b) => a - b);
    expect(m.settings).toBe(4);
    expect(m.iqm).toBeCloseTo((points[1] + points[2]) / 2, 14);
    // The IQM's bootstrap distribution has positive spread: an interval built from the point
    // scores (every resample = the point) collapses to [iqm, iqm] and fails here.
    expect(m.ci!.low).toBeLessThan(m.iqm! - 0.05);
    expect(m.ci!.high).toBeGreaterThan(m.iqm! + 0.05);
    // The atoms are dense, so compare on the probability scale (levelCheck).
    const exact = exactIqmDistribution();
    expect(exact.reduce((t, a) => t + a.p, 0)).toBeCloseTo(1, 12);
    expect(levelCheck(exact, m.ci!.low, 0.025, RESAMPLES)).toBeNull();
    expect(levelCheck(exact, m.ci!.high, 0.975, RESAMPLES)).toBeNull();
    // The check has power: the point-score interval [iqm, iqm] sits where F ≈ ½ and fails both.
    expect(levelCheck(exact, m.iqm!, 0.025, RESAMPLES)).not.toBeNull();
    expect(levelCheck(exact, m.iqm!, 0.975, RESAMPLES)).not.toBeNull();
  });

  it('equals, resample by resample, an independent re-implementation under EnumeratingRng', () => {
    // Under EnumeratingRng resample b draws tuple b in every setting (the strata are then
    // paired, not independent: this checks the arithmetic, the test above the independence).
    const resamples = 27 * 20;
    const m = score(records, [TASK], { resamples, rng: new EnumeratingRng() }).entries.find((e) => e.entry === 'm')!;
    const samples = Array.from({ length: resamples }, (_, b) => {
      const values = perSetting.map((v) => resampleMean(v, tuple(b, 3))).sort((x, y) => x - y);
      return (values[1] + values[2]) / 2;
    });
    const expected = percentile(samples, 0.95);
    expect(m.ci!.low).toBeCloseTo(expected.low, 14);
    expect(m.ci!.high).toBeCloseTo(expected.high, 14);
  });
});

// ---------------------------------------------------------------------------------------
// Near-zero reference gaps

describe('score: the degenerate-denominator tolerance |den| < 1e-12·(|A_ref| + |A_oracle|)', () => {
  // Oracle area 1, reference area 1 + k·2⁻⁵² (flat curves: both areas exact), so den = k·2⁻⁵²
  // exactly and the threshold is 1e-12·(2 + k·2⁻⁵²) ≈ 2e-12, which lies between k = 9007
  // (den ≈ 1.99996e-12) and k = 9008 (den ≈ 2.00018e-12).
  const ULP = 2 ** -52;
  const nearlyCoinciding = (k: number, scale = 1) => [
    ...flatSeeds('real-only', [scale, scale]),
    ...flatSeeds('replace', [scale * (1 + k * ULP), scale * (1 + k * ULP)]),
    ...flatSeeds('m', [scale * (1 + (k / 2) * ULP), scale * (1 + (k / 2) * ULP)]),
  ];

  it('just above the threshold (k = 9008): the score is defined and exact, m halfway = 0.5', () => {
    const s = score(nearlyCoinciding(9008), [TASK], { resamples: 50 });
    const m = row(s, 'm');
    expect(m.normalized).toBe(0.5); // (4504·2⁻⁵²)/(9008·2⁻⁵²), every step exact
    expect(m.normalizedCi).toEqual({ low: 0.5, high: 0.5 });
    expect(m.normalizedNote).toBeUndefined();
    expect(row(s, 'replace').normalized).toBe(1);
  });

  it('just below the threshold (k = 9007): undefined, with the "coincide" note (catches bug 4)', () => {
    // den = 9007·2⁻⁵² ≠ 0: only the relative tolerance makes this degenerate.
    const s = score(nearlyCoinciding(9007), [TASK], { resamples: 50 });
    const m = row(s, 'm');
    expect(m.normalized).toBeNull();
    expect(m.normalizedCi).toBeNull();
    expect(m.normalizedNote).toMatch(/coincide/);
    expect(s.entries.find((e) => e.entry === 'm')!.iqm).toBeNull();
    expect(s.entries.find((e) => e.entry === 'm')!.missing).toEqual([m.setting]);
  });

  it('the tolerance is relative and uses |den| and |A_ref| + |A_oracle|: scaled by 2⁴⁰, 2⁻⁴⁰ and −1, both decisions hold', () => {
    // Scale −1 makes every area negative (den < 0, A_ref + A_oracle < 0): without the absolute
    // values the threshold would be negative (k = 9007 defined) or every negative den degenerate
    // (k = 9008 undefined).
    for (const scale of [2 ** 40, 2 ** -40, -1]) {
      expect(row(score(nearlyCoinciding(9008, scale), [TASK], { resamples: 10 }), 'm').normalized).toBe(0.5);
      expect(row(score(nearlyCoinciding(9007, scale), [TASK], { resamples: 10 }), 'm').normalized).toBeNull();
    }
  });
});

describe('score: partly degenerate resamples are left out of the interval, exactly', () => {
  // Four seeds per group under EnumeratingRng (4⁴ = 256 tuples, each twice in 512 resamples).
  // Oracle seed areas [0, 0, 0, 4], reference [4 + η, 4 + η, 0, 0] with η = 2⁻³⁸: for counts
  // (k0, k1, k2, k3) of a tuple, O = k3 and R = (k0 + k1)(1 + 2⁻⁴⁰), all exact. Where
  // k3 = k0 + k1 = j the denominator is j·2⁻⁴⁰ ≈ j·9.1e-13 < 1e-12·(R + O) ≈ j·2e-12:
  // degenerate, and for j = 0 exactly 0. Tuples: j = 0: 1 (all seed 2), j = 1: 2·4!/(1!1!2!) = 24,
  // j = 2: 4!/(2!2!) + 4!/(1!1!2!) + 4!/(2!2!) = 24; 49 of 256. Any other tuple has |den| ≥ 1 − 2⁻⁴⁰.
  const eta = 2 ** -38;
  const oracle = [0, 0, 0, 4];
  const reference = [4 + eta, 4 + eta, 0, 0];
  const mine = [1, 2, 3, 4];
  const records = [...flatSeeds('real-only', oracle), ...flatSeeds('replace', reference), ...flatSeeds('m', mine)];
  const resamples = 512;

  it('49 of every 256 resamples are degenerate; the note says 98 of 512 (catches bug 4 in the resamples)', () => {
    // With only den = 0 caught, just the 2 all-seed-2 resamples would be left out, and the
    // other 96 would enter with |normalized| ≈ 10¹².
    const m = row(score(records, [TASK], { resamples, rng: new EnumeratingRng() }), 'm');
    const degenerateCount = Array.from({ length: 256 }, (_, b) => tuple(b, 4)).filter((t) => {
      const o = resampleMean(oracle, t);
      const r = resampleMean(reference, t);
      return degenerate(r - o, r, o);
    }).length;
    expect(degenerateCount).toBe(49);
    expect(m.normalizedNote).toMatch(/^98 of 512 resamples had a degenerate denominator and were left out of the interval/);
  });

  it('the interval is the percentile interval of exactly the other 414 resamples', () => {
    const m = row(score(records, [TASK], { resamples, rng: new EnumeratingRng() }), 'm');
    // Point: A_o = 1, A_r = 2(1 + 2⁻⁴⁰), A_m = 2.5.
    expect(m.normalized).toBeCloseTo(1.5 / (1 + 2 * 2 ** -40), 14);
    const kept: number[] = [];
    for (let b = 0; b < resamples; b++) {
      const t = tuple(b, 4);
      const o = resampleMean(oracle, t);
      const r = resampleMean(reference, t);
      if (!degenerate(r - o, r, o)) kept.push((resampleMean(mine, t) - o) / (r - o) + 0);
    }
    expect(kept.length).toBe(414);
    const expected = percentile(kept, 0.95);
    expect(m.normalizedCi!.low).toBeCloseTo(expected.low, 12);
    expect(m.normalizedCi!.high).toBeCloseTo(expected.high, 12);
    // Every kept value is moderate; a degenerate resample let in would be ≈ ±10¹².
    expect(Math.max(...kept.map(Math.abs))).toBeLessThan(10);
    expect(Math.abs(m.normalizedCi!.low) + Math.abs(m.normalizedCi!.high)).toBeLessThan(20);
  });

  it('a resample degenerate on one setting is left out of the IQM interval across settings', () => {
    // Setting 0: oracle constant 1, reference [1 + 2⁻⁴¹, 2, 2, 2]: only the all-seed-0 tuple
    // (1 in 256) has den = 2⁻⁴¹ < 2e-12 — degenerate though not zero. The reference still
    // clearly degrades more than the oracle (den ≥ 0.25 in 255 of 256 tuples). Setting 1: no
    // degenerate resample. IQM of two settings = their mean, over the 510 kept resamples.
    const tiny = 2 ** -41;
    const s0 = { oracle: [1, 1, 1, 1], reference: [1 + tiny, 2, 2, 2], mine: [1.5, 1.25, 1, 2] };
    const s1 = { oracle: [0, 0, 0, 0], reference: [1, 2, 3, 2], mine: [0.5, 1, 0.25, 2] };
    const both = [s0, s1].flatMap((g, setting) => [
      ...flatSeeds('real-only', g.oracle, setting),
      ...flatSeeds('replace', g.reference, setting),
      ...flatSeeds('m', g.mine, setting),
    ]);
    const s = score(both, [TASK], { resamples, rng: new EnumeratingRng() });
    expect(row(s, 'm', 0).normalizedNote).toMatch(/^2 of 512 resamples had a degenerate denominator/);
    const normalizedIn = (g: typeof s0, t: number[]) => {
      const o = resampleMean(g.oracle, t);
      const r = resampleMean(g.reference, t);
      return degenerate(r - o, r, o) ? NaN : (resampleMean(g.mine, t) - o) / (r - o) + 0;
    };
    const kept: number[] = [];
    for (let b = 0; b < resamples; b++) {
      const values = [normalizedIn(s0, tuple(b, 4)), normalizedIn(s1, tuple(b, 4))];
      if (values.every(Number.isFinite)) kept.push((values[0] + values[1]) / 2);
    }
    expect(kept.length).toBe(510);
    const m = s.entries.find((e) => e.entry === 'm')!;
    expect(m.settings).toBe(2);
    // Confidence 0.95 over 510 values: ranks 12.725 and 496.275 (over 512 they would be 12.775
    // and 498.225), so leaving out is visible unless neighbours tie; compare exactly.
    const expected = percentile(kept, 0.95);
    expect(m.ci!.low).toBeCloseTo(expected.low, 12);
    expect(m.ci!.high).toBeCloseTo(expected.high, 12);
  });
});

// ---------------------------------------------------------------------------------------
// Common steps

describe('score: only the steps common to every seed enter curve, area and final (catches bug 5)', () => {
  // Seed 0 evaluates steps 0…4; seed 1 lists 4, 2, 0, 5 (another order, no 1 or 3, an extra 5);
  // seed 2 has 0, 2, 2, 4, 6 (a repeated step: its first value counts). Common steps, in seed
  // 0's order: [0, 2, 4]. Values there: seed 0 [0, 2, 4], seed 1 [0, 20, 40], seed 2 [1, 3, 5].
  // Areas over [0, 2, 4]: 2 + 6 = 8, 20 + 60 = 80, 4 + 8 = 12: mean 100/3.
  // Ids sort the other way round from seeds: cells are ordered by seed (ids only break ties),
  // so "the first cell" is seed 0 and the steps come out as [0, 2, 4], not seed 1's [4, 2, 0].
  const m = [
    record({ id: 'z', method: 'm', seed: 0, steps: [0, 1, 2, 3, 4], values: [0, 10, 2, 30, 4] }),
    record({ id: 'a', method: 'm', seed: 1, steps: [4, 2, 0, 5], values: [40, 20, 0, 50] }),
    record({ id: 'b', method: 'm', seed: 2, steps: [0, 2, 2, 4, 6], values: [1, 3, 99, 5, 7] }),
  ];
  // Scale entries on their own step sets (the intersection is per setting × entry): oracle area 0,
  // reference over steps [0, 4] with values [0, 50]: area 100.
  const scaleEntries = [
    record({ method: 'real-only', seed: 0, steps: [0, 2, 4], values: [0, 0, 0] }),
    record({ method: 'real-only', seed: 1, steps: [0, 1, 2, 3, 4, 5], values: [0, 0, 0, 0, 0, 0] }),
    record({ method: 'replace', seed: 0, steps: [0, 4], values: [0, 50] }),
  ];

  it('steps [0, 2, 4], curve [1/3, 25/3, 49/3], area 100/3, final 49/3, normalized 1/3, whatever the record order', () => {
    for (const records of [[...scaleEntries, ...m], [...m, ...scaleEntries].reverse()]) {
      const s = score(records, [TASK], { resamples: 200 });
      const r = row(s, 'm');
      expect(r.seeds).toBe(3);
      expect(r.steps).toEqual([0, 2, 4]);
      expect(r.curve).toEqual([1 / 3, 25 / 3, 49 / 3]);
      expect(r.area).toBeCloseTo(100 / 3, 13);
      expect(r.final).toBe(49 / 3);
      expect(r.normalized).toBeCloseTo(1 / 3, 14);
      expect(row(s, 'real-only').steps).toEqual([0, 2, 4]);
      expect(row(s, 'replace').area).toBe(100);
    }
  });

  it('the intervals resample the intersected cells: finalCi = [4, 40] and normalizedCi = [8, 80]/100 at 20 000 resamples', () => {
    // Three seeds, so (as above) the 2.5% and 97.5% quantiles are the extreme seeds: finals
    // 4, 40, 5 and areas 8, 80, 12 over the common steps.
    const r = row(score([...scaleEntries, ...m], [TASK], { resamples: 20_000 }), 'm');
    expect(r.finalCi).toEqual({ low: 4, high: 40 });
    expect(r.normalizedCi!.low).toBeCloseTo(0.08, 14);
    expect(r.normalizedCi!.high).toBeCloseTo(0.8, 14);
  });
});

// ---------------------------------------------------------------------------------------
// The collapse check's gap interval and the probability-of-improvement intervals

/** Distribution of f(X, Y) for independent discrete X and Y. */
function combine(x: Atoms, y: Atoms, f: (a: number, b: number) => number): Atoms {
  return toAtoms(x.flatMap((a) => y.map((b): [number, number] => [f(a.value, b.value), a.p * b.p])));
}

function expectAtLevel(atoms: Atoms, bound: number, p: number, resamples: number): void {
  expect(levelCheck(atoms, bound, p, resamples)).toBeNull();
}

/** Mann–Whitney P(X < Y) over all pairs, ties one half, written out for the test. */
function pLess(x: readonly number[], y: readonly number[]): number {
  let wins = 0;
  for (const a of x) for (const b of y) wins += a < b ? 1 : a === b ? 0.5 : 0;
  return wins / (x.length * y.length);
}

describe('score: the gap interval of the collapse check', () => {
  it('gapCi is the exact bootstrap distribution of R − O (independent resamples), within Monte-Carlo error', () => {
    // The oracle's seeds spread as much as the reference's: leaving either's resampling out
    // (its point in every resample) narrows the interval well outside the bands below.
    const oracle = [0, 3, 9];
    const reference = [10, 11, 12];
    const resamples = 20_000;
    const s = score([...flatSeeds('real-only', oracle), ...flatSeeds('replace', reference)], [TASK], { resamples });
    const [summary] = s.settingSummaries;
    expect(summary.gap).toBe(11 - 4);
    const exact = combine(bootstrapMean(reference), bootstrapMean(oracle), (r, o) => r - o);
    expectAtLevel(exact, summary.gapCi!.low, 0.025, resamples);
    expectAtLevel(exact, summary.gapCi!.high, 0.975, resamples);
    // The extremes are 10 − 9 = 1 and 12 − 0 = 12, each with probability 1/27²: the 95% interval
    // lies strictly inside them.
    expect(summary.gapCi!.low).toBeGreaterThan(1);
    expect(summary.gapCi!.high).toBeLessThan(12);
  });

  it('collapse needs the interval strictly above 0: lower bound exactly 0 → no collapse, 1e-9 → collapse', () => {
    // Oracle constant 0; reference seeds [z, 1, 1]: P(all three draws = seed 0) = 1/27 > 2.5%, so
    // the 2.5% quantile of the gap is z itself (6+ binomial SEs from the level at 20 000 resamples).
    for (const [z, collapse] of [
      [0, false],
      [1e-9, true],
    ] as const) {
      const records = [...flatSeeds('real-only', [0, 0]), ...flatSeeds('replace', [z, 1, 1]), ...flatSeeds('m', [0.5, 0.5])];
      const s = score(records, [TASK], { resamples: 20_000 });
      const [summary] = s.settingSummaries;
      expect(summary.gapCi!.low).toBe(z);
      expect(summary.collapse).toBe(collapse);
      // Only a setting with collapse enters m's IQM.
      expect(s.entries.find((e) => e.entry === 'm')!.settings).toBe(collapse ? 1 : 0);
    }
  });
});

describe('score: probability-of-improvement intervals', () => {
  // m's seed areas [0, 10, 20] against the reference's [5, 15, 25]: pairs won 3 + 2 + 1 of 9.
  // Seed i of m beats seed j of the reference exactly when i ≤ j, so resampling both with the
  // SAME indices would never go below 6/9 (each pair (i, j) or its mirror wins), while
  // independent resamples reach 0 (m all seed 2, reference all seed 0).
  const mine = [0, 10, 20];
  const reference = [5, 15, 25];
  const records = (setting = 0, m = mine, r = reference) => [
    ...flatSeeds('real-only', [0, 0], setting),
    ...flatSeeds('replace', r, setting),
    ...flatSeeds('m', m, setting),
  ];

  /** Exact bootstrap distribution of P(X* < Y*) with X*, Y* independent resamples of both seed sets. */
  function exactImprovement(x: readonly number[], y: readonly number[]): Atoms {
    const tuples = (n: number) => Array.from({ length: n ** n }, (_, b) => tuple(b, n));
    const weight = 1 / (x.length ** x.length * y.length ** y.length);
    return toAtoms(
      tuples(x.length).flatMap((tx) =>
        tuples(y.length).map((ty): [number, number] => [
          pLess(
            tx.map((i) => x[i]),
            ty.map((j) => y[j]),
          ),
          weight,
        ]),
      ),
    );
  }

  it('per setting: value 2/3, and the interval at the exact distribution’s 2.5% and 97.5% levels (independent resamples)', () => {
    const resamples = 20_000;
    const m = row(score(records(), [TASK], { resamples }), 'm');
    expect(m.improvement.reference!.value).toBe(6 / 9);
    const exact = exactImprovement(mine, reference);
    const { ci } = m.improvement.reference!;
    expectAtLevel(exact, ci!.low, 0.025, resamples);
    expectAtLevel(exact, ci!.high, 0.975, resamples);
    expect(ci!.low).toBeLessThan(6 / 9);
    expect(ci!.high).toBeGreaterThan(6 / 9);
  });

  it('across settings: the mean of the per-setting resamples, resample by resample (EnumeratingRng)', () => {
    // Setting 1: m [1, 7, 9] against [2, 8, 10]. Under EnumeratingRng both groups of a setting
    // draw tuple b, and so do both settings.
    const other = { m: [1, 7, 9], r: [2, 8, 10] };
    const resamples = 27 * 20;
    const s = score([...records(0), ...records(1, other.m, other.r)], [TASK], { resamples, rng: new EnumeratingRng() });
    const aggregate = s.entries.find((e) => e.entry === 'm')!.improvement.reference!;
    expect(aggregate.settings).toBe(2);
    expect(aggregate.value).toBeCloseTo((pLess(mine, reference) + pLess(other.m, other.r)) / 2, 14);
    const samples = Array.from({ length: resamples }, (_, b) => {
      const t = tuple(b, 3);
      const pick = (v: readonly number[]) => t.map((i) => v[i]);
      return (pLess(pick(mine), pick(reference)) + pLess(pick(other.m), pick(other.r))) / 2;
    });
    const expected = percentile(samples, 0.95);
    expect(aggregate.ci!.low).toBeCloseTo(expected.low, 14);
    expect(aggregate.ci!.high).toBeCloseTo(expected.high, 14);
    // And each setting's own interval from the same tuples.
    const perSetting = Array.from({ length: resamples }, (_, b) =>
      pLess(
        tuple(b, 3).map((i) => mine[i]),
        tuple(b, 3).map((i) => reference[i]),
      ),
    );
    expect(row(s, 'm', 0).improvement.reference!.ci).toEqual(percentile(perSetting, 0.95));
  });
});

// ---------------------------------------------------------------------------------------
// Gaps found by mutation testing (npm run mutation)

describe('score: more interval edge cases', () => {
  it('a setting with collapse whose resamples are 25% degenerate: those are left out of the IQM interval, not carried as NaN', () => {
    // Two seeds per group under EnumeratingRng (tuples (0,0), (1,0), (0,1), (1,1)). Setting 0:
    // oracle [1, 1], reference [1 + 2⁻⁴¹, 2]: tuple (0,0) has den = 2⁻⁴¹ < 2e-12, degenerate, yet
    // positive, so the gap interval's lower bound is 2⁻⁴¹ > 0: collapse. Setting 1: no degeneracy.
    // Kept: 3 of every 4 resamples; a NaN carried into the IQM samples would sort last and, at
    // 25% > 2.5%, become the upper bound.
    const tiny = 2 ** -41;
    const s0 = { oracle: [1, 1], reference: [1 + tiny, 2], mine: [1.5, 1.25] };
    const s1 = { oracle: [0, 0], reference: [1, 2], mine: [0.5, 1] };
    const resamples = 4 * 25;
    const s = score(
      [s0, s1].flatMap((g, setting) => [
        ...flatSeeds('real-only', g.oracle, setting),
        ...flatSeeds('replace', g.reference, setting),
        ...flatSeeds('m', g.mine, setting),
      ]),
      [TASK],
      { resamples, rng: new EnumeratingRng() },
    );
    expect(s.settingSummaries.map((x) => x.collapse)).toEqual([true, true]);
    expect(s.settingSummaries[0].gapCi!.low).toBe(tiny);
    expect(row(s, 'm', 0).normalizedNote).toMatch(/^25 of 100 resamples had a degenerate denominator/);
    const kept: number[] = [];
    for (let b = 0; b < resamples; b++) {
      const t = tuple(b, 2);
      const values = [s0, s1].map((g) => {
        const o = resampleMean(g.oracle, t);
        const r = resampleMean(g.reference, t);
        return degenerate(r - o, r, o) ? NaN : (resampleMean(g.mine, t) - o) / (r - o) + 0;
      });
      if (values.every(Number.isFinite)) kept.push((values[0] + values[1]) / 2);
    }
    expect(kept.length).toBe(75);
    const m = s.entries.find((e) => e.entry === 'm')!;
    const expected = percentile(kept, 0.95);
    expect(m.ci!.low).toBeCloseTo(expected.low, 12);
    expect(m.ci!.high).toBeCloseTo(expected.high, 12);
  });

  it('no steps: final and finalCi are null; one step: area 0, finalCi the bootstrap of that step', () => {
    const none = row(
      score([record({ method: 'm', seed: 0, steps: [], values: [] }), record({ method: 'm', seed: 1, steps: [], values: [] })], [TASK], {
        resamples: 20,
      }),
      'm',
    );
    expect([none.final, none.finalCi, none.area]).toEqual([null, null, 0]);
    // A single common step (index 0): the bootstrap still covers the final value.
    const one = row(
      score(
        [record({ method: 'm', seed: 0, steps: [3], values: [2] }), record({ method: 'm', seed: 1, steps: [3], values: [2] })],
        [TASK],
        { resamples: 20 },
      ),
      'm',
    );
    expect([one.steps, one.area, one.final, one.finalCi]).toEqual([[3], 0, 2, { low: 2, high: 2 }]);
  });

  it('the oracle scores +0 (not −0) in point and interval when the reference degrades less (den < 0)', () => {
    const s = score([...flatSeeds('real-only', [2, 2]), ...flatSeeds('replace', [1, 1])], [TASK], { resamples: 10 });
    const oracle = row(s, 'real-only');
    expect(Object.is(oracle.normalized, 0)).toBe(true);
    expect(Object.is(oracle.normalizedCi!.low, 0) && Object.is(oracle.normalizedCi!.high, 0)).toBe(true);
  });

  it('den = 0 with both areas 0 (a zero threshold) and an infinite area are degenerate too', () => {
    const zero = score([...flatSeeds('real-only', [0, 0]), ...flatSeeds('replace', [0, 0]), ...flatSeeds('m', [1, 1])], [TASK], {
      resamples: 10,
    });
    expect(row(zero, 'm').normalized).toBeNull();
    expect(row(zero, 'm').normalizedNote).toMatch(/coincide/);
    // Values of 1e308 overflow the trapezoid to an infinite area: den = ∞ is no denominator.
    const infinite = score(
      [...flatSeeds('real-only', [0, 0]), ...flatSeeds('replace', [1e308, 1e308]), ...flatSeeds('m', [1, 1])],
      [TASK],
      { resamples: 10 },
    );
    expect(row(infinite, 'replace').area).toBe(Infinity);
    expect(row(infinite, 'm').normalized).toBeNull();
  });

  it('the no-collapse note gives the seeds (singular at one) and the confidence in percent', () => {
    // Oracle one seed at 0, reference [0, 1, 1]: the 2.5% quantile of the gap is 0 (see above).
    const s = score([...flatSeeds('real-only', [0]), ...flatSeeds('replace', [0, 1, 1])], [TASK], { resamples: 20_000 });
    expect(s.settingSummaries[0].note).toBe(
      'no collapse to mitigate: replace does not degrade significantly more than real-only at 1 seed (gap 0.667, 95% interval [0.00, 1.00]); left out of every aggregate',
    );
  });

  it('a setting without its oracle has no gap, no gap interval and no collapse, and says why', () => {
    const s = score([...flatSeeds('replace', [1, 2]), ...flatSeeds('m', [1, 1])], [TASK], { resamples: 10 });
    expect(s.settingSummaries[0]).toMatchObject({
      gap: null,
      gapCi: null,
      collapse: false,
      note: "oracle 'real-only' has no records on this setting",
    });
  });
});

describe('assignTiers: intervals decide the tiers', () => {
  it('a null interval counts as its point: inside the head’s interval it joins the tier', () => {
    expect(
      assignTiers([
        { value: 0.2, ci: { low: 0, high: 1 } },
        { value: 0.5, ci: null },
      ]),
    ).toEqual([1, 1]);
  });

  it('overlap needs both ends: an interval wholly below the head’s starts a new tier', () => {
    expect(
      assignTiers([
        { value: 0.6, ci: { low: 0.5, high: 1 } },
        { value: 0.65, ci: { low: 0.2, high: 0.45 } },
      ]),
    ).toEqual([1, 2]);
  });
});
