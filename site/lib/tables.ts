/**
 * Every table of the site as data: what the Data page lists and the `/data/<name>.csv|json`
 * downloads serve. Each row that holds a number carries the exact command that reproduces it.
 */
import { formatParams } from '../../harness/report.ts';
import type { ResultRecord } from '../../harness/schema.ts';
import { checkoutCommand, reproduceCell, runCommand, versionLabel } from './commands.ts';
import type { CsvValue } from './csv.ts';
import type { SiteData } from './model.ts';
import { coverage, matrixCell, methodById, recordsByRow, recordsKey } from './views.ts';

export interface DataTable {
  /** File name without extension: `/data/<name>.csv` and `/data/<name>.json`. */
  name: string;
  title: string;
  description: string;
  columns: string[];
  rows: Record<string, CsvValue>[];
}

/** A version label and checkout command for a group of records (flagged when they disagree). */
function versionOf(records: readonly ResultRecord[]): { version: string; checkout: string } {
  const first = records[0];
  if (!first) return { version: '', checkout: '' };
  const commits = new Set(records.map((r) => r.provenance.gitCommit));
  const mixed = commits.size > 1 ? ` (records from ${commits.size} commits)` : '';
  return { version: versionLabel(first.provenance) + mixed, checkout: checkoutCommand(first.provenance) ?? '' };
}

export function leaderboardTable(data: SiteData): DataTable {
  const entries = data.current?.scores.entries ?? [];
  return {
    name: 'leaderboard',
    title: 'Leaderboard',
    description: 'One row per entry: IQM over task settings of the normalized collapse area (0 = real-only, 1 = replace; lower is better) with its stratified bootstrap interval.',
    columns: ['rank', 'tier', 'entry', 'method', 'kind', 'iqm', 'ci_low', 'ci_high', 'settings_scored', 'settings_missing', 'tasks_applicable', 'tasks_total', 'real_samples_per_chain', 'wall_ms'],
    rows: entries.map((e) => {
      const method = methodById(data, e.method);
      const cov = coverage(method, data);
      return {
        rank: e.rank, tier: e.tier, entry: e.entry, method: e.method, kind: method?.kind ?? 'unknown',
        iqm: e.iqm, ci_low: e.ci?.low ?? null, ci_high: e.ci?.high ?? null, settings_scored: e.settings, settings_missing: e.missing.length,
        tasks_applicable: cov.applicable, tasks_total: cov.total, real_samples_per_chain: e.realSamplesPerChain, wall_ms: e.wallMs,
      };
    }),
  };
}

export function matrixTable(data: SiteData): DataTable {
  const entries = data.current?.scores.entries ?? [];
  const rows = entries.flatMap((e) =>
    data.tasks.map((t) => {
      const cell = matrixCell(data, e, t);
      return {
        entry: e.entry, task: t.id,
        status: cell.kind,
        iqm: cell.kind === 'score' ? cell.value : null,
        settings_scored: cell.kind === 'score' ? cell.settings : 0,
        settings_total: cell.kind === 'n/a' ? 0 : cell.kind === 'score' ? cell.of : cell.settings,
        reason: cell.kind === 'n/a' ? cell.reason : '',
      };
    }),
  );
  return {
    name: 'task-matrix',
    title: 'Scores per task',
    description: 'Entry × task: IQM of the normalized collapse area over the task’s settings; status n/a where the method does not apply, missing where it applies but has no score.',
    columns: ['entry', 'task', 'status', 'iqm', 'settings_scored', 'settings_total', 'reason'],
    rows,
  };
}

/** Score rows per setting × entry, optionally of one task. */
export function scoresTable(data: SiteData, task?: string): DataTable {
  const current = data.current;
  const groups = recordsByRow(current?.records ?? []);
  const rows = (current?.scores.settings ?? [])
    .filter((s) => task === undefined || s.task === task)
    .map((s) => {
      const records = groups.get(recordsKey(s)) ?? [];
      const ok = records.filter((r) => r.status === 'ok');
      const { version, checkout } = versionOf(records);
      return {
        task: s.task, setting: s.setting, task_params: formatParams(s.taskParams), entry: s.entry, method: s.method, method_params: formatParams(s.methodParams),
        seeds: s.seeds, failed: s.failed, timeout: s.timeout, skipped: s.skipped,
        // `?? null`, not undefined: JSON rows must keep every column the CSV has.
        normalized: s.normalized, normalized_low: s.normalizedCi?.low ?? null, normalized_high: s.normalizedCi?.high ?? null, normalized_note: s.normalizedNote ?? '',
        final: s.final, final_low: s.finalCi?.low ?? null, final_high: s.finalCi?.high ?? null,
        steps_to_collapse: s.stepsToCollapse, censored: s.censored,
        real_samples_per_chain: s.realSamplesPerChain, wall_ms: s.wallMs,
        version, checkout, command: runCommand(s, (ok.length ? ok : records).map((r) => r.key.seed)),
      };
    });
  return {
    name: task === undefined ? 'scores' : `scores-${task}`,
    title: task === undefined ? 'Scores per task setting' : `Scores per setting: ${data.tasks.find((t) => t.id === task)?.title ?? task}`,
    description: 'One row per task setting × entry: normalized collapse area and final primary value with 95% bootstrap intervals over seeds, steps to collapse, budget, time, and the command that reproduces the row (run it at the given version).',
    columns: ['task', 'setting', 'task_params', 'entry', 'method', 'method_params', 'seeds', 'failed', 'timeout', 'skipped', 'normalized', 'normalized_low', 'normalized_high', 'normalized_note', 'final', 'final_low', 'final_high', 'steps_to_collapse', 'censored', 'real_samples_per_chain', 'wall_ms', 'version', 'checkout', 'command'],
    rows,
  };
}

/** Per-task leaderboards (IQM over the task's settings), one table per task with results. */
export function taskLeaderboardTable(data: SiteData, task: string): DataTable {
  const entries = data.current?.byTask[task]?.entries ?? [];
  return {
    name: `leaderboard-${task}`,
    title: `Leaderboard: ${data.tasks.find((t) => t.id === task)?.title ?? task}`,
    description: 'Entries ranked on this task alone: IQM over its settings of the normalized collapse area, with a stratified bootstrap interval.',
    columns: ['rank', 'tier', 'entry', 'method', 'iqm', 'ci_low', 'ci_high', 'settings_scored', 'settings_missing', 'real_samples_per_chain', 'wall_ms'],
    rows: entries.map((e) => ({
      rank: e.rank, tier: e.tier, entry: e.entry, method: e.method, iqm: e.iqm, ci_low: e.ci?.low ?? null, ci_high: e.ci?.high ?? null,
      settings_scored: e.settings, settings_missing: e.missing.length, real_samples_per_chain: e.realSamplesPerChain, wall_ms: e.wallMs,
    })),
  };
}

/** One row per record of the current run, with its own reproduction recipe. */
export function cellsTable(data: SiteData): DataTable {
  const tasks = new Map(data.tasks.map((t) => [t.id, t]));
  const rows = (data.current?.records ?? []).map((r) => {
    const primary = tasks.get(r.key.task)?.metrics.find((m) => m.primary)?.name;
    const series = primary ? r.metrics[primary] : undefined;
    return {
      id: r.id, task: r.key.task, task_params: formatParams(r.key.taskParams), method: r.key.method, method_params: formatParams(r.key.methodParams), seed: r.key.seed,
      status: r.status, reason: r.reason ?? '', primary_metric: primary ?? '', final: series?.mean.at(-1) ?? null, final_se: series?.se.at(-1) ?? null,
      real_samples_per_chain: r.budget.realSamplesPerChain, wall_ms: r.timing.wallMs, backend: r.provenance.backend,
      version: versionLabel(r.provenance), date: r.provenance.date, record: `cells/${r.id}.json`, reproduce: reproduceCell(r),
    };
  });
  return {
    name: 'cells',
    title: 'Cells (one per task setting × entry × seed)',
    description: 'Every current result record with its status, final primary value and the commands that recompute it and check it bit for bit.',
    columns: ['id', 'task', 'task_params', 'method', 'method_params', 'seed', 'status', 'reason', 'primary_metric', 'final', 'final_se', 'real_samples_per_chain', 'wall_ms', 'backend', 'version', 'date', 'record', 'reproduce'],
    rows,
  };
}

export function runsTable(data: SiteData): DataTable {
  return {
    name: 'runs',
    title: 'Runs',
    description: 'Published runs, newest first (or the local run folder), with their number of cells and of stale cells.',
    columns: ['id', 'date', 'git_commits', 'harness_versions', 'profile', 'cells', 'stale_cells', 'changes', 'command'],
    rows: data.runs.map((r) => ({
      id: r.id, date: r.date, git_commits: r.gitCommits.join(' '), harness_versions: r.harnessVersions.join(' '), profile: r.profile,
      cells: r.cells, stale_cells: r.stale.length, changes: r.changes.length, command: r.command,
    })),
  };
}

export function changesTable(data: SiteData): DataTable {
  return {
    name: 'changes',
    title: 'Changelog',
    description: 'Score and rank changes between consecutive published runs, each with the code change that caused it.',
    columns: ['run', 'entry', 'setting', 'field', 'before', 'after', 'cause'],
    rows: data.runs.flatMap((r) => r.changes.map((c) => ({ run: r.id, entry: c.entry, setting: c.setting ?? 'all settings', field: c.field, before: c.before, after: c.after, cause: c.cause }))),
  };
}

export function staleTable(data: SiteData): DataTable {
  return {
    name: 'stale',
    title: 'Stale records',
    description: 'Records of the shown run computed by code that has changed since: left out of every score.',
    columns: ['id', 'task', 'method', 'seed', 'reason'],
    rows: (data.current?.run.stale ?? []).map((s) => ({ ...s })),
  };
}

export function applicabilityTable(data: SiteData): DataTable {
  return {
    name: 'applicability',
    title: 'Applicability',
    description: 'Method × task: whether the task exposes every hook the method implements (derived from code, never hand-written).',
    columns: ['method', 'kind', 'task', 'applies', 'reason'],
    rows: data.methods.flatMap((m) => data.tasks.map((t) => ({ method: m.id, kind: m.kind, task: t.id, applies: m.applicability[t.id] === null, reason: m.applicability[t.id] ?? '' }))),
  };
}

/** Every downloadable table. */
export function dataTables(data: SiteData): DataTable[] {
  const perTask = data.tasks.flatMap((t) => [taskLeaderboardTable(data, t.id), scoresTable(data, t.id)]);
  return [leaderboardTable(data), matrixTable(data), scoresTable(data), ...perTask, cellsTable(data), runsTable(data), changesTable(data), staleTable(data), applicabilityTable(data)];
}
