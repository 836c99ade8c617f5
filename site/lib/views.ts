/**
 * Views over {@link SiteData} that several pages and the downloads share: settings of a task
 * with readable labels, records of a score row, colours, per-task aggregates. Pure functions.
 */
import { entryColors, entryDashes, OKABE_ITO } from '../../harness/charts.ts';
import { canonicalJson, hashValue } from '../../harness/hash.ts';
import type { ResultRecord } from '../../harness/schema.ts';
import { iqm, type EntryScore, type SettingScore } from '../../harness/scoring.ts';
import type { SiteData, SiteMethod, SiteTask } from './model.ts';

export interface SettingView {
  /** Setting key, `<task>/<hash>`. */
  key: string;
  /** HTML id of its section on the task page. */
  anchor: string;
  task: string;
  taskParams: Record<string, unknown>;
  /** Parameters that differ between this task's settings, as `k=v, …`; "" when the task has one setting. */
  label: string;
  /** Score rows in leaderboard order. */
  rows: SettingScore[];
}

export const NA = 'n/a';

export function taskById(data: SiteData, id: string): SiteTask | undefined {
  return data.tasks.find((t) => t.id === id);
}

export function methodById(data: SiteData, id: string): SiteMethod | undefined {
  return data.methods.find((m) => m.id === id);
}

export function anchorOf(settingKey: string): string {
  return `setting-${settingKey.split('/').at(-1)}`;
}

/** Parameter names whose values differ among the given parameter sets. */
export function sweptParams(paramSets: readonly Record<string, unknown>[]): string[] {
  const names = [...new Set(paramSets.flatMap((p) => Object.keys(p)))];
  return names.filter((n) => new Set(paramSets.map((p) => canonicalJson(p[n] ?? null))).size > 1);
}

/** The task's scored settings, in the order of their swept parameters' values. */
export function settingsOf(data: SiteData, taskId: string): SettingView[] {
  const scores = data.current?.scores;
  if (!scores) return [];
  const rank = new Map(scores.entries.map((e) => [e.entry, e.rank]));
  const bySetting = new Map<string, SettingScore[]>();
  for (const row of scores.settings) {
    if (row.task !== taskId) continue;
    bySetting.set(row.setting, [...(bySetting.get(row.setting) ?? []), row]);
  }
  const swept = sweptParams([...bySetting.values()].map((rows) => rows[0].taskParams));
  const views = [...bySetting].map(([key, rows]) => ({
    key,
    anchor: anchorOf(key),
    task: taskId,
    taskParams: rows[0].taskParams,
    label: swept.map((n) => `${n}=${String(rows[0].taskParams[n])}`).join(', '),
    rows: [...rows].sort((a, b) => (rank.get(a.entry) ?? Infinity) - (rank.get(b.entry) ?? Infinity)),
  }));
  const order = (v: SettingView) => swept.map((n) => v.taskParams[n]);
  return views.sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    for (let i = 0; i < x.length; i++) {
      if (x[i] === y[i]) continue;
      return typeof x[i] === 'number' && typeof y[i] === 'number' ? (x[i] as number) - (y[i] as number) : String(x[i]).localeCompare(String(y[i]));
    }
    return 0;
  });
}

const keyOf = (task: string, taskParams: unknown, method: string, methodParams: unknown) => canonicalJson([task, taskParams, method, methodParams]);

/** Records (every status) of each setting × entry, keyed by {@link recordsKey}. */
export function recordsByRow(records: readonly ResultRecord[]): Map<string, ResultRecord[]> {
  const map = new Map<string, ResultRecord[]>();
  for (const r of records) {
    const key = keyOf(r.key.task, r.key.taskParams, r.key.method, r.key.methodParams);
    map.set(key, [...(map.get(key) ?? []), r]);
  }
  return map;
}

export function recordsKey(row: Pick<SettingScore, 'task' | 'taskParams' | 'method' | 'methodParams'>): string {
  return keyOf(row.task, row.taskParams, row.method, row.methodParams);
}

/** Line colour per entry label, fixed across the site (leaderboard order, Okabe–Ito). */
export function colors(data: SiteData): Map<string, string> {
  return data.current ? entryColors(data.current.scores) : new Map();
}

/** Dash pattern per entry label (solid for the first seven; see harness/charts.ts). */
export function dashes(data: SiteData): Map<string, number[]> {
  return data.current ? entryDashes(data.current.scores) : new Map();
}

/** Colour per method id: that of its first entry in leaderboard order. */
export function methodColors(data: SiteData): Map<string, string> {
  const byEntry = colors(data);
  const out = new Map<string, string>();
  for (const e of data.current?.scores.entries ?? []) if (!out.has(e.method)) out.set(e.method, byEntry.get(e.entry)!);
  for (const m of data.methods) if (!out.has(m.id)) out.set(m.id, OKABE_ITO[out.size % OKABE_ITO.length]);
  return out;
}

/** Task ids a method applies to (derived from hooks), of all tasks. */
export function coverage(method: SiteMethod | undefined, data: SiteData): { applicable: number; total: number } {
  const total = data.tasks.length;
  if (!method) return { applicable: 0, total };
  return { applicable: data.tasks.filter((t) => method.applicability[t.id] === null).length, total };
}

/** One cell of the entry × task matrix. */
export type MatrixCell =
  | { kind: 'score'; value: number; settings: number; of: number }
  | { kind: 'n/a'; reason: string }
  | { kind: 'missing'; settings: number };

/**
 * The entry's score on a task: the IQM of its normalized scores over the task's settings
 * (`settings` of `of` scored), "n/a" where the method does not apply, "missing" where it
 * applies but has no score.
 */
export function matrixCell(data: SiteData, entry: EntryScore, task: SiteTask): MatrixCell {
  const method = methodById(data, entry.method);
  const reason = method?.applicability[task.id];
  if (reason) return { kind: 'n/a', reason };
  const settings = new Set((data.current?.scores.settings ?? []).filter((s) => s.task === task.id).map((s) => s.setting));
  const mine = (data.current?.scores.settings ?? []).filter((s) => s.task === task.id && s.entry === entry.entry && s.normalized !== null);
  const value = iqm(mine.map((s) => s.normalized!));
  if (value === null) return { kind: 'missing', settings: settings.size };
  return { kind: 'score', value, settings: mine.length, of: settings.size };
}

/** HTML id of a setting × entry row's reproduction recipe on the Data page. */
export function reproAnchor(row: Pick<SettingScore, 'setting' | 'entry'>): string {
  return `repro-${hashValue([row.setting, row.entry]).slice(0, 12)}`;
}
