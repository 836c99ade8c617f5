/**
 * Every table of the site as data: what the Data page lists and the `/data/<name>.csv|json`
 * downloads serve. Each row that holds a number carries the exact command that reproduces it.
 */
import { formatParams } from '../../harness/scoring.ts';
import type { ResultRecord } from '../../harness/schema.ts';
import type { Improvement, Scores, SettingScore } from '../../harness/scoring.ts';
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
    description:
      'One row per entry: IQM of the normalized collapse score (0 = the task’s oracle, 1 = its reference; lower is better) over the basis — the settings with collapse where the entry is scored — with its stratified bootstrap interval. ' +
      'Rank and tier are within the entries of the same basis and track (extra_real_data); references (the scale entries: oracle = 0, reference = 1) are never ranked. poi_*: probability of improvement over the reference and over the best baseline.',
    columns: [
      'role',
      'basis',
      'extra_real_data',
      'rank',
      'tier',
      'unranked',
      'entry',
      'method',
      'kind',
      'iqm',
      'ci_low',
      'ci_high',
      ...poiColumns('poi_reference'),
      ...poiColumns('poi_best_baseline'),
      'settings_scored',
      'settings_missing',
      'tasks_applicable',
      'tasks_total',
      'wall_ms',
    ],
    rows: entries.map((e) => {
      const method = methodById(data, e.method);
      const cov = coverage(method, data);
      return {
        role: e.role,
        basis: e.basis.join(' '),
        extra_real_data: e.extraRealData,
        rank: e.rank,
        tier: e.tier,
        unranked: e.unranked ?? '',
        entry: e.entry,
        method: e.method,
        kind: method?.kind ?? 'unknown',
        iqm: e.iqm,
        ci_low: e.ci?.low ?? null,
        ci_high: e.ci?.high ?? null,
        ...poiCells('poi_reference', e.improvement.reference),
        ...poiCells('poi_best_baseline', e.improvement.bestBaseline),
        settings_scored: e.settings,
        settings_missing: e.missing.length,
        tasks_applicable: cov.applicable,
        tasks_total: cov.total,
        wall_ms: e.wallMs,
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
        entry: e.entry,
        task: t.id,
        status: cell.kind,
        iqm: cell.kind === 'score' ? cell.value : null,
        settings_scored: cell.kind === 'score' ? cell.settings : 0,
        settings_total: cell.kind === 'n/a' || cell.kind === 'reference' ? 0 : cell.kind === 'score' ? cell.of : cell.settings,
        reason: cell.kind === 'n/a' ? cell.reason : '',
      };
    }),
  );
  return {
    name: 'task-matrix',
    title: 'Scores per task',
    description:
      'Entry × task: IQM of the normalized collapse score over the task’s settings with collapse; status n/a where the method does not apply, reference where the entry is one of the task’s scale entries (oracle or reference), missing where it applies but has no score.',
    columns: ['entry', 'task', 'status', 'iqm', 'settings_scored', 'settings_total', 'reason'],
    rows,
  };
}

/** The rows a score row's numbers depend on: its setting's oracle and reference, and the baseline it is compared with. */
export function dependencies(scores: Scores | undefined, row: SettingScore): SettingScore[] {
  const summary = scores?.settingSummaries.find((x) => x.setting === row.setting);
  const names = [summary?.oracle, summary?.reference, row.improvement.bestBaseline?.over].filter((n): n is string => n !== undefined);
  return (scores?.settings ?? []).filter((r) => r.setting === row.setting && r.entry !== row.entry && names.includes(r.entry));
}

/** Score rows per setting × entry, optionally of one task. */
export function scoresTable(data: SiteData, task?: string): DataTable {
  const current = data.current;
  const groups = recordsByRow(current?.records ?? []);
  const collapse = new Map((current?.scores.settingSummaries ?? []).map((x) => [x.setting, x.collapse]));
  const rows = (current?.scores.settings ?? [])
    .filter((s) => task === undefined || s.task === task)
    .map((s) => {
      const records = groups.get(recordsKey(s)) ?? [];
      const ok = records.filter((r) => r.status === 'ok');
      const { version, checkout } = versionOf(records);
      return {
        task: s.task,
        setting: s.setting,
        setting_collapses: collapse.get(s.setting) ?? false,
        task_params: formatParams(s.taskParams),
        entry: s.entry,
        method: s.method,
        method_params: formatParams(s.methodParams),
        role: s.role,
        rank: s.rank,
        extra_real_data: s.extraRealData,
        seeds: s.seeds,
        failed: s.failed,
        timeout: s.timeout,
        skipped: s.skipped,
        // `?? null`, not undefined: JSON rows must keep every column the CSV has.
        normalized: s.normalized,
        normalized_low: s.normalizedCi?.low ?? null,
        normalized_high: s.normalizedCi?.high ?? null,
        normalized_note: s.normalizedNote ?? '',
        final: s.final,
        final_low: s.finalCi?.low ?? null,
        final_high: s.finalCi?.high ?? null,
        matched_primary: s.matched?.primary ?? null,
        matched_step: s.matched?.step ?? null,
        ...poiCells('poi_reference', s.improvement.reference),
        ...poiCells('poi_best_baseline', s.improvement.bestBaseline),
        steps_to_collapse: s.stepsToCollapse,
        censored: s.censored,
        real_samples_per_chain: s.realSamplesPerChain,
        budget_unit: current?.budgetUnits[s.setting] ?? 'samples',
        wall_ms: s.wallMs,
        version,
        checkout,
        command: runCommand(
          s,
          (ok.length ? ok : records).map((r) => r.key.seed),
          'repro',
          dependencies(current?.scores, s),
        ),
      };
    });
  return {
    name: task === undefined ? 'scores' : `scores-${task}`,
    title: task === undefined ? 'Scores per task setting' : `Scores per setting: ${data.tasks.find((t) => t.id === task)?.title ?? task}`,
    description:
      'One row per task setting × entry: normalized collapse area and final primary value with 95% bootstrap intervals over seeds, steps to collapse, budget, time, and the command that reproduces the row (run it at the given version).',
    columns: [
      'task',
      'setting',
      'setting_collapses',
      'task_params',
      'entry',
      'method',
      'method_params',
      'role',
      'rank',
      'extra_real_data',
      'seeds',
      'failed',
      'timeout',
      'skipped',
      'normalized',
      'normalized_low',
      'normalized_high',
      'normalized_note',
      'final',
      'final_low',
      'final_high',
      'matched_primary',
      'matched_step',
      ...poiColumns('poi_reference'),
      ...poiColumns('poi_best_baseline'),
      'steps_to_collapse',
      'censored',
      'real_samples_per_chain',
      'budget_unit',
      'wall_ms',
      'version',
      'checkout',
      'command',
    ],
    rows,
  };
}

/** Per-task leaderboards (IQM over the task's settings), one table per task with results. */
export function taskLeaderboardTable(data: SiteData, task: string): DataTable {
  const entries = data.current?.byTask[task]?.entries ?? [];
  return {
    name: `leaderboard-${task}`,
    title: `Leaderboard: ${data.tasks.find((t) => t.id === task)?.title ?? task}`,
    description:
      'Entries ranked on this task alone: IQM over its settings of the normalized collapse area, with a stratified bootstrap interval.',
    columns: [
      'role',
      'extra_real_data',
      'rank',
      'tier',
      'unranked',
      'entry',
      'method',
      'iqm',
      'ci_low',
      'ci_high',
      ...poiColumns('poi_reference'),
      ...poiColumns('poi_best_baseline'),
      'settings_scored',
      'settings_missing',
      'real_samples_per_chain',
      'wall_ms',
    ],
    rows: entries.map((e) => ({
      role: e.role,
      extra_real_data: e.extraRealData,
      rank: e.rank,
      tier: e.tier,
      unranked: e.unranked ?? '',
      entry: e.entry,
      method: e.method,
      iqm: e.iqm,
      ci_low: e.ci?.low ?? null,
      ci_high: e.ci?.high ?? null,
      ...poiCells('poi_reference', e.improvement.reference),
      ...poiCells('poi_best_baseline', e.improvement.bestBaseline),
      settings_scored: e.settings,
      settings_missing: e.missing.length,
      real_samples_per_chain: e.realSamplesPerChain,
      wall_ms: e.wallMs,
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
      id: r.id,
      task: r.key.task,
      task_params: formatParams(r.key.taskParams),
      method: r.key.method,
      method_params: formatParams(r.key.methodParams),
      seed: r.key.seed,
      status: r.status,
      reason: r.reason ?? '',
      primary_metric: primary ?? '',
      final: series?.mean.at(-1) ?? null,
      final_se: series?.se.at(-1) ?? null,
      real_samples_per_chain: r.budget.realSamplesPerChain,
      wall_ms: r.timing.wallMs,
      backend: r.provenance.backend,
      version: versionLabel(r.provenance),
      date: r.provenance.date,
      record: `cells/${r.id}.json`,
      reproduce: reproduceCell(r),
    };
  });
  return {
    name: 'cells',
    title: 'Cells (one per task setting × entry × seed)',
    description:
      'Every current result record with its status, final primary value and the commands that recompute it and check it bit for bit.',
    columns: [
      'id',
      'task',
      'task_params',
      'method',
      'method_params',
      'seed',
      'status',
      'reason',
      'primary_metric',
      'final',
      'final_se',
      'real_samples_per_chain',
      'wall_ms',
      'backend',
      'version',
      'date',
      'record',
      'reproduce',
    ],
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
      id: r.id,
      date: r.date,
      git_commits: r.gitCommits.join(' '),
      harness_versions: r.harnessVersions.join(' '),
      profile: r.profile,
      cells: r.cells,
      stale_cells: r.stale.length,
      changes: r.changes.length,
      command: r.command,
    })),
  };
}

export function changesTable(data: SiteData): DataTable {
  return {
    name: 'changes',
    title: 'Changelog',
    description: 'Score and rank changes between consecutive published runs, each with the code change that caused it.',
    columns: ['run', 'entry', 'setting', 'field', 'before', 'after', 'cause'],
    rows: data.runs.flatMap((r) =>
      r.changes.map((c) => ({
        run: r.id,
        entry: c.entry,
        setting: c.setting ?? 'all settings',
        field: c.field,
        before: c.before,
        after: c.after,
        cause: c.cause,
      })),
    ),
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
    rows: data.methods.flatMap((m) =>
      data.tasks.map((t) => ({
        method: m.id,
        kind: m.kind,
        task: t.id,
        applies: m.applicability[t.id] === null,
        reason: m.applicability[t.id] ?? '',
      })),
    ),
  };
}

/** Every downloadable table. */
export function dataTables(data: SiteData): DataTable[] {
  const perTask = data.tasks.flatMap((t) => [taskLeaderboardTable(data, t.id), scoresTable(data, t.id)]);
  return [
    leaderboardTable(data),
    matrixTable(data),
    scoresTable(data),
    ...perTask,
    cellsTable(data),
    runsTable(data),
    changesTable(data),
    staleTable(data),
    applicabilityTable(data),
  ];
}

/** Columns of a probability of improvement: value, interval, comparator. */
function poiColumns(prefix: string): string[] {
  return [prefix, `${prefix}_low`, `${prefix}_high`, `${prefix}_over`];
}

function poiCells(prefix: string, poi: Improvement | null): Record<string, CsvValue> {
  return {
    [prefix]: poi?.value ?? null,
    [`${prefix}_low`]: poi?.ci?.low ?? null,
    [`${prefix}_high`]: poi?.ci?.high ?? null,
    [`${prefix}_over`]: poi?.over ?? '',
  };
}
