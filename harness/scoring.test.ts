import { describe, expect, it } from 'vitest';
import { rngFromKey } from './rng.ts';
import { SCHEMA_VERSION, type CellStatus, type ResultRecord } from './schema.ts';
import { assignTiers, iqm, percentileInterval, score, trapezoid, type Scores, type SettingScore, type TaskInfo } from './scoring.ts';

// ---------------------------------------------------------------------------------------
// Fixtures

const STEPS = [0, 1, 2, 3, 4];

interface FakeRecord {
  task?: string;
  taskParams?: Record<string, number | string | boolean>;
  method: string;
  methodParams?: Record<string, number | string | boolean>;
  seed?: number;
  status?: CellStatus;
  steps?: number[];
  /** Primary metric means, aligned with steps. */
  values?: number[];
  metric?: string;
  realSamplesPerChain?: number;
  wallMs?: number;
}

let nextId = 0;
function makeRecord(f: FakeRecord): ResultRecord {
  const steps = f.steps ?? STEPS;
  const values = f.values ?? steps.map(() => 0);
  return {
    schemaVersion: SCHEMA_VERSION,
    id: `r${nextId++}`,
    key: {
      task: f.task ?? 't',
      taskParams: f.taskParams ?? { n: 10 },
      method: f.method,
      methodParams: f.methodParams ?? {},
      seed: f.seed ?? 0,
    },
    status: f.status ?? 'ok',
    stepAxis: 'generation',
    steps,
    metrics: { [f.metric ?? 'err']: { mean: values, se: values.map(() => 0), n: values.map(() => 1) } },
    budget: { realSamplesPerChain: f.realSamplesPerChain ?? 0 },
    timing: { wallMs: f.wallMs ?? 10, startedAt: '2025-01-01T00:00:00.000Z' },
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

function taskInfo(id: string, direction: 'lower' | 'higher' = 'lower', collapseThreshold?: number, name = 'err'): TaskInfo {
  const primary: TaskInfo['primary'] = { name, direction };
  if (collapseThreshold !== undefined) primary.collapseThreshold = collapseThreshold;
  return { id, stepAxis: 'generation', primary };
}

/** Seeds 0…k−1 of one method on one setting, values[i] for seed i. */
function seeds(method: string, values: number[][], extra: Partial<FakeRecord> = {}): ResultRecord[] {
  return values.map((v, seed) => makeRecord({ method, seed, values: v, ...extra }));
}

function row(scores: Scores, entry: string, task = 't'): SettingScore {
  const found = scores.settings.find((s) => s.entry === entry && s.task === task);
  if (!found) throw new Error(`no row for ${entry} on ${task}`);
  return found;
}

const OPTS = { resamples: 300 };

/** Oracle flat near 0, replace rising fast, with seed noise. */
const ORACLE = [
  [0, 0.1, 0, 0.1, 0],
  [0, 0, 0.2, 0.1, 0.1],
  [0, 0.1, 0.1, 0, 0.2],
];
const REPLACE = [
  [0, 1, 2, 3, 4],
  [0, 1.5, 2.5, 3, 5],
  [0, 0.5, 2, 3.5, 4.5],
];

// ---------------------------------------------------------------------------------------
// Helpers

describe('trapezoid', () => {
  it('integrates over uneven steps', () => {
    expect(trapezoid([0, 1, 3], [0, 2, 2])).toBe(1 + 4);
  });
  it('is 0 with fewer than two points and rejects mismatched lengths', () => {
    expect(trapezoid([5], [3])).toBe(0);
    expect(trapezoid([], [])).toBe(0);
    expect(() => trapezoid([0, 1], [1])).toThrow(RangeError);
  });
});

describe('iqm', () => {
  it('n = 1 is the value itself', () => {
    expect(iqm([3.5])).toBe(3.5);
  });
  it('n = 4 averages the middle two', () => {
    expect(iqm([100, 1, 3, 2])).toBe(2.5);
  });
  it('n = 8 averages the middle four', () => {
    expect(iqm([7, -50, 3, 4, 100, 5, 6, 2])).toBe((3 + 4 + 5 + 6) / 4);
  });
  it('trims floor(0.25·n) from each end, as scipy trim_mean(x, 0.25)', () => {
    expect(iqm([0, 0, 9])).toBe(3); // n = 3: nothing trimmed
    expect(iqm([1, 2, 3, 4, 100])).toBe(3); // n = 5: one from each end
    expect(iqm([1, 2, 3, 4, 5, 6, 100])).toBe(4); // n = 7: floor(1.75) = 1
    expect(iqm([])).toBeNull();
  });
});

describe('percentileInterval', () => {
  it('takes the (1−c)/2 and (1+c)/2 quantiles', () => {
    const samples = Array.from({ length: 101 }, (_, i) => 100 - i);
    const { low, high } = percentileInterval(samples, 0.9);
    expect(low).toBeCloseTo(5, 12);
    expect(high).toBeCloseTo(95, 12);
  });
  it('interpolates linearly between order statistics', () => {
    expect(percentileInterval([10, 0], 0.5)).toEqual({ low: 2.5, high: 7.5 });
  });
  it('degenerates to the point for constant samples and rejects bad input', () => {
    expect(percentileInterval([0.3, 0.3, 0.3], 0.95)).toEqual({ low: 0.3, high: 0.3 });
    expect(() => percentileInterval([], 0.95)).toThrow(RangeError);
    expect(() => percentileInterval([1], 1)).toThrow(RangeError);
  });
});

describe('assignTiers', () => {
  it('joins an entry to the tier whose first entry its interval overlaps', () => {
    const tiers = assignTiers([
      { value: 0.5, ci: { low: 0, high: 1 } },
      { value: 1, ci: { low: 0.5, high: 1.5 } }, // overlaps the head [0, 1]
      { value: 1.6, ci: { low: 1.2, high: 2 } }, // overlaps the previous one, not the head: new tier
      { value: 2.4, ci: { low: 1.9, high: 3 } }, // overlaps the new head [1.2, 2]
    ]);
    expect(tiers).toEqual([1, 1, 2, 2]);
  });
  it('gives non-overlapping intervals separate tiers and null values no tier', () => {
    const tiers = assignTiers([
      { value: 0, ci: { low: 0, high: 0 } },
      { value: 1, ci: { low: 0.9, high: 1.1 } },
      { value: 2, ci: null },
      { value: null, ci: null },
    ]);
    expect(tiers).toEqual([1, 2, 3, null]);
  });
});

// ---------------------------------------------------------------------------------------
// score

describe('score: normalized collapse area', () => {
  it('scores replace exactly 1 and real-only exactly 0, point and interval', () => {
    const records = [...seeds('real-only', ORACLE), ...seeds('replace', REPLACE)];
    const s = score(records, [taskInfo('t')], OPTS);
    const ref = row(s, 'replace');
    const oracle = row(s, 'real-only');
    expect(ref.normalized).toBe(1);
    expect(ref.normalizedCi).toEqual({ low: 1, high: 1 });
    expect(oracle.normalized).toBe(0);
    expect(oracle.normalizedCi).toEqual({ low: 0, high: 0 });
    expect([oracle.role, ref.role]).toEqual(['oracle', 'reference']);
    expect([oracle.rank, ref.rank]).toEqual([null, null]);
    // Across settings they are reference rows: never aggregated, ranked or tiered.
    const entries = Object.fromEntries(s.entries.map((e) => [e.entry, e]));
    for (const name of ['replace', 'real-only']) {
      expect(entries[name]).toMatchObject({ role: 'reference', iqm: null, ci: null, rank: null, tier: null, basis: [] });
      expect(entries[name].unranked).toMatch(/reference/);
    }
  });

  it('scores a method halfway between oracle and replace 0.5', () => {
    const half = ORACLE.map((o, i) => o.map((v, j) => (v + REPLACE[i][j]) / 2));
    const records = [...seeds('real-only', ORACLE), ...seeds('replace', REPLACE), ...seeds('half', half)];
    const s = score(records, [taskInfo('t')], OPTS);
    const r = row(s, 'half');
    expect(r.normalized).toBeCloseTo(0.5, 12);
    expect(r.normalizedCi!.low).toBeLessThan(0.5);
    expect(r.normalizedCi!.high).toBeGreaterThan(0.5);
    expect(r.area).toBeCloseTo((row(s, 'real-only').area! + row(s, 'replace').area!) / 2, 12);
  });

  it('handles a higher-is-better metric: degradation is what counts', () => {
    // Accuracy: the oracle stays at 1, replace decays, `half` decays half as fast, `better` improves.
    const acc = (rate: number) => STEPS.map((t) => 1 - rate * t);
    const records = [
      makeRecord({ method: 'real-only', values: acc(0), metric: 'acc' }),
      makeRecord({ method: 'replace', values: acc(0.2), metric: 'acc' }),
      makeRecord({ method: 'half', values: acc(0.1), metric: 'acc' }),
      makeRecord({ method: 'better', values: acc(-0.1), metric: 'acc' }),
    ];
    const s = score(records, [taskInfo('t', 'higher', undefined, 'acc')], OPTS);
    expect(row(s, 'replace').normalized).toBe(1);
    expect(row(s, 'real-only').normalized).toBe(0);
    expect(row(s, 'half').normalized).toBeCloseTo(0.5, 12);
    expect(row(s, 'better').normalized).toBeCloseTo(-0.5, 12);
    // Mirroring the data and the direction leaves every normalized score unchanged.
    const mirrored = records.map((r) => ({ ...r, metrics: { acc: { ...r.metrics.acc, mean: r.metrics.acc.mean.map((v) => -v) } } }));
    const m = score(mirrored, [taskInfo('t', 'lower', undefined, 'acc')], OPTS);
    expect(m.settings.map((x) => x.normalized)).toEqual(s.settings.map((x) => x.normalized));
  });

  it('gives null with a reason when the oracle is missing', () => {
    const records = [...seeds('replace', REPLACE), ...seeds('m', ORACLE)];
    const s = score(records, [taskInfo('t')], OPTS);
    const r = row(s, 'm');
    expect(r.normalized).toBeNull();
    expect(r.normalizedCi).toBeNull();
    expect(r.normalizedNote).toMatch(/oracle 'real-only' has no records/);
    expect(r.area).not.toBeNull();
    const e = s.entries.find((x) => x.entry === 'm')!;
    expect(e.iqm).toBeNull();
    expect(e.tier).toBeNull();
    expect(e.missing).toEqual([r.setting]);
  });

  it('gives null with a reason when reference and oracle areas coincide', () => {
    const records = [...seeds('real-only', ORACLE), ...seeds('replace', ORACLE), ...seeds('m', REPLACE)];
    const r = row(score(records, [taskInfo('t')], OPTS), 'm');
    expect(r.normalized).toBeNull();
    expect(r.normalizedNote).toMatch(/coincide/);
  });

  it('makes every interval a point with a single seed', () => {
    const records = [
      makeRecord({ method: 'real-only', values: ORACLE[0] }),
      makeRecord({ method: 'replace', values: REPLACE[0] }),
      makeRecord({ method: 'm', values: REPLACE[1] }),
    ];
    const r = row(score(records, [taskInfo('t')], OPTS), 'm');
    expect(r.seeds).toBe(1);
    expect(r.normalizedCi).toEqual({ low: r.normalized, high: r.normalized });
    expect(r.finalCi).toEqual({ low: r.final, high: r.final });
  });
});

describe('score: per-setting columns', () => {
  it('computes curve, area, final and its interval over seeds', () => {
    const s = score(seeds('replace', REPLACE), [taskInfo('t')], OPTS);
    const r = row(s, 'replace');
    expect(r.steps).toEqual(STEPS);
    expect(r.curve.map((v) => +v.toFixed(12))).toEqual([0, 1, 2.166666666667, 3.166666666667, 4.5]);
    expect(r.area).toBeCloseTo(REPLACE.map((v) => trapezoid(STEPS, v)).reduce((a, b) => a + b) / 3, 12);
    expect(r.final).toBe(4.5);
    expect(r.finalCi!.low).toBeGreaterThanOrEqual(4);
    expect(r.finalCi!.high).toBeLessThanOrEqual(5);
  });

  it('finds the first step past the threshold (lower is better)', () => {
    const r = row(score(seeds('replace', REPLACE), [taskInfo('t', 'lower', 2.5)], OPTS), 'replace');
    expect(r.stepsToCollapse).toBe(3);
    expect(r.censored).toBe(false);
  });

  it('finds the first step below the threshold (higher is better)', () => {
    const records = [makeRecord({ method: 'replace', steps: [0, 2, 4, 6], values: [1, 0.9, 0.4, 0.1] })];
    const r = row(score(records, [taskInfo('t', 'higher', 0.5)], OPTS), 'replace');
    expect(r.stepsToCollapse).toBe(4);
    expect(r.censored).toBe(false);
  });

  it('censors steps-to-collapse when the threshold is never passed, and not without a threshold', () => {
    const censored = row(score(seeds('replace', REPLACE), [taskInfo('t', 'lower', 10)], OPTS), 'replace');
    expect(censored.stepsToCollapse).toBeNull();
    expect(censored.censored).toBe(true);
    const none = row(score(seeds('replace', REPLACE), [taskInfo('t')], OPTS), 'replace');
    expect(none.stepsToCollapse).toBeNull();
    expect(none.censored).toBe(false);
  });

  it('excludes failed, timed-out and skipped records from curves but counts them', () => {
    const good = [...seeds('real-only', ORACLE), ...seeds('replace', REPLACE)];
    const bad = [
      makeRecord({ method: 'replace', seed: 7, status: 'failed', values: [99, 99, 99, 99, 99], wallMs: 5000 }),
      makeRecord({ method: 'replace', seed: 8, status: 'failed', values: [99, 99, 99, 99, 99] }),
      makeRecord({ method: 'replace', seed: 9, status: 'timeout', values: [-9, -9, -9, -9, -9] }),
      makeRecord({ method: 'real-only', seed: 9, status: 'skipped', steps: [], values: [] }),
    ];
    const clean = score(good, [taskInfo('t')], OPTS);
    const dirty = score([...good, ...bad], [taskInfo('t')], OPTS);
    const r = row(dirty, 'replace');
    expect(r.curve).toEqual(row(clean, 'replace').curve);
    expect(r.normalized).toBe(1);
    expect(r.seeds).toBe(3);
    expect([r.failed, r.timeout, r.skipped]).toEqual([2, 1, 0]);
    expect(r.wallMs).toBe(30);
    expect(row(dirty, 'real-only').skipped).toBe(1);
    expect(row(dirty, 'real-only').curve).toEqual(row(clean, 'real-only').curve);
  });

  it('reports the mean real-data budget and the summed wall time of ok cells', () => {
    const records = [
      makeRecord({ method: 'm', seed: 0, realSamplesPerChain: 10, wallMs: 100 }),
      makeRecord({ method: 'm', seed: 1, realSamplesPerChain: 30, wallMs: 50 }),
      makeRecord({ method: 'm', seed: 2, realSamplesPerChain: 1000, wallMs: 1000, status: 'failed' }),
    ];
    const s = score(records, [taskInfo('t')], OPTS);
    expect(row(s, 'm').realSamplesPerChain).toBe(20);
    expect(row(s, 'm').wallMs).toBe(150);
    expect(s.entries[0].realSamplesPerChain).toBe(20);
    expect(s.entries[0].wallMs).toBe(150);
  });

  it('labels entries by method id, or with their params when a method has several', () => {
    const records = [
      makeRecord({ method: 'replace', methodParams: {} }),
      makeRecord({ method: 'mix', methodParams: { ratio: 0.5, keep: true } }),
      makeRecord({ method: 'mix', methodParams: { ratio: 0.25, keep: true } }),
    ];
    const labels = score(records, [taskInfo('t')], OPTS).settings.map((r) => r.entry);
    expect(labels).toEqual(['mix(keep=true, ratio=0.25)', 'mix(keep=true, ratio=0.5)', 'replace']);
  });
});

describe('score: across settings', () => {
  /** One seed per setting; `m` sits at a chosen fraction f of the way from oracle to replace. */
  function fractionSetting(task: string, f: number): ResultRecord[] {
    const ref = [0, 1, 2, 3, 4];
    return [
      makeRecord({ task, method: 'real-only', values: [0, 0, 0, 0, 0] }),
      makeRecord({ task, method: 'replace', values: ref }),
      makeRecord({ task, method: 'm', values: ref.map((v) => f * v) }),
    ];
  }

  it('takes the IQM of the normalized scores over settings', () => {
    const fractions = [2, 0, 0.5, 0.25];
    const records = fractions.flatMap((f, i) => fractionSetting(`t${i}`, f));
    const tasks = fractions.map((_, i) => taskInfo(`t${i}`));
    const e = score(records, tasks, OPTS).entries.find((x) => x.entry === 'm')!;
    expect(e.iqm).toBeCloseTo((0.25 + 0.5) / 2, 12);
    expect(e.settings).toBe(4);
    // One seed per setting: the stratified interval is the point.
    expect(e.ci!.low).toBeCloseTo(e.iqm!, 12);
    expect(e.ci!.high).toBeCloseTo(e.iqm!, 12);
  });

  it('ranks by IQM and tiers separated intervals apart, overlapping ones together', () => {
    const records = [...fractionSetting('t', 0.5), makeRecord({ method: 'same-as-half', values: [0, 0.5, 1, 1.5, 2] })];
    const s = score(records, [taskInfo('t')], OPTS);
    expect(s.entries.map((e) => [e.entry, e.rank, e.tier])).toEqual([
      ['m', 1, 1],
      ['same-as-half', 2, 1], // tie broken by label; its point interval overlaps m's
      ['real-only', null, null], // references last, unranked
      ['replace', null, null],
    ]);
    // Per setting, too: entries ranked, scale entries (oracle and reference) not.
    expect(s.settings.map((r) => [r.entry, r.role, r.rank])).toEqual([
      ['m', 'entry', 1],
      ['real-only', 'oracle', null],
      ['replace', 'reference', null],
      ['same-as-half', 'entry', 2],
    ]);
  });

  it('reports coverage and the settings an entry is missing, without averaging over them', () => {
    const records = [
      ...fractionSetting('t1', 0.5),
      makeRecord({ task: 't2', method: 'real-only', values: [0, 0, 0, 0, 0] }),
      makeRecord({ task: 't2', method: 'replace', values: [0, 1, 2, 3, 4] }),
      makeRecord({ task: 't2', method: 'm', status: 'skipped', steps: [], values: [] }),
    ];
    const tasks = [taskInfo('t1'), taskInfo('t2'), taskInfo('t3')];
    const s = score(records, tasks, OPTS);
    const m = s.entries.find((e) => e.entry === 'm')!;
    const t2 = s.settings.find((r) => r.task === 't2')!.setting;
    // m was skipped on t2 (it does not apply there): covered on t1 only.
    expect(m.coverage).toEqual({ applicable: 1, total: 3 });
    expect(m.missing).toEqual([t2]);
    expect(m.settings).toBe(1);
    expect(m.iqm).toBeCloseTo(0.5, 12);
    const ref = s.entries.find((e) => e.entry === 'replace')!;
    expect(ref.coverage).toEqual({ applicable: 2, total: 3 });
    // A reference has no basis: every setting is outside its (empty) aggregate.
    expect(ref.missing).toEqual([...new Set(s.settings.map((r) => r.setting))].sort());
  });
});

describe('score: determinism', () => {
  const half = ORACLE.map((o, i) => o.map((v, j) => (v + REPLACE[i][j]) / 2 + 0.05 * j * (i - 1)));
  const records = [...seeds('real-only', ORACLE), ...seeds('replace', REPLACE), ...seeds('half', half)];

  it('gives deep-equal output for the same input, whatever the record order', () => {
    const a = score(records, [taskInfo('t')], OPTS);
    const b = score(records, [taskInfo('t')], OPTS);
    const c = score([...records].reverse(), [taskInfo('t')], OPTS);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it('uses rngFromKey("scoring", "bootstrap") by default; another stream moves only the intervals', () => {
    const byDefault = score(records, [taskInfo('t')], OPTS);
    expect(score(records, [taskInfo('t')], { ...OPTS, rng: rngFromKey('scoring', 'bootstrap') })).toEqual(byDefault);
    const other = score(records, [taskInfo('t')], { ...OPTS, rng: rngFromKey('other', 'bootstrap') });
    expect(row(other, 'half').normalized).toBe(row(byDefault, 'half').normalized);
    expect(row(other, 'half').normalizedCi).not.toEqual(row(byDefault, 'half').normalizedCi);
  });

  it("keeps an entry's intervals when another entry is added", () => {
    const before = score(records, [taskInfo('t')], OPTS);
    const after = score([...records, ...seeds('extra', REPLACE)], [taskInfo('t')], OPTS);
    expect(row(after, 'half')).toEqual(row(before, 'half'));
  });
});

describe('score: input checks', () => {
  it('rejects records of unknown tasks and invalid options', () => {
    expect(() => score([makeRecord({ method: 'm', task: 'nope' })], [taskInfo('t')])).toThrow(/not in the task list/);
    expect(() => score([], [], { resamples: 0 })).toThrow(RangeError);
    expect(() => score([], [], { confidence: 1.5 })).toThrow(RangeError);
  });
});

describe('score: references, collapse, tracks and bases', () => {
  // Areas (trapezoid over steps 0…4) of a constant curve c: 4c; of [0,1,2,3,4]: 8.
  const flat = (c: number) => STEPS.map(() => c);

  it('flags a setting whose reference is not separated from its oracle and leaves it out of aggregates', () => {
    // Oracle seeds at areas 4·{1, 3, 5}, reference at 4·{2, 3, 5}: gap 4/3, interval across 0.
    const records = [
      ...seeds('real-only', [flat(1), flat(3), flat(5)]),
      ...seeds('replace', [flat(2), flat(3), flat(5)]),
      ...seeds('m', [flat(2), flat(2), flat(2)]),
    ];
    const s = score(records, [taskInfo('t')], OPTS);
    const [summary] = s.settingSummaries;
    expect(summary).toMatchObject({ oracle: 'real-only', reference: 'replace', seeds: { oracle: 3, reference: 3 }, collapse: false });
    expect(summary.gap).toBeCloseTo(4 / 3, 12);
    expect(summary.gapCi!.low).toBeLessThan(0);
    expect(summary.note).toMatch(/^no collapse to mitigate: replace does not degrade significantly more than real-only at 3 seeds/);
    const m = s.entries.find((e) => e.entry === 'm')!;
    // The per-setting number is still reported, but m is not ranked on it.
    expect(row(s, 'm').normalized).not.toBeNull();
    expect(row(s, 'm').rank).toBeNull();
    expect(m).toMatchObject({ basis: [], iqm: null, rank: null, settings: 0 });
  });

  it('puts an entry that draws extra real data on its own track, flagged', () => {
    const ref = [0, 1, 2, 3, 4];
    const records = [
      makeRecord({ method: 'real-only', values: flat(0), realSamplesPerChain: 40 }),
      makeRecord({ method: 'replace', values: ref }),
      makeRecord({ method: 'fresh', values: ref.map((v) => 0.1 * v), realSamplesPerChain: 10 }),
      makeRecord({ method: 'plain', values: ref.map((v) => 0.5 * v) }),
    ];
    const s = score(records, [taskInfo('t')], OPTS);
    expect(row(s, 'fresh').extraRealData).toBe(true);
    expect(row(s, 'plain').extraRealData).toBe(false);
    // Both rank first: on different tracks; the plain track is listed first.
    expect(s.entries.filter((e) => e.role === 'entry').map((e) => [e.entry, e.rank, e.extraRealData])).toEqual([
      ['plain', 1, false],
      ['fresh', 1, true],
    ]);
  });

  it('ranks entries only against entries aggregated over the same tasks', () => {
    const setting = (task: string, fractions: Record<string, number>) => [
      makeRecord({ task, method: 'real-only', values: flat(0) }),
      makeRecord({ task, method: 'replace', values: STEPS }),
      ...Object.entries(fractions).map(([method, f]) => makeRecord({ task, method, values: STEPS.map((v) => f * v) })),
    ];
    const records = [...setting('a', { broad: 0.5, narrow: 0.1 }), ...setting('b', { broad: 0.3 })];
    const s = score(records, [taskInfo('a'), taskInfo('b')], OPTS);
    const entries = s.entries.filter((e) => e.role === 'entry').map((e) => [e.entry, e.basis, e.rank]);
    // narrow (0.1 on one task) would outrank broad (IQM 0.4 over two) on one list: it does not.
    expect(entries).toEqual([
      ['broad', ['a', 'b'], 1],
      ['narrow', ['a'], 1],
    ]);
  });

  it('leaves an entry unranked when its interval is wider than one normalized unit', () => {
    const records = [
      ...seeds('real-only', [flat(0), flat(0)]),
      ...seeds('replace', [flat(1), flat(1)]),
      ...seeds('wild', [flat(-1), flat(2)]), // normalized per seed −1 and 2: interval [−1, 2]
      ...seeds('calm', [flat(0.5), flat(0.5)]),
    ];
    const s = score(records, [taskInfo('t')], OPTS);
    const wild = s.entries.find((e) => e.entry === 'wild')!;
    expect(wild.ci).toEqual({ low: -1, high: 2 });
    expect(wild.rank).toBeNull();
    expect(wild.unranked).toBe('interval wider than 1 normalized unit (3.00): too uncertain to rank');
    expect(s.entries.find((e) => e.entry === 'calm')!.rank).toBe(1);
  });

  it('gives the probability of improvement exactly (Mann–Whitney over seed pairs, ties one half)', () => {
    const records = [
      ...seeds('real-only', [flat(0), flat(0)]),
      ...seeds('replace', [flat(1), flat(3)]), // areas 4, 12
      ...seeds('m', [flat(0.5), flat(3)]), // areas 2, 12: pairs (2<4, 2<12, 12>4, 12=12) → (1 + 1 + 0 + 0.5)/4
      ...seeds('accumulate', [flat(2), flat(2)]), // areas 8, 8: m beats it in 2 of 4 pairs
    ];
    const s = score(records, [taskInfo('t')], { ...OPTS, baselines: ['accumulate', 'replace', 'real-only'] });
    const m = row(s, 'm');
    expect(m.improvement.reference).toMatchObject({ over: 'replace', value: 0.625, settings: 1 });
    expect(m.improvement.bestBaseline).toMatchObject({ over: 'accumulate', value: 0.5 });
    const ci = m.improvement.reference!.ci!;
    expect(ci.low).toBeGreaterThanOrEqual(0);
    expect(ci.high).toBeLessThanOrEqual(1);
    expect(ci.low).toBeLessThan(ci.high);
    // The aggregate over one setting is the setting's value; the baseline's own comparison excludes itself.
    expect(s.entries.find((e) => e.entry === 'm')!.improvement.reference!.value).toBe(0.625);
    expect(row(s, 'accumulate').improvement.bestBaseline).toBeNull();
  });

  it('scores a trade-off task at matched trade-off value, interpolating the crossing', () => {
    const tradeoffTask: TaskInfo = {
      ...taskInfo('align', 'higher', undefined, 'recall'),
      scoreScale: { oracle: 'pretrained', reference: 'grpo' },
      tradeoff: { metric: 'reward', direction: 'higher' },
    };
    const withReward = (method: string, recall: number[], reward: number[]): ResultRecord => {
      const r = makeRecord({ task: 'align', method, values: recall, metric: 'recall' });
      r.metrics.reward = { mean: reward, se: reward.map(() => 0), n: reward.map(() => 1) };
      return r;
    };
    const records = [
      withReward('pretrained', [0.9, 0.9, 0.9, 0.9, 0.9], [-3, -3, -3, -3, -3]),
      // Target = the lowest best reward over trained cells = −1 (slow's best).
      withReward('grpo', [0.9, 0.5, 0.3, 0.2, 0.1], [-3, -1.5, -0.5, 0, 0]), // reaches −1 at step 1.5: recall 0.4
      withReward('slow', [0.9, 0.8, 0.7, 0.6, 0.6], [-3, -2.5, -2, -1.5, -1]), // at step 4: recall 0.6
      withReward('flat', [0.9, 0.9, 0.9, 0.9, 0.9], [-3, -3, -3, -3, -3]),
    ];
    const s = score(records, [tradeoffTask], OPTS);
    expect(s.settingSummaries[0].tradeoff).toEqual({ metric: 'reward', target: -3 });
    // 'flat' never moves, so the common target falls to its best reward, −3: everyone matches at step 0.
    const records2 = records.filter((r) => r.key.method !== 'flat');
    const s2 = score(records2, [tradeoffTask], OPTS);
    expect(s2.settingSummaries[0].tradeoff).toEqual({ metric: 'reward', target: -1 });
    expect(row(s2, 'grpo', 'align').matched).toEqual({ primary: 0.4, step: 1.5 });
    expect(row(s2, 'slow', 'align').matched).toEqual({ primary: 0.6, step: 4 });
    // Oracle scored on its final recall 0.9; normalized = (0.9 − 0.6)/(0.9 − 0.4).
    expect(row(s2, 'pretrained', 'align').matched).toEqual({ primary: 0.9, step: null });
    expect(row(s2, 'slow', 'align').normalized).toBeCloseTo(0.6, 12);
    expect(row(s2, 'pretrained', 'align').role).toBe('oracle');
  });
});
