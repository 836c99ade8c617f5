/**
 * Scores: from result records to the leaderboard's numbers. Pure functions, no I/O.
 *
 * Vocabulary:
 * - a **setting** is (task id, canonical task params);
 * - an **entry** is (method id, canonical method params);
 * - a **cell** is one ok record of a setting × entry, i.e. one seed.
 *
 * Per setting × entry: the primary metric's seed-averaged curve, the seed-averaged trapezoidal
 * area under it, the normalized collapse area (oracle `real-only` = 0, reference `replace` = 1,
 * lower is better; a task may name its own anchors, TaskInfo.anchors), the final value, steps-to-collapse, budget and wall time, with percentile
 * bootstrap intervals over seeds. Across settings per entry: the interquartile mean (IQM) of the
 * normalized scores with a stratified bootstrap interval, a rank and significance tiers.
 *
 * All randomness comes from one seeded {@link Rng}, so the same records give the same scores.
 */
import { hashValue } from './hash.ts';
import { rngFromKey, type Rng } from './rng.ts';
import type { ResultRecord } from './schema.ts';

// ---------------------------------------------------------------------------------------
// Public types

/** What scoring needs to know about a task: its step axis and its primary metric. */
export interface TaskInfo {
  /** Task id, as in `key.task` of its records. */
  id: string;
  stepAxis: 'generation' | 'epoch';
  primary: {
    /** Metric name, a key of the records' `metrics`. */
    name: string;
    /** Which way is better. */
    direction: 'lower' | 'higher';
    /** Steps-to-collapse threshold (see {@link SettingScore.stepsToCollapse}); none: not computed. */
    collapseThreshold?: number;
  };
  /**
   * This task's own score anchors (e.g. dcca: oracle `early-stopping`, reference `dcca`); they
   * override {@link ScoreOptions.oracle} and {@link ScoreOptions.reference} on its settings.
   */
  anchors?: { oracle: string; reference: string };
  /** The primary metric for a setting's parameters, when it depends on them (else `primary`). */
  primaryFor?: (taskParams: Record<string, unknown>) => TaskInfo['primary'];
}

/** Options of {@link score}. */
export interface ScoreOptions {
  /**
   * Bootstrap resamples.
   * @default 2000
   */
  resamples?: number;
  /**
   * Two-sided coverage of the percentile intervals, in (0, 1).
   * @default 0.95
   */
  confidence?: number;
  /**
   * Root random stream of the bootstrap. Scoring forks one independent stream per
   * (setting, entry) from it (`rng.fork`, which consumes no draws), so adding or removing an
   * entry leaves every other entry's resamples unchanged.
   * @default rngFromKey('scoring', 'bootstrap')
   */
  rng?: Rng;
  /**
   * The entry that scores 0: matched against entry labels first, then against method ids
   * (which must then be unambiguous within the setting).
   * @default 'real-only'
   */
  oracle?: string;
  /**
   * The entry that scores 1; matched like `oracle`.
   * @default 'replace'
   */
  reference?: string;
}

/** A closed interval. */
export interface Interval {
  low: number;
  high: number;
}

/** Scores of one entry on one setting. One row per setting × entry with at least one record. */
export interface SettingScore {
  /** Setting key: `<task id>/<first 12 hex digits of hashValue(taskParams)>`. */
  setting: string;
  task: string;
  taskParams: Record<string, unknown>;
  /** Entry label (see {@link EntryScore.entry}). */
  entry: string;
  method: string;
  methodParams: Record<string, unknown>;
  /** Number of ok cells (seeds) that entered the scores; 1 means every interval is a point. */
  seeds: number;
  /** Records with status `failed` (excluded from every score). */
  failed: number;
  /** Records with status `timeout` (excluded from every score). */
  timeout: number;
  /** Records with status `skipped` (excluded from every score). */
  skipped: number;
  /** Steps of the curve: those common to every ok cell, in the first cell's order. */
  steps: number[];
  /** Per-step mean over seeds of the primary metric's `mean` series. */
  curve: number[];
  /** Seed-averaged trapezoidal area under the primary metric curve; null without ok cells. */
  area: number | null;
  /**
   * Normalized collapse area (A − A_oracle) / (A_reference − A_oracle) on the degradation
   * curve; 0 = oracle, 1 = reference, lower is better. Null (with `normalizedNote`) when it is
   * undefined here.
   */
  normalized: number | null;
  /** Percentile bootstrap interval of `normalized` over seeds. */
  normalizedCi: Interval | null;
  /** Why `normalized` is null, or what was left out of its interval. */
  normalizedNote?: string;
  /** Last-step value of `curve`. */
  final: number | null;
  /** Percentile bootstrap interval of `final` over seeds. */
  finalCi: Interval | null;
  /**
   * First step whose seed-averaged primary value is strictly past the task's collapse threshold
   * (above it when lower is better, below it when higher is better); null when never
   * (`censored`) or when the task defines no threshold (not censored).
   */
  stepsToCollapse: number | null;
  /** True when a threshold exists and the curve never passes it. */
  censored: boolean;
  /** Mean over ok cells of `budget.realSamplesPerChain`; 0 without ok cells. */
  realSamplesPerChain: number;
  /** Sum over ok cells of `timing.wallMs`. */
  wallMs: number;
}

/** Scores of one entry across settings. */
export interface EntryScore {
  /**
   * Entry label: the method id when all of that method's records in the run share one set of
   * method params, else `id(k=v, …)` listing every param, keys sorted.
   */
  entry: string;
  method: string;
  methodParams: Record<string, unknown>;
  /** Interquartile mean of the normalized scores over the settings the entry has one on. */
  iqm: number | null;
  /** Stratified percentile bootstrap interval of `iqm` (strata: settings). */
  ci: Interval | null;
  /** 1-based position after sorting by `iqm` ascending (nulls last, ties by label). */
  rank: number;
  /** Significance tier (see {@link assignTiers}); null when `iqm` is null. */
  tier: number | null;
  /** Distinct task ids with at least one non-skipped record of this entry (it applies there), of those in `tasks`. */
  coverage: { applicable: number; total: number };
  /** Setting keys present in the run on which this entry has no normalized score. */
  missing: string[];
  /** Number of settings with a normalized score (the IQM's n). */
  settings: number;
  /** Mean over the entry's ok cells of `budget.realSamplesPerChain`; 0 without ok cells. */
  realSamplesPerChain: number;
  /** Sum over the entry's ok cells of `timing.wallMs`. */
  wallMs: number;
}

/** Everything {@link score} computes; plain JSON. */
export interface Scores {
  /** Sorted by setting key, then entry label. */
  settings: SettingScore[];
  /** Sorted by rank. */
  entries: EntryScore[];
  resamples: number;
  confidence: number;
}

// ---------------------------------------------------------------------------------------
// Helpers

/**
 * Trapezoidal area under `values` over `steps` (same length). Fewer than two points: 0.
 * @throws RangeError when the lengths differ.
 */
export function trapezoid(steps: readonly number[], values: readonly number[]): number {
  if (steps.length !== values.length) {
    throw new RangeError(`trapezoid: ${steps.length} steps but ${values.length} values`);
  }
  let area = 0;
  for (let i = 1; i < steps.length; i++) {
    area += ((steps[i] - steps[i - 1]) * (values[i] + values[i - 1])) / 2;
  }
  return area;
}

/**
 * Interquartile mean: sort, drop floor(0.25·n) values from each end, average the rest — the
 * same as `scipy.stats.trim_mean(x, 0.25)`. So n ≤ 3 keeps everything, n = 4 keeps the middle
 * two, n = 8 the middle four. Null for an empty input.
 */
export function iqm(values: readonly number[]): number | null {
  const n = values.length;
  if (n === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const cut = Math.floor(0.25 * n);
  let sum = 0;
  for (let i = cut; i < n - cut; i++) sum += sorted[i];
  return sum / (n - 2 * cut);
}

/**
 * Percentile interval: the (1−c)/2 and (1+c)/2 quantiles of `samples`, linearly interpolated
 * between order statistics (numpy's default, Hyndman–Fan type 7).
 * @throws RangeError on an empty input or a confidence outside (0, 1).
 */
export function percentileInterval(samples: readonly number[], confidence: number): Interval {
  if (samples.length === 0) throw new RangeError('percentileInterval: no samples');
  checkConfidence(confidence);
  const sorted = Float64Array.from(samples).sort();
  const alpha = (1 - confidence) / 2;
  return { low: quantile(sorted, alpha), high: quantile(sorted, 1 - alpha) };
}

function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const frac = h - lo;
  return frac === 0 ? sorted[lo] : sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

/** Input of {@link assignTiers}: a score and its interval (a null interval counts as the point). */
export interface TierInput {
  value: number | null;
  ci: Interval | null;
}

/**
 * Significance tiers over entries already sorted best first (ascending value, nulls last).
 *
 * Rule: tier 1 starts at the best entry. Walking down the list, an entry joins the current tier
 * when its interval overlaps (closed intervals: `a.low ≤ b.high && b.low ≤ a.high`) the interval
 * of the current tier's *first* entry; otherwise it starts the next tier and becomes that tier's
 * first entry. Comparing with the tier's first entry (not the previous entry) keeps tiers from
 * chaining indefinitely. Entries with a null value get tier null.
 *
 * @returns one tier per input, in input order.
 */
export function assignTiers(sorted: readonly TierInput[]): (number | null)[] {
  const tiers: (number | null)[] = [];
  let tier = 0;
  let head: Interval | null = null;
  for (const item of sorted) {
    if (item.value === null) {
      tiers.push(null);
      continue;
    }
    const interval = item.ci ?? { low: item.value, high: item.value };
    if (head === null || !(interval.low <= head.high && head.low <= interval.high)) {
      tier += 1;
      head = interval;
    }
    tiers.push(tier);
  }
  return tiers;
}

// ---------------------------------------------------------------------------------------
// Scoring

interface Cell {
  seed: number;
  id: string;
  /** Primary metric mean, aligned with the group's steps. */
  values: number[];
  area: number;
  realSamplesPerChain: number;
  wallMs: number;
}

interface Group {
  setting: string;
  task: TaskInfo;
  /** The task's primary metric for this setting's parameters. */
  primary: TaskInfo['primary'];
  taskParams: Record<string, unknown>;
  entryKey: string;
  label: string;
  method: string;
  methodParams: Record<string, unknown>;
  records: ResultRecord[];
  failed: number;
  timeout: number;
  skipped: number;
  cells: Cell[];
  steps: number[];
  curve: number[];
  area: number | null;
  final: number | null;
  /** Per-resample seed-averaged area (undefined without cells). */
  areaSamples?: Float64Array;
  finalSamples?: Float64Array;
  normalized: number | null;
  note?: string;
  /** Per-resample normalized score; NaN where undefined in that resample. */
  normalizedSamples?: Float64Array;
}

const DEFAULTS = { resamples: 2000, confidence: 0.95, oracle: 'real-only', reference: 'replace' };

/**
 * Scores result records. Only `ok` records enter the scores; the other statuses are counted
 * per setting × entry. See the module comment and the output types for the definitions.
 *
 * Bootstrap: for each setting × entry, `resamples` resamples of its seeds with replacement,
 * independent across entries. A resample of the whole run pairs, in each setting, every entry's
 * resample b with the oracle's and the reference's resample b (so the reference scores exactly 1
 * and the oracle exactly 0 in every resample); the stratified interval of the IQM recomputes every
 * setting's normalized score from resample b and takes the IQM. Resamples where a normalized
 * score is undefined (degenerate denominator) are left out of the interval, and the note says so.
 *
 * @throws Error for a record whose task is not in `tasks`, or for invalid options.
 */
export function score(records: readonly ResultRecord[], tasks: readonly TaskInfo[], options: ScoreOptions = {}): Scores {
  const resamples = options.resamples ?? DEFAULTS.resamples;
  const confidence = options.confidence ?? DEFAULTS.confidence;
  const oracleName = options.oracle ?? DEFAULTS.oracle;
  const referenceName = options.reference ?? DEFAULTS.reference;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`score: resamples must be a positive integer, got ${resamples}`);
  checkConfidence(confidence);
  const rng = options.rng ?? rngFromKey('scoring', 'bootstrap');

  const taskById = new Map<string, TaskInfo>();
  for (const task of tasks) taskById.set(task.id, task);

  // Entry labels: the method id alone when the method has one params set in the run.
  const paramsByMethod = new Map<string, Map<string, Record<string, unknown>>>();
  for (const record of records) {
    const { method, methodParams } = record.key;
    let byHash = paramsByMethod.get(method);
    if (!byHash) paramsByMethod.set(method, (byHash = new Map()));
    byHash.set(hashValue(methodParams), methodParams);
  }
  const labels = new Map<string, string>(); // entry key -> label
  const usedLabels = new Map<string, string>(); // label -> entry key
  for (const method of [...paramsByMethod.keys()].sort(compareStrings)) {
    const byHash = paramsByMethod.get(method)!;
    for (const [paramsHash, params] of [...byHash].sort((a, b) => compareStrings(a[0], b[0]))) {
      const key = entryKey(method, params);
      let label = byHash.size === 1 ? method : `${method}(${formatParams(params)})`;
      if (usedLabels.has(label)) label = `${label}#${paramsHash.slice(0, 8)}`;
      usedLabels.set(label, key);
      labels.set(key, label);
    }
  }

  // Group records by setting × entry.
  const groups = new Map<string, Map<string, Group>>(); // setting -> entry key -> group
  const tasksByEntry = new Map<string, Set<string>>();
  for (const record of records) {
    const task = taskById.get(record.key.task);
    if (!task) throw new Error(`score: record ${record.id} has task '${record.key.task}', which is not in the task list`);
    const setting = settingKey(record.key.task, record.key.taskParams);
    const key = entryKey(record.key.method, record.key.methodParams);
    let bySetting = groups.get(setting);
    if (!bySetting) groups.set(setting, (bySetting = new Map()));
    let group = bySetting.get(key);
    if (!group) {
      group = {
        setting,
        task,
        primary: task.primaryFor?.(record.key.taskParams) ?? task.primary,
        taskParams: record.key.taskParams,
        entryKey: key,
        label: labels.get(key)!,
        method: record.key.method,
        methodParams: record.key.methodParams,
        records: [],
        failed: 0,
        timeout: 0,
        skipped: 0,
        cells: [],
        steps: [],
        curve: [],
        area: null,
        final: null,
        normalized: null,
      };
      bySetting.set(key, group);
    }
    group.records.push(record);
    if (record.status === 'failed') group.failed++;
    else if (record.status === 'timeout') group.timeout++;
    else if (record.status === 'skipped') group.skipped++;
    let taskSet = tasksByEntry.get(key);
    if (!taskSet) tasksByEntry.set(key, (taskSet = new Set()));
    // A skipped record means the method does not apply there: it is not coverage.
    if (record.status !== 'skipped') taskSet.add(record.key.task);
  }

  const settingKeys = [...groups.keys()].sort(compareStrings);
  const orderedGroups = (setting: string): Group[] =>
    [...groups.get(setting)!.values()].sort((a, b) => compareStrings(a.label, b.label));

  // Per setting × entry: curve, area, final, bootstrap resamples of area and final.
  for (const setting of settingKeys) {
    for (const group of orderedGroups(setting)) {
      buildCells(group);
      if (group.cells.length === 0) continue;
      const n = group.cells.length;
      const last = group.steps.length - 1;
      const groupRng = rng.fork(`bootstrap ${setting} ${group.entryKey}`);
      const areaSamples = new Float64Array(resamples);
      const finalSamples = new Float64Array(resamples);
      for (let b = 0; b < resamples; b++) {
        let areaSum = 0;
        let finalSum = 0;
        for (let i = 0; i < n; i++) {
          const cell = group.cells[groupRng.int(n)];
          areaSum += cell.area;
          if (last >= 0) finalSum += cell.values[last];
        }
        areaSamples[b] = areaSum / n;
        finalSamples[b] = finalSum / n;
      }
      group.areaSamples = areaSamples;
      if (last >= 0) group.finalSamples = finalSamples;
    }
  }

  // Normalized scores per setting.
  for (const setting of settingKeys) {
    const ordered = orderedGroups(setting);
    const anchors = ordered[0]?.task.anchors;
    const oracle = findAnchor(ordered, anchors?.oracle ?? oracleName, 'oracle');
    const reference = findAnchor(ordered, anchors?.reference ?? referenceName, 'reference');
    for (const group of ordered) normalize(group, oracle, reference, resamples);
  }

  // Setting rows.
  const settingRows: SettingScore[] = [];
  for (const setting of settingKeys) {
    for (const group of orderedGroups(setting)) {
      const validSamples = group.normalizedSamples ? finite(group.normalizedSamples) : [];
      let note = group.note;
      if (group.normalized !== null && validSamples.length < resamples) {
        note = `${resamples - validSamples.length} of ${resamples} resamples had a degenerate denominator and were left out of the interval`;
      }
      const { stepsToCollapse, censored } = collapseStep(group);
      const row: SettingScore = {
        setting,
        task: group.task.id,
        taskParams: group.taskParams,
        entry: group.label,
        method: group.method,
        methodParams: group.methodParams,
        seeds: group.cells.length,
        failed: group.failed,
        timeout: group.timeout,
        skipped: group.skipped,
        steps: group.steps,
        curve: group.curve,
        area: group.area,
        normalized: group.normalized,
        normalizedCi: group.normalized !== null && validSamples.length > 0 ? percentileInterval(validSamples, confidence) : null,
        final: group.final,
        finalCi: group.finalSamples ? percentileInterval(Array.from(group.finalSamples), confidence) : null,
        stepsToCollapse,
        censored,
        realSamplesPerChain: group.cells.length ? mean(group.cells.map((c) => c.realSamplesPerChain)) : 0,
        wallMs: sum(group.cells.map((c) => c.wallMs)),
      };
      if (note !== undefined) row.normalizedNote = note;
      settingRows.push(row);
    }
  }

  // Entries across settings.
  const allTaskIds = new Set(tasks.map((t) => t.id));
  const entryKeys = [...labels.keys()].sort((a, b) => compareStrings(labels.get(a)!, labels.get(b)!));
  const unranked: Omit<EntryScore, 'rank' | 'tier'>[] = [];
  for (const key of entryKeys) {
    const scored: Group[] = [];
    const missing: string[] = [];
    const cells: Cell[] = [];
    let method = '';
    let methodParams: Record<string, unknown> = {};
    for (const setting of settingKeys) {
      const group = groups.get(setting)!.get(key);
      if (group) {
        method = group.method;
        methodParams = group.methodParams;
        cells.push(...group.cells);
      }
      if (group && group.normalized !== null) scored.push(group);
      else missing.push(setting);
    }
    const point = iqm(scored.map((g) => g.normalized!));
    let ci: Interval | null = null;
    if (point !== null) {
      const samples: number[] = [];
      const perSetting = new Array<number>(scored.length);
      for (let b = 0; b < resamples; b++) {
        let ok = true;
        for (let s = 0; s < scored.length; s++) {
          const value = scored[s].normalizedSamples![b];
          if (!Number.isFinite(value)) {
            ok = false;
            break;
          }
          perSetting[s] = value;
        }
        if (ok) samples.push(iqm(perSetting)!);
      }
      ci = samples.length ? percentileInterval(samples, confidence) : null;
    }
    const applicable = [...(tasksByEntry.get(key) ?? [])].filter((t) => allTaskIds.has(t)).length;
    unranked.push({
      entry: labels.get(key)!,
      method,
      methodParams,
      iqm: point,
      ci,
      coverage: { applicable, total: allTaskIds.size },
      missing,
      settings: scored.length,
      realSamplesPerChain: cells.length ? mean(cells.map((c) => c.realSamplesPerChain)) : 0,
      wallMs: sum(cells.map((c) => c.wallMs)),
    });
  }

  // Rank: IQM ascending, nulls last, ties by label (entryKeys is already label-sorted, and
  // Array.prototype.sort is stable).
  unranked.sort((a, b) => {
    if (a.iqm === null || b.iqm === null) return a.iqm === b.iqm ? 0 : a.iqm === null ? 1 : -1;
    return a.iqm - b.iqm;
  });
  const tiers = assignTiers(unranked.map((e) => ({ value: e.iqm, ci: e.ci })));
  const entries: EntryScore[] = unranked.map((e, i) => ({
    entry: e.entry,
    method: e.method,
    methodParams: e.methodParams,
    iqm: e.iqm,
    ci: e.ci,
    rank: i + 1,
    tier: tiers[i],
    coverage: e.coverage,
    missing: e.missing,
    settings: e.settings,
    realSamplesPerChain: e.realSamplesPerChain,
    wallMs: e.wallMs,
  }));

  return { settings: settingRows, entries, resamples, confidence };
}

// ---------------------------------------------------------------------------------------
// Internals

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function settingKey(task: string, taskParams: Record<string, unknown>): string {
  return `${task}/${hashValue(taskParams).slice(0, 12)}`;
}

function entryKey(method: string, methodParams: Record<string, unknown>): string {
  return hashValue({ method, methodParams });
}

function formatParams(params: Record<string, unknown>): string {
  return Object.keys(params)
    .sort(compareStrings)
    .map((k) => `${k}=${String(params[k])}`)
    .join(', ');
}

function mean(values: readonly number[]): number {
  return sum(values) / values.length;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function finite(samples: Float64Array): number[] {
  return Array.from(samples).filter((v) => Number.isFinite(v));
}

/** Ok records → cells (sorted by seed, then id), common steps, curve, area, final. */
function buildCells(group: Group): void {
  const metric = group.primary.name;
  const ok = group.records
    .filter((r) => r.status === 'ok')
    .sort((a, b) => a.key.seed - b.key.seed || compareStrings(a.id, b.id));
  const usable = ok.filter((r) => r.metrics[metric] !== undefined);
  if (usable.length < ok.length) {
    group.note = `${ok.length - usable.length} ok record(s) lack the primary metric '${metric}' and were left out`;
  }
  if (usable.length === 0) {
    group.note ??= 'no ok records';
    return;
  }
  // Steps common to every cell, in the first cell's order.
  let steps = usable[0].steps.slice();
  for (const record of usable.slice(1)) {
    const present = new Set(record.steps);
    steps = steps.filter((s) => present.has(s));
  }
  group.steps = steps;
  for (const record of usable) {
    const series = record.metrics[metric].mean;
    const index = new Map<number, number>();
    record.steps.forEach((s, i) => {
      if (!index.has(s)) index.set(s, i);
    });
    const values = steps.map((s) => series[index.get(s)!]);
    group.cells.push({
      seed: record.key.seed,
      id: record.id,
      values,
      area: trapezoid(steps, values),
      realSamplesPerChain: record.budget.realSamplesPerChain,
      wallMs: record.timing.wallMs,
    });
  }
  const n = group.cells.length;
  group.curve = steps.map((_, j) => {
    let total = 0;
    for (const cell of group.cells) total += cell.values[j];
    return total / n;
  });
  group.area = mean(group.cells.map((c) => c.area));
  group.final = steps.length ? group.curve[steps.length - 1] : null;
}

type Anchor = { group: Group } | { reason: string };

/** Finds the oracle or reference group of a setting: by label, else by unambiguous method id. */
function findAnchor(ordered: readonly Group[], name: string, role: string): Anchor {
  const byLabel = ordered.filter((g) => g.label === name);
  const matches = byLabel.length ? byLabel : ordered.filter((g) => g.method === name);
  if (matches.length === 0) return { reason: `${role} '${name}' has no records on this setting` };
  if (matches.length > 1) return { reason: `${role} '${name}' is ambiguous here: ${matches.map((g) => g.label).join(', ')}` };
  const group = matches[0];
  if (group.area === null) return { reason: `${role} '${name}' has no ok records on this setting` };
  return { group };
}

/** Degenerate when |den| < 1e-12·(|A_ref| + |A_oracle|), or den = 0. */
function degenerate(den: number, ref: number, oracle: number): boolean {
  return den === 0 || !Number.isFinite(den) || Math.abs(den) < 1e-12 * (Math.abs(ref) + Math.abs(oracle));
}

/**
 * Normalized collapse area on the degradation curve: d = sign·A with sign = +1 when lower is
 * better and −1 when higher is better, so (d_m − d_o)/(d_r − d_o) rises as the entry degrades
 * in either direction. (Negation is exact in floating point, so the ratio equals the raw-area
 * ratio bit for bit; the sign is applied anyway to state the intent.)
 */
function normalize(group: Group, oracle: Anchor, reference: Anchor, resamples: number): void {
  if (group.area === null) {
    group.note ??= 'no ok records';
    return;
  }
  if ('reason' in oracle) {
    group.note = oracle.reason;
    return;
  }
  if ('reason' in reference) {
    group.note = reference.reason;
    return;
  }
  const sign = group.primary.direction === 'lower' ? 1 : -1;
  const o = oracle.group;
  const r = reference.group;
  const den = sign * r.area! - sign * o.area!;
  if (degenerate(den, r.area!, o.area!)) {
    group.note = `reference and oracle areas coincide (${r.area} vs ${o.area}): the normalization is undefined`;
    return;
  }
  // `+ 0` turns a −0 (the oracle's 0 over a negative denominator) into 0.
  group.normalized = (sign * group.area - sign * o.area!) / den + 0;
  const samples = new Float64Array(resamples);
  const mine = group.areaSamples!;
  const os = o.areaSamples!;
  const rs = r.areaSamples!;
  for (let b = 0; b < resamples; b++) {
    const d = sign * rs[b] - sign * os[b];
    samples[b] = degenerate(d, rs[b], os[b]) ? NaN : (sign * mine[b] - sign * os[b]) / d + 0;
  }
  group.normalizedSamples = samples;
}

function collapseStep(group: Group): { stepsToCollapse: number | null; censored: boolean } {
  const threshold = group.primary.collapseThreshold;
  if (threshold === undefined || group.cells.length === 0) return { stepsToCollapse: null, censored: false };
  const lower = group.primary.direction === 'lower';
  for (let j = 0; j < group.steps.length; j++) {
    const v = group.curve[j];
    if (lower ? v > threshold : v < threshold) return { stepsToCollapse: group.steps[j], censored: false };
  }
  return { stepsToCollapse: null, censored: true };
}
