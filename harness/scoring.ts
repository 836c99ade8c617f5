/**
 * Scores: from result records to the leaderboard's numbers. Pure functions, no I/O.
 *
 * Vocabulary:
 * - a **setting** is (task id, canonical task params);
 * - an **entry** is (method id, canonical method params);
 * - a **cell** is one ok record of a setting × entry, i.e. one seed;
 * - a setting's **scale entries** define its normalized score's scale: the oracle (scores 0;
 *   default `real-only`) and the reference (scores 1; default `replace`), or the task's own
 *   (TaskInfo.scoreScale). Scale entries are reference rows: never ranked, tiered or aggregated
 *   as entries.
 *
 * Per setting × entry: the primary metric's seed-averaged curve and area, the normalized
 * collapse score (lower is better), the final value, steps-to-collapse, budget, wall time, the
 * probability of improvement over the reference and over the best baseline, with percentile
 * bootstrap intervals over seeds. A setting whose reference does not degrade significantly more
 * than its oracle (the bootstrap interval of the gap reaches 0) is flagged "no collapse to
 * mitigate" and left out of every aggregate. Across settings per entry: the interquartile mean
 * (IQM) of the normalized scores over the settings with collapse, with a stratified bootstrap
 * interval; entries are ranked only against entries aggregated over the same tasks (`basis`),
 * and only when that interval is at most one normalized unit wide.
 *
 * All randomness comes from one seeded {@link Rng}, so the same records give the same scores.
 */
import { hashValue } from './hash.ts';
import { rngFromKey, type Rng } from './rng.ts';
import type { ResultRecord } from './schema.ts';
import type { EntryScore, Improvement, Interval, Params, Role, Scores, SettingScore, SettingSummary } from './scores.ts';

// The output types (and their schemas) live in harness/scores.ts; re-exported for existing importers.
export type { EntryScore, Improvement, Interval, Role, Scores, SettingScore, SettingSummary } from './scores.ts';

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
   * This task's own scale entries, scoring 0 (`oracle`) and 1 (`reference`) (e.g. dcca: oracle
   * `early-stopping`, reference `dcca`); they override {@link ScoreOptions.oracle} and
   * {@link ScoreOptions.reference} on its settings.
   */
  scoreScale?: { oracle: string; reference: string };
  /** The primary metric for a setting's parameters, when it depends on them (else `primary`). */
  primaryFor?: (taskParams: Record<string, unknown>) => TaskInfo['primary'];
  /**
   * A metric the primary one is traded against (diffusion-align: reward). Each cell is then
   * scored by its primary value where its own `metric` curve first reaches the setting's target
   * (linear interpolation between evaluations), not by the area: see {@link SettingSummary.tradeoff}.
   */
  tradeoff?: { metric: string; direction: 'lower' | 'higher' };
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
  /**
   * Method ids of the baselines: the comparators of {@link SettingScore.improvement}'s
   * `bestBaseline`. Empty: that comparison is not made.
   * @default []
   */
  baselines?: readonly string[];
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
  /** Trade-off metric mean, aligned with the group's steps (trade-off tasks only). */
  tradeoff?: number[];
  area: number;
  /**
   * What the cell is scored on, oriented so that lower is better ("degradation"): sign·area, or
   * on a trade-off task sign·(primary where the trade-off target is reached); NaN when the
   * cell never reaches the target.
   */
  value: number;
  /** Trade-off tasks: the step where the target is reached (interpolated), null when never. */
  matchedStep?: number | null;
  realSamplesPerChain: number;
  wallMs: number;
}

interface Group {
  setting: string;
  task: TaskInfo;
  /** The task's primary metric for this setting's parameters. */
  primary: TaskInfo['primary'];
  taskParams: Params;
  entryKey: string;
  label: string;
  method: string;
  methodParams: Params;
  role: Role;
  records: ResultRecord[];
  failed: number;
  timeout: number;
  skipped: number;
  cells: Cell[];
  steps: number[];
  curve: number[];
  area: number | null;
  final: number | null;
  /** Seed mean of the cells' `value`; null without cells or when a cell's value is undefined. */
  value: number | null;
  /** Resampled seed indices, resample-major (resamples × cells). */
  resampled?: Int32Array;
  /** Per-resample seed mean of `value` and of the final value. */
  valueSamples?: Float64Array;
  finalSamples?: Float64Array;
  normalized: number | null;
  note?: string;
  /** Per-resample normalized score; NaN where undefined in that resample. */
  normalizedSamples?: Float64Array;
  extraRealData: boolean;
  rank: number | null;
  matched?: { primary: number | null; step: number | null };
  improvement: { reference: SettingImprovement | null; bestBaseline: SettingImprovement | null };
}

/** A per-setting probability of improvement with its per-resample values. */
interface SettingImprovement {
  over: string;
  value: number;
  samples: Float64Array;
}

const DEFAULTS = { resamples: 2000, confidence: 0.95, oracle: 'real-only', reference: 'replace' };

/** Widest cross-task interval (in normalized units) an entry may have and still be ranked. */
export const MAX_RANKED_WIDTH = 1;

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
  const opts = resolveOptions(options);
  const labels = entryLabels(records);
  const { groups, tasksByEntry } = groupRecords(records, tasks, labels);
  const settingKeys = [...groups.keys()].sort(compareStrings);
  const bySetting = new Map(
    settingKeys.map((setting) => [setting, [...groups.get(setting)!.values()].sort((a, b) => compareStrings(a.label, b.label))]),
  );

  const summaries = settingKeys.map((setting) => scoreSetting(setting, bySetting.get(setting)!, opts));
  const settingRows = settingKeys.flatMap((setting) => bySetting.get(setting)!.map((group) => settingRow(group, opts)));

  const collapseBySetting = new Map(summaries.map((s) => [s.setting, s.collapse]));
  const allTaskIds = new Set(tasks.map((t) => t.id));
  const entryKeys = [...labels.keys()].sort((a, b) => compareStrings(labels.get(a)!, labels.get(b)!));
  const unranked = entryKeys.map((key) => {
    const perSetting = settingKeys.map((setting) => ({
      setting,
      group: groups.get(setting)!.get(key),
      collapse: collapseBySetting.get(setting) === true,
    }));
    const applicable = [...(tasksByEntry.get(key) ?? [])].filter((t) => allTaskIds.has(t)).length;
    return entryScore(labels.get(key)!, perSetting, { applicable, total: allTaskIds.size }, opts);
  });
  return {
    settings: settingRows,
    settingSummaries: summaries,
    entries: rankEntries(unranked),
    resamples: opts.resamples,
    confidence: opts.confidence,
  };
}

/** `ScoreOptions` with the defaults filled in and checked, and the bootstrap's stream. */
interface ResolvedOptions {
  resamples: number;
  confidence: number;
  oracle: string;
  reference: string;
  baselines: ReadonlySet<string>;
  rng: Rng;
}

function resolveOptions(options: ScoreOptions): ResolvedOptions {
  const resamples = options.resamples ?? DEFAULTS.resamples;
  const confidence = options.confidence ?? DEFAULTS.confidence;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`score: resamples must be a positive integer, got ${resamples}`);
  checkConfidence(confidence);
  return {
    resamples,
    confidence,
    oracle: options.oracle ?? DEFAULTS.oracle,
    reference: options.reference ?? DEFAULTS.reference,
    baselines: new Set(options.baselines ?? []),
    rng: options.rng ?? rngFromKey('scoring', 'bootstrap'),
  };
}

/** Step 1: the records grouped by setting × entry (status counts included), and the tasks each entry ran on. */
function groupRecords(records: readonly ResultRecord[], tasks: readonly TaskInfo[], labels: ReadonlyMap<string, string>) {
  const taskById = new Map<string, TaskInfo>();
  for (const task of tasks) taskById.set(task.id, task);
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
        role: 'entry',
        records: [],
        failed: 0,
        timeout: 0,
        skipped: 0,
        cells: [],
        steps: [],
        curve: [],
        area: null,
        final: null,
        value: null,
        normalized: null,
        extraRealData: false,
        rank: null,
        improvement: { reference: null, bestBaseline: null },
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
  return { groups, tasksByEntry };
}

/**
 * Step 2, one setting (its groups ordered by label): cells, scale entries and roles, scored values,
 * bootstrap, normalized scores and whether there is collapse; then extra real data, ranks and
 * probabilities of improvement. Fills in the groups; returns the setting's summary.
 */
function scoreSetting(setting: string, ordered: Group[], opts: ResolvedOptions): SettingSummary {
  const { resamples, confidence, baselines, rng } = opts;
  const task = ordered[0].task;
  for (const group of ordered) buildCells(group);
  const names = { oracle: task.scoreScale?.oracle ?? opts.oracle, reference: task.scoreScale?.reference ?? opts.reference };
  const oracle = findScaleEntry(ordered, names.oracle, 'oracle');
  const reference = findScaleEntry(ordered, names.reference, 'reference');
  if ('group' in oracle) oracle.group.role = 'oracle';
  if ('group' in reference) reference.group.role = 'reference';
  const target = task.tradeoff ? tradeoffTarget(ordered, task.tradeoff) : undefined;
  for (const group of ordered) {
    scoreCells(group, task.tradeoff && target !== undefined ? { ...task.tradeoff, target } : undefined);
    bootstrap(group, rng.fork(`bootstrap ${setting} ${group.entryKey}`), resamples);
  }
  for (const group of ordered) normalize(group, oracle, reference, resamples);
  const summary = summarize(ordered, oracle, reference, names, confidence);
  if (task.tradeoff && target !== undefined) summary.tradeoff = { metric: task.tradeoff.metric, target };

  // Extra real data, per-setting ranks and probabilities of improvement.
  const ref = 'group' in reference ? reference.group : null;
  for (const group of ordered) {
    group.extraRealData =
      ref !== null &&
      group !== ref &&
      group.cells.length > 0 &&
      mean(group.cells.map((c) => c.realSamplesPerChain)) > mean(ref.cells.map((c) => c.realSamplesPerChain));
  }
  if (!summary.collapse) return summary;
  const ranked = ordered
    .filter((g) => g.role === 'entry' && g.normalized !== null)
    .sort((a, b) => a.normalized! - b.normalized! || compareStrings(a.label, b.label));
  ranked.forEach((g, i) => {
    g.rank = i + 1;
  });
  for (const group of ordered) {
    if (group.role !== 'entry' || group.value === null) continue;
    if (ref && ref.value !== null) group.improvement.reference = improvementOver(group, ref, resamples);
    const best = ordered
      .filter((g) => g !== group && g.role === 'entry' && baselines.has(g.method) && !g.extraRealData && g.value !== null)
      .sort((a, b) => a.value! - b.value! || compareStrings(a.label, b.label))[0];
    if (best) group.improvement.bestBaseline = improvementOver(group, best, resamples);
  }
  return summary;
}

/** Step 3: one setting × entry row of the output. */
function settingRow(group: Group, opts: ResolvedOptions): SettingScore {
  const { resamples, confidence } = opts;
  const validSamples = group.normalizedSamples ? finite(group.normalizedSamples) : [];
  let note = group.note;
  if (group.normalized !== null && validSamples.length < resamples) {
    note = `${resamples - validSamples.length} of ${resamples} resamples had a degenerate denominator and were left out of the interval`;
  }
  const { stepsToCollapse, censored } = collapseStep(group);
  const row: SettingScore = {
    setting: group.setting,
    task: group.task.id,
    taskParams: group.taskParams,
    entry: group.label,
    method: group.method,
    methodParams: group.methodParams,
    role: group.role,
    rank: group.rank,
    extraRealData: group.extraRealData,
    ...(group.matched && { matched: group.matched }),
    improvement: {
      reference: settingImprovement(group.improvement.reference, confidence),
      bestBaseline: settingImprovement(group.improvement.bestBaseline, confidence),
    },
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
  return row;
}

/**
 * Step 4: one entry across settings: the IQM over its basis (the settings with collapse where it
 * is scored as an entry), its stratified interval, coverage and aggregated improvement.
 */
function entryScore(
  label: string,
  perSetting: { setting: string; group: Group | undefined; collapse: boolean }[],
  coverage: { applicable: number; total: number },
  opts: ResolvedOptions,
): Omit<EntryScore, 'rank' | 'tier'> {
  const { resamples, confidence } = opts;
  const scored: Group[] = [];
  const missing: string[] = [];
  const cells: Cell[] = [];
  let method = '';
  let methodParams: Params = {};
  let anEntrySomewhere = false;
  let aScaleEntrySomewhere = false;
  for (const { setting, group, collapse } of perSetting) {
    if (group) {
      method = group.method;
      methodParams = group.methodParams;
      cells.push(...group.cells);
      if (group.role === 'entry' && group.cells.length > 0) anEntrySomewhere = true;
      if (group.role !== 'entry') aScaleEntrySomewhere = true;
    }
    if (group && group.role === 'entry' && group.normalized !== null && collapse) scored.push(group);
    else missing.push(setting);
  }
  const point = iqm(scored.map((g) => g.normalized!));
  const ci = point === null ? null : stratifiedIqmInterval(scored, resamples, confidence);
  return {
    entry: label,
    method,
    methodParams,
    role: aScaleEntrySomewhere && !anEntrySomewhere ? 'reference' : 'entry',
    basis: [...new Set(scored.map((g) => g.task.id))].sort(compareStrings),
    iqm: point,
    ci,
    extraRealData: scored.some((g) => g.extraRealData),
    improvement: {
      reference: aggregateImprovement(
        scored.map((g) => g.improvement.reference),
        resamples,
        confidence,
      ),
      bestBaseline: aggregateImprovement(
        scored.map((g) => g.improvement.bestBaseline),
        resamples,
        confidence,
      ),
    },
    coverage,
    missing,
    settings: scored.length,
    realSamplesPerChain: cells.length ? mean(cells.map((c) => c.realSamplesPerChain)) : 0,
    wallMs: sum(cells.map((c) => c.wallMs)),
  };
}

/**
 * The ranking an entry takes part in: its basis (the tasks it is aggregated over) and its track
 * (whether it used extra fresh real data, an easier problem, like RobustBench's extra-data flag).
 */
export function trackKey(e: Pick<EntryScore, 'basis' | 'extraRealData'>): string {
  return `${e.basis.join(',')}${e.extraRealData ? ' +real' : ''}`;
}

/**
 * Ranks within each basis and track ({@link trackKey}), so that an entry scored on one task
 * never outranks one scored on four, and one that draws extra real data never outranks one that
 * does not; an entry whose interval is wider than {@link MAX_RANKED_WIDTH} is listed unranked.
 * Order: by basis (more tasks first, then by name; the extra-data track after its plain one),
 * each by rank with unranked last; references at the end.
 */
function rankEntries(entries: Omit<EntryScore, 'rank' | 'tier'>[]): EntryScore[] {
  const reason = (e: Omit<EntryScore, 'rank' | 'tier'>): string | undefined => {
    if (e.role === 'reference') return 'a scale entry (oracle = 0 or reference = 1) wherever it runs';
    if (e.iqm === null) return 'no normalized score on a setting with collapse';
    if (e.ci && e.ci.high - e.ci.low > MAX_RANKED_WIDTH)
      return `interval wider than ${MAX_RANKED_WIDTH} normalized unit (${(e.ci.high - e.ci.low).toPrecision(3)}): too uncertain to rank`;
    return undefined;
  };
  const byBasis = new Map<string, Omit<EntryScore, 'rank' | 'tier'>[]>();
  const references: EntryScore[] = [];
  for (const e of entries) {
    if (e.role === 'reference' || e.basis.length === 0) {
      references.push({ ...e, rank: null, unranked: reason(e), tier: null });
      continue;
    }
    const key = trackKey(e);
    byBasis.set(key, [...(byBasis.get(key) ?? []), e]);
  }
  const bases = [...byBasis.keys()].sort(
    (a, b) => byBasis.get(b)![0].basis.length - byBasis.get(a)![0].basis.length || compareStrings(a, b),
  );
  const out: EntryScore[] = [];
  for (const basis of bases) {
    const members = byBasis.get(basis)!;
    const ranked = members.filter((e) => reason(e) === undefined).sort((a, b) => a.iqm! - b.iqm! || compareStrings(a.entry, b.entry));
    const tiers = assignTiers(ranked.map((e) => ({ value: e.iqm, ci: e.ci })));
    ranked.forEach((e, i) => {
      out.push({ ...e, rank: i + 1, tier: tiers[i] });
    });
    for (const e of members) if (reason(e) !== undefined) out.push({ ...e, rank: null, unranked: reason(e), tier: null });
  }
  // References and entries without a basis: entries first, by label.
  references.sort((a, b) => (a.role === b.role ? compareStrings(a.entry, b.entry) : a.role === 'entry' ? -1 : 1));
  return [...out, ...references];
}

/** Entry labels: the method id alone when the method has one params set in the run. */
function entryLabels(records: readonly ResultRecord[]): Map<string, string> {
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
  return labels;
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

/** `k=v, k=v`, keys sorted: how the leaderboard, the report, the site and the CLI write parameters. */
export function formatParams(params: Record<string, unknown>): string {
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
  const tradeoff = group.task.tradeoff?.metric;
  const ok = group.records.filter((r) => r.status === 'ok').sort((a, b) => a.key.seed - b.key.seed || compareStrings(a.id, b.id));
  const usable = ok.filter((r) => r.metrics[metric] !== undefined && (tradeoff === undefined || r.metrics[tradeoff] !== undefined));
  if (usable.length < ok.length) {
    group.note = `${ok.length - usable.length} ok record(s) lack the primary metric '${metric}'${tradeoff ? ` or the trade-off metric '${tradeoff}'` : ''} and were left out`;
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
    const index = new Map<number, number>();
    record.steps.forEach((s, i) => {
      if (!index.has(s)) index.set(s, i);
    });
    const at = (name: string) => steps.map((s) => record.metrics[name].mean[index.get(s)!]);
    const values = at(metric);
    const area = trapezoid(steps, values);
    group.cells.push({
      seed: record.key.seed,
      id: record.id,
      values,
      ...(tradeoff !== undefined && { tradeoff: at(tradeoff) }),
      area,
      value: (group.primary.direction === 'lower' ? 1 : -1) * area,
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

/**
 * The trade-off target of a setting: the least favourable best value of the trade-off metric
 * over every non-oracle cell, so every trained seed reaches it at some step.
 */
function tradeoffTarget(ordered: readonly Group[], tradeoff: NonNullable<TaskInfo['tradeoff']>): number | undefined {
  const bests = ordered
    .filter((g) => g.role !== 'oracle')
    .flatMap((g) => g.cells.map((c) => (tradeoff.direction === 'higher' ? Math.max(...c.tradeoff!) : Math.min(...c.tradeoff!))));
  if (bests.length === 0) return undefined;
  return tradeoff.direction === 'higher' ? Math.min(...bests) : Math.max(...bests);
}

/**
 * First crossing of `target` by `curve` (reached: ≥ when higher is better, ≤ when lower),
 * linearly interpolated between the evaluations around it; null when never reached.
 */
export function firstCrossing(
  steps: readonly number[],
  curve: readonly number[],
  target: number,
  direction: 'lower' | 'higher',
): { index: number; fraction: number; step: number } | null {
  const reached = (v: number) => (direction === 'higher' ? v >= target : v <= target);
  for (let j = 0; j < curve.length; j++) {
    if (!reached(curve[j])) continue;
    if (j === 0) return { index: 0, fraction: 0, step: steps[0] };
    const fraction = (target - curve[j - 1]) / (curve[j] - curve[j - 1]);
    return { index: j - 1, fraction, step: steps[j - 1] + fraction * (steps[j] - steps[j - 1]) };
  }
  return null;
}

/**
 * Each cell's scored value. Without a trade-off: sign·area (set by buildCells). With one: the
 * primary metric where the cell's own trade-off curve first reaches the target, oriented so
 * that lower is better; the oracle (which is not trained towards the target) is scored on its
 * final primary value. The group's value is the seed mean, null when a seed never reaches it.
 */
function scoreCells(group: Group, tradeoff: { direction: 'lower' | 'higher'; target: number } | undefined): void {
  if (group.cells.length === 0) return;
  const sign = group.primary.direction === 'lower' ? 1 : -1;
  if (tradeoff) {
    for (const cell of group.cells) {
      if (group.role === 'oracle') {
        cell.value = sign * cell.values[cell.values.length - 1];
        continue;
      }
      const hit = firstCrossing(group.steps, cell.tradeoff!, tradeoff.target, tradeoff.direction);
      cell.matchedStep = hit?.step ?? null;
      cell.value = hit
        ? sign * (cell.values[hit.index] + hit.fraction * ((cell.values[hit.index + 1] ?? cell.values[hit.index]) - cell.values[hit.index]))
        : NaN;
    }
    const steps = group.cells.map((c) => c.matchedStep);
    const allReach = group.cells.every((c) => Number.isFinite(c.value));
    group.matched = {
      primary: allReach ? sign * mean(group.cells.map((c) => c.value)) : null,
      step: group.role !== 'oracle' && steps.every((s) => s !== null && s !== undefined) ? mean(steps as number[]) : null,
    };
    if (!allReach)
      group.note = `${group.cells.filter((c) => !Number.isFinite(c.value)).length} of ${group.cells.length} seeds never reach the target ${group.task.tradeoff!.metric} ${tradeoff.target.toPrecision(4)}`;
  }
  const values = group.cells.map((c) => c.value);
  group.value = values.every(Number.isFinite) ? mean(values) : null;
}

/** Seed resamples of a group: indices, seed-mean value and final value per resample. */
function bootstrap(group: Group, groupRng: Rng, resamples: number): void {
  const n = group.cells.length;
  if (n === 0) return;
  const last = group.steps.length - 1;
  const resampled = new Int32Array(resamples * n);
  const valueSamples = new Float64Array(resamples);
  const finalSamples = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let valueSum = 0;
    let finalSum = 0;
    for (let i = 0; i < n; i++) {
      const k = groupRng.int(n);
      resampled[b * n + i] = k;
      const cell = group.cells[k];
      valueSum += cell.value;
      if (last >= 0) finalSum += cell.values[last];
    }
    valueSamples[b] = valueSum / n;
    finalSamples[b] = finalSum / n;
  }
  group.resampled = resampled;
  group.valueSamples = valueSamples;
  if (last >= 0) group.finalSamples = finalSamples;
}

type ScaleEntry = { group: Group } | { reason: string };

/** Finds the oracle or reference group of a setting: by label, else by unambiguous method id. */
function findScaleEntry(ordered: readonly Group[], name: string, role: string): ScaleEntry {
  const byLabel = ordered.filter((g) => g.label === name);
  const matches = byLabel.length ? byLabel : ordered.filter((g) => g.method === name);
  if (matches.length === 0) return { reason: `${role} '${name}' has no records on this setting` };
  if (matches.length > 1) return { reason: `${role} '${name}' is ambiguous here: ${matches.map((g) => g.label).join(', ')}` };
  const group = matches[0];
  if (group.area === null) return { reason: `${role} '${name}' has no ok records on this setting` };
  return { group };
}

/** Degenerate when |den| < 1e-12·(|d_ref| + |d_oracle|), or den = 0. */
function degenerate(den: number, ref: number, oracle: number): boolean {
  return den === 0 || !Number.isFinite(den) || Math.abs(den) < 1e-12 * (Math.abs(ref) + Math.abs(oracle));
}

/**
 * Normalized score (d_m − d_o)/(d_r − d_o) on the degradation value d (lower is better: sign·area,
 * or the oriented primary at matched trade-off), so it rises as the entry degrades in either
 * direction. (Negation is exact in floating point, so on areas the ratio equals the raw-area
 * ratio bit for bit.)
 */
function normalize(group: Group, oracle: ScaleEntry, reference: ScaleEntry, resamples: number): void {
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
  const o = oracle.group;
  const r = reference.group;
  if (group.value === null || o.value === null || r.value === null) {
    group.note ??= `${o.value === null ? 'the oracle' : r.value === null ? 'the reference' : 'this entry'} has no scored value here`;
    return;
  }
  const den = r.value - o.value;
  if (degenerate(den, r.value, o.value)) {
    group.note = `reference and oracle coincide (${r.value.toPrecision(6)} vs ${o.value.toPrecision(6)}): the normalization is undefined`;
    return;
  }
  // `+ 0` turns a −0 (the oracle's 0 over a negative denominator) into 0.
  group.normalized = (group.value - o.value) / den + 0;
  const samples = new Float64Array(resamples);
  const mine = group.valueSamples!;
  const os = o.valueSamples!;
  const rs = r.valueSamples!;
  for (let b = 0; b < resamples; b++) {
    const d = rs[b] - os[b];
    samples[b] = degenerate(d, rs[b], os[b]) ? NaN : (mine[b] - os[b]) / d + 0;
  }
  group.normalizedSamples = samples;
}

/** The setting's collapse check: is the reference's degradation gap over the oracle significant? */
function summarize(
  ordered: readonly Group[],
  oracle: ScaleEntry,
  reference: ScaleEntry,
  names: { oracle: string; reference: string },
  confidence: number,
): SettingSummary {
  const first = ordered[0];
  const base = {
    setting: first.setting,
    task: first.task.id,
    taskParams: first.taskParams,
    oracle: 'group' in oracle ? oracle.group.label : names.oracle,
    reference: 'group' in reference ? reference.group.label : names.reference,
    seeds: {
      oracle: 'group' in oracle ? oracle.group.cells.length : 0,
      reference: 'group' in reference ? reference.group.cells.length : 0,
    },
  };
  if ('reason' in oracle || 'reason' in reference) {
    return {
      ...base,
      gap: null,
      gapCi: null,
      collapse: false,
      note: 'reason' in oracle ? oracle.reason : (reference as { reason: string }).reason,
    };
  }
  const o = oracle.group;
  const r = reference.group;
  if (o.value === null || r.value === null)
    return { ...base, gap: null, gapCi: null, collapse: false, note: `${o.value === null ? 'oracle' : 'reference'} has no scored value` };
  const samples = new Array<number>(r.valueSamples!.length);
  for (let b = 0; b < samples.length; b++) samples[b] = r.valueSamples![b] - o.valueSamples![b];
  const gap = r.value - o.value;
  const gapCi = percentileInterval(samples, confidence);
  const collapse = gap > 0 && gapCi.low > 0;
  const seeds = Math.min(o.cells.length, r.cells.length);
  return {
    ...base,
    gap,
    gapCi,
    collapse,
    ...(!collapse && {
      note: `no collapse to mitigate: ${r.label} does not degrade significantly more than ${o.label} at ${seeds} seed${seeds === 1 ? '' : 's'} (gap ${gap.toPrecision(3)}, ${Math.round(confidence * 100)}% interval [${gapCi.low.toPrecision(3)}, ${gapCi.high.toPrecision(3)}]); left out of every aggregate`,
    }),
  };
}

/** P(a seed of x degrades less than a seed of y), ties one half: the Mann–Whitney statistic over mn. */
function probabilityLess(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let wins = 0;
  for (let i = 0; i < x.length; i++) for (let j = 0; j < y.length; j++) wins += x[i] < y[j] ? 1 : x[i] === y[j] ? 0.5 : 0;
  return wins / (x.length * y.length);
}

/** Probability of improvement of `group` over `other` on one setting, with its resamples (each group's own seed resamples). */
function improvementOver(group: Group, other: Group, resamples: number): SettingImprovement {
  const x = group.cells.map((c) => c.value);
  const y = other.cells.map((c) => c.value);
  const n = x.length;
  const m = y.length;
  const xs = new Float64Array(n);
  const ys = new Float64Array(m);
  const samples = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) xs[i] = x[group.resampled![b * n + i]];
    for (let j = 0; j < m; j++) ys[j] = y[other.resampled![b * m + j]];
    samples[b] = probabilityLess(xs, ys);
  }
  return { over: other.label, value: probabilityLess(x, y), samples };
}

function settingImprovement(improvement: SettingImprovement | null, confidence: number): Improvement | null {
  if (!improvement) return null;
  return {
    over: improvement.over,
    value: improvement.value,
    ci: percentileInterval(Array.from(improvement.samples), confidence),
    settings: 1,
  };
}

/** rliable's aggregate: the mean over settings of the per-setting probabilities, stratified bootstrap interval. */
function aggregateImprovement(
  perSetting: readonly (SettingImprovement | null)[],
  resamples: number,
  confidence: number,
): Improvement | null {
  const present = perSetting.filter((p): p is SettingImprovement => p !== null);
  if (present.length === 0) return null;
  const samples = new Array<number>(resamples);
  for (let b = 0; b < resamples; b++) samples[b] = mean(present.map((p) => p.samples[b]));
  const over = [...new Set(present.map((p) => p.over))];
  return {
    over: over.length === 1 ? over[0] : 'several',
    value: mean(present.map((p) => p.value)),
    ci: percentileInterval(samples, confidence),
    settings: present.length,
  };
}

/** Stratified bootstrap interval of the IQM over settings; resamples with an undefined setting score are left out. */
function stratifiedIqmInterval(scored: readonly Group[], resamples: number, confidence: number): Interval | null {
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
  return samples.length ? percentileInterval(samples, confidence) : null;
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
