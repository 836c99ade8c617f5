/** Shared output helpers of the CLI: JSON, tables, the leaderboard, reading results. */
import { InvalidArgumentError } from 'commander';
import Table from 'cli-table3';
import pc from 'picocolors';
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { InputError, type paramInfo } from '../harness/params.ts';
import { ResultStore, parseRecordFile } from '../harness/cache.ts';
import { sortRecords, splitStale } from '../harness/results.ts';
import type { Registry } from '../harness/registry.ts';
import type { ResultRecord } from '../harness/schema.ts';
import type { EntryScore, Scores, SettingScore } from '../harness/scoring.ts';

export const DEFAULT_OUT = 'runs/latest';
// cli-table3 colours its borders and headers itself; plain when piped or NO_COLOR is set.
export const TABLE_STYLE = pc.isColorSupported && process.stdout.isTTY ? { head: ['cyan'] } : { head: [], border: [] };

export const collect = (value: string, previous: string[] = []) => [...previous, value];
/** Commander argument parser of a positive integer option (commander names the option and the value). */
export const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('It must be a positive integer.');
  return n;
};

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function readResults(path: string): ResultRecord[] {
  if (!existsSync(path)) throw new InputError(`results not found: ${path} (run \`collapse-bench run --out ${path}\` first)`);
  // One record file given by path may be named anything: it cannot count twice (a folder's files can).
  if (path.endsWith('.json')) return [parseRecordFile(path, { requireIdFileName: false })];
  return sortRecords(new ResultStore(resolve(path)).readAll());
}

/** What a results folder holds: its current records (sorted), and the ones left out of its scores. */
export interface FolderRecords {
  current: ResultRecord[];
  stale: { record: ResultRecord; reason: string }[];
  /** Record files that cannot be read (a later run recomputes their cells). */
  unreadable: { file: string; reason: string }[];
}

/**
 * Every record file of a results folder, split like `score` splits them. Unlike `score`, an
 * unreadable file is listed rather than fatal: `run` calls this after computing its cells, and
 * one bad file of another cell must not throw that work away.
 */
export function readFolder(dir: string, registry: Registry): FolderRecords {
  const cellsDir = new ResultStore(resolve(dir)).cellsDir;
  const records: ResultRecord[] = [];
  const unreadable: FolderRecords['unreadable'] = [];
  const files = existsSync(cellsDir)
    ? readdirSync(cellsDir)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];
  for (const file of files) {
    try {
      records.push(parseRecordFile(join(cellsDir, file)));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      unreadable.push({ file: join(cellsDir, file), reason: error.message });
    }
  }
  const { current, stale } = splitStale(sortRecords(records), registry);
  return { current, stale, unreadable };
}

/** A path to show: relative to the working directory when inside it, else absolute (never `../../tmp/x`). */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? resolve(path) : rel;
}

/** Width the CLI lays its tables out for: the terminal's, else $COLUMNS, else 100. */
export function outputWidth(): number {
  const columns = process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : 100;
}

// Tables rule off their header only (cli-table3's compact style): a wrapped description still
// reads as one row because its name cell is empty on the continuation lines.
export const COMPACT_STYLE = { ...TABLE_STYLE, compact: true };
const longestWord = (text: string) => Math.max(0, ...text.split(/\s+/).map((w) => w.length));

/**
 * The parameters of a task or method. Names, types, choices and defaults are never cut (they
 * are what people type after `--set`): those columns are as wide as their longest word, choices
 * wrap between words, and the description takes the rest of the terminal's width, wrapped.
 */
export function paramTable(params: ReturnType<typeof paramInfo>, width = outputWidth()): Table.Table {
  const head = ['parameter', 'type', 'default', 'description'];
  const rows = params.map((p) => [
    p.name,
    p.enum ? p.enum.join(' | ') : p.type,
    p.default === undefined ? '—' : String(p.default),
    p.description,
  ]);
  // Padding is one space each side; the description column gets what is left of the width.
  // A column is never narrower than its longest word; the type column also fits a few short choices on one line.
  const fixed = [0, 1, 2].map(
    (c) => 2 + Math.max(head[c].length, ...rows.map((r) => (c === 1 && r[c].length <= 22 ? r[c].length : longestWord(r[c])))),
  );
  const borders = head.length + 1;
  const rest = width - borders - fixed.reduce((a, b) => a + b, 0);
  const description = Math.max(rest, 2 + Math.max(head[3].length, ...rows.map((r) => longestWord(r[3]))), 24);
  const table = new Table({ head, colWidths: [...fixed, description], wordWrap: true, style: COMPACT_STYLE });
  table.push(...rows);
  return table;
}

export function countStatuses(records: ResultRecord[]): string {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

export function printFailures(records: ResultRecord[]): void {
  for (const r of records.filter((r) => r.status === 'failed' || r.status === 'timeout')) {
    console.error(pc.red(`${r.status}: ${r.key.task} × ${r.key.method} seed ${r.key.seed} — ${r.reason}`));
  }
}

export const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? 'n/a' : x.toFixed(digits));

/** A setting row, tolerant of score files written before roles, ranks and extra real data existed. */
type SettingRow = Omit<SettingScore, 'role' | 'rank' | 'extraRealData'> & Partial<Pick<SettingScore, 'role' | 'rank' | 'extraRealData'>>;
type EntryRow = Omit<EntryScore, 'role' | 'rank' | 'extraRealData' | 'basis'> &
  Partial<Pick<EntryScore, 'role' | 'extraRealData' | 'basis'>> & { rank: number | null };
type ScoresView = Omit<Scores, 'settings' | 'entries' | 'settingSummaries'> & {
  settings: SettingRow[];
  entries: EntryRow[];
  settingSummaries?: Scores['settingSummaries'];
};

const interval = (ci: { low: number; high: number } | null | undefined) => (ci ? `[${fmt(ci.low)}, ${fmt(ci.high)}]` : 'n/a');
const ciHead = (scores: ScoresView) => `${Math.round(scores.confidence * 100)}% CI`;
const EXTRA_REAL = '+real';
const EXTRA_REAL_LEGEND = `${EXTRA_REAL}: used more fresh real data than the reference (an easier problem)`;

/** Groups in first-seen order. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** The parameters whose values differ between settings of one task, as `k=v …` per setting: what tells them apart. */
function settingLabels(settings: { setting: string; taskParams: Record<string, unknown> }[]): Map<string, string> {
  const keys = [...new Set(settings.flatMap((s) => Object.keys(s.taskParams)))].sort();
  const varying = keys.filter((k) => new Set(settings.map((s) => JSON.stringify(s.taskParams[k]))).size > 1);
  return new Map(settings.map((s) => [s.setting, varying.map((k) => `${k}=${String(s.taskParams[k])}`).join(' ')]));
}

function seedsCell(row: SettingRow): string {
  const lost = [row.failed && `${row.failed} failed`, row.timeout && `${row.timeout} timed out`].filter(Boolean);
  return lost.length ? `${row.seeds} (${lost.join(', ')})` : String(row.seeds);
}

/**
 * Per-task tables of a setting's scores: the ranked entries (normalized collapse area with its
 * interval and seeds), then the task's scale entries (oracle = 0, reference = 1) as reference
 * rows, then notes — why a score is missing, and when the scale entries show no collapse to
 * mitigate.
 * One table per setting; a task with several settings labels each by the parameters that differ.
 */
export function formatTaskTables(scores: Scores | ScoresView): string {
  const view = scores as ScoresView;
  const summaries = new Map((view.settingSummaries ?? []).map((s) => [s.setting, s]));
  const out: string[] = [];
  for (const [task, rows] of groupBy(view.settings, (r) => r.task)) {
    const bySetting = groupBy(rows, (r) => r.setting);
    const labels = settingLabels([...bySetting.values()].map((r) => r[0]));
    // Settings in the order of the values that tell them apart (samples=10 before samples=20).
    const ordered = [...bySetting].sort(([a], [b]) => labels.get(a)!.localeCompare(labels.get(b)!, 'en', { numeric: true }));
    for (const [setting, allRows] of ordered) {
      // Methods that do not apply here (every record skipped) have nothing to show.
      const settingRows = allRows.filter((r) => r.seeds > 0 || r.failed > 0 || r.timeout > 0);
      const entries = settingRows.filter((r) => (r.role ?? 'entry') === 'entry');
      const scaleRows = settingRows.filter((r) => (r.role ?? 'entry') !== 'entry');
      // Scores without ranks (older files): rank by normalized area, unscored last.
      const byScore = [...entries].sort((a, b) => (a.normalized ?? Infinity) - (b.normalized ?? Infinity));
      const rankOf = (r: SettingRow) => (r.rank !== undefined ? r.rank : r.normalized === null ? null : byScore.indexOf(r) + 1);
      const ranked = [...entries].sort((a, b) => (rankOf(a) ?? Infinity) - (rankOf(b) ?? Infinity));
      const oracle = scaleRows.find((r) => r.role === 'oracle');
      const reference = scaleRows.find((r) => r.role === 'reference');
      const summary = summaries.get(setting);
      const scale = `${oracle?.entry ?? summary?.oracle ?? 'oracle'} = 0, ${reference?.entry ?? summary?.reference ?? 'reference'} = 1`;
      const title = bySetting.size > 1 ? `${task} · ${labels.get(setting) || setting}` : task;
      const table = new Table({ head: ['rank', 'entry', 'collapse area', ciHead(view), 'seeds'], style: COMPACT_STYLE });
      for (const r of ranked)
        table.push([
          rankOf(r) ?? '—',
          r.extraRealData ? `${r.entry} ${EXTRA_REAL}` : r.entry,
          fmt(r.normalized),
          interval(r.normalizedCi),
          seedsCell(r),
        ]);
      // The scale entries close the table, unranked: they define the scale rather than compete on it.
      for (const r of [oracle, reference]) if (r) table.push([r.role!, r.entry, fmt(r.normalized), interval(r.normalizedCi), seedsCell(r)]);
      if (out.length) out.push('');
      out.push(`${pc.bold(title)} — normalized collapse area, lower is better (${scale})`, table.toString());
      for (const [note, noted] of groupBy(
        settingRows.filter((r) => r.normalizedNote && r.normalizedNote !== summary?.note),
        (r) => r.normalizedNote!,
      )) {
        out.push(`  ${noted.map((r) => r.entry).join(', ')}: ${note}`);
      }
      if (entries.some((r) => r.extraRealData)) out.push(`  ${EXTRA_REAL_LEGEND}`);
      if (summary && !summary.collapse) {
        const absent = summary.seeds
          ? [summary.seeds.oracle === 0 && summary.oracle, summary.seeds.reference === 0 && summary.reference].filter((a): a is string =>
              Boolean(a),
            )
          : [];
        const hint = absent.length ? ` — add ${absent.map((a) => `--method ${a}`).join(' ')} to score this task` : '';
        out.push(
          pc.yellow(
            `  ${summary.note ?? `${summary.reference} does not collapse more than ${summary.oracle} here: no collapse to mitigate`}${hint}`,
          ),
        );
      }
    }
  }
  return out.join('\n');
}

/**
 * The cross-task leaderboard: each entry's interquartile mean of its normalized areas over the
 * settings it is scored on, then the entries that are scale entries (oracle or reference)
 * everywhere (never ranked).
 */
export function formatLeaderboard(scores: Scores | ScoresView): string {
  const view = scores as ScoresView;
  // Entries that apply to none of the scored tasks have no row, only a mention.
  const inapplicable = view.entries.filter((e) => e.coverage.applicable === 0 && e.iqm === null);
  const ranked = view.entries.filter((e) => (e.role ?? 'entry') === 'entry' && !inapplicable.includes(e));
  const references = view.entries.filter((e) => (e.role ?? 'entry') !== 'entry');
  // Ranks are comparable only among entries scored on the same tasks: name those when they differ.
  const bases = new Set(ranked.map((e) => (e.basis ?? []).join(', ')));
  const showBasis = bases.size > 1;
  const head = [
    'rank',
    'tier',
    'entry',
    'collapse area (IQM)',
    ciHead(view),
    ...(showBasis ? ['ranked on'] : []),
    'coverage',
    'real/chain',
    'time (s)',
  ];
  const table = new Table({ head, style: COMPACT_STYLE });
  const row = (rank: string | number, e: EntryRow) => [
    rank,
    e.tier ?? '—',
    e.extraRealData ? `${e.entry} ${EXTRA_REAL}` : e.entry,
    fmt(e.iqm),
    interval(e.ci),
    ...(showBasis ? [(e.basis ?? []).join(', ') || '—'] : []),
    `${e.coverage.applicable}/${e.coverage.total}`,
    Math.round(e.realSamplesPerChain),
    (e.wallMs / 1000).toFixed(2),
  ];
  for (const e of ranked) table.push(row(e.rank ?? '—', e));
  for (const e of references) table.push(row('reference', e));
  const out = [
    pc.bold("Leaderboard across tasks — IQM of the normalized collapse areas, lower is better (0 = each task's oracle, 1 = its reference)"),
    table.toString(),
  ];
  if (showBasis) out.push('  ranks compare entries ranked on the same tasks');
  for (const e of ranked.filter((e) => e.unranked)) out.push(`  ${e.entry}: not ranked — ${e.unranked}`);
  if (ranked.some((e) => e.extraRealData)) out.push(`  ${EXTRA_REAL_LEGEND}`);
  if (inapplicable.length) out.push(`  not applicable to these tasks: ${inapplicable.map((e) => e.entry).join(', ')}`);
  return out.join('\n');
}

/** Per-task tables, then the cross-task leaderboard (last, where a terminal leaves the eye). */
export function printScores(scores: Scores): void {
  if (scores.settings.length) console.log(`${formatTaskTables(scores)}\n`);
  console.log(formatLeaderboard(scores));
}
