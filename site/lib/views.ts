/**
 * Views over {@link SiteData} that several pages and the downloads share: settings of a task
 * with readable labels, records of a score row, colours, per-task aggregates. Pure functions.
 */
import { entryColors, entryDashes, methodColor } from '../../harness/charts.ts';
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
    rows: [...rows].sort(compareRows),
  }));
  const order = (v: SettingView) => swept.map((n) => v.taskParams[n]);
  return views.sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    for (let i = 0; i < x.length; i++) {
      if (x[i] === y[i]) continue;
      return typeof x[i] === 'number' && typeof y[i] === 'number'
        ? (x[i] as number) - (y[i] as number)
        : String(x[i]).localeCompare(String(y[i]));
    }
    return 0;
  });
}

/**
 * A setting's rows by score: ranked entries, then the other entries by normalized score, then
 * the oracle and the reference, then entries that did not run there (only skipped cells).
 */
export function compareRows(a: SettingScore, b: SettingScore): number {
  const group = (r: SettingScore) => (onlySkipped(r) ? 4 : r.role === 'oracle' ? 2 : r.role === 'reference' ? 3 : r.rank !== null ? 0 : 1);
  const byNumber = (x: number | null, y: number | null) => (x === null || y === null ? (x === y ? 0 : x === null ? 1 : -1) : x - y);
  return group(a) - group(b) || byNumber(a.rank, b.rank) || byNumber(a.normalized, b.normalized) || a.entry.localeCompare(b.entry);
}

/** The entry does not apply to this setting: every cell was skipped. */
export function onlySkipped(r: Pick<SettingScore, 'seeds' | 'failed' | 'timeout' | 'skipped'>): boolean {
  return r.seeds === 0 && r.failed === 0 && r.timeout === 0 && r.skipped > 0;
}

const keyOf = (task: string, taskParams: unknown, method: string, methodParams: unknown) =>
  canonicalJson([task, taskParams, method, methodParams]);

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
  for (const m of data.methods) if (!out.has(m.id)) out.set(m.id, methodColor(m.id));
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
  | { kind: 'reference'; role: 'oracle' | 'reference' }
  | { kind: 'missing'; settings: number };

/**
 * The entry's score on a task: the IQM of its normalized scores over the task's settings with
 * collapse (`settings` of `of` scored), "n/a" where the method does not apply, "reference" where
 * it is one of the task's scale entries (oracle = 0, reference = 1), "missing" where it applies
 * but has no score.
 */
export function matrixCell(data: SiteData, entry: EntryScore, task: SiteTask, scores = data.current?.scores): MatrixCell {
  const method = methodById(data, entry.method);
  const reason = method?.applicability[task.id];
  if (reason) return { kind: 'n/a', reason };
  const rows = (scores?.settings ?? []).filter((s) => s.task === task.id && s.entry === entry.entry);
  const scaleRow = rows.find((r) => r.role !== 'entry');
  if (scaleRow && scaleRow.role !== 'entry') return { kind: 'reference', role: scaleRow.role };
  const collapsing = new Set((scores?.settingSummaries ?? []).filter((s) => s.task === task.id && s.collapse).map((s) => s.setting));
  const mine = rows.filter((s) => collapsing.has(s.setting) && s.normalized !== null);
  const value = iqm(mine.map((s) => s.normalized!));
  if (value === null) return { kind: 'missing', settings: collapsing.size };
  return { kind: 'score', value, settings: mine.length, of: collapsing.size };
}

/** HTML id of a setting × entry row's reproduction recipe on the Data page. */
export function reproAnchor(row: Pick<SettingScore, 'setting' | 'entry'>): string {
  return `repro-${hashValue([row.setting, row.entry]).slice(0, 12)}`;
}
