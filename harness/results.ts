/**
 * Glue between stored records and what commands show: current vs stale records, scores
 * over current records, and theory curves per scored setting.
 */
import type { ResultRecord } from './schema.ts';
import { findTask, type Registry } from './registry.ts';
import type { MetricSpec, TheoryCurve, AnyTask } from './types.ts';
import { staleReason } from './cache.ts';
import { score, type Scores, type TaskInfo } from './scoring.ts';
import { hashValue } from './hash.ts';

export function taskInfos(registry: Registry): TaskInfo[] {
  return registry.tasks.map(({ definition: t }) => {
    const info = (metric: MetricSpec & { direction: 'lower' | 'higher' }) => ({
      name: metric.name,
      direction: metric.direction,
      ...(metric.collapseThreshold !== undefined && { collapseThreshold: metric.collapseThreshold }),
    });
    return {
      id: t.id,
      stepAxis: t.stepAxis,
      primary: info(primaryMetric(t)),
      ...(t.primaryFor && { primaryFor: (taskParams: Record<string, unknown>) => info(primaryMetric(t, taskParams)) }),
      ...(t.scoreScale && { scoreScale: { ...t.scoreScale } }),
      ...(t.tradeoff && { tradeoff: tradeoffInfo(t, t.tradeoff.metric) }),
    };
  });
}

/** The trade-off metric's name and direction (TaskBase.tradeoff). */
function tradeoffInfo(task: AnyTask, name: string): { metric: string; direction: 'lower' | 'higher' } {
  const metric = task.metrics.find((m) => m.name === name);
  if (!metric || metric.direction === 'target')
    throw new Error(`task ${task.id}: trade-off metric "${name}" must be one of its metrics, with direction lower or higher`);
  return { metric: name, direction: metric.direction };
}

/**
 * The task's primary metric, for given parameters when the task's primary depends on them (the
 * registry guarantees exactly one flagged metric, with direction lower or higher).
 */
export function primaryMetric(task: AnyTask, taskParams?: Record<string, unknown>): MetricSpec & { direction: 'lower' | 'higher' } {
  const name = taskParams && task.primaryFor ? task.primaryFor(task.params.parse(taskParams)) : undefined;
  const primary = name === undefined ? task.metrics.find((m) => m.primary) : task.metrics.find((m) => m.name === name);
  if (!primary || primary.direction === 'target')
    throw new Error(`task ${task.id}: no primary metric${name ? ` "${name}"` : ''} with direction lower or higher`);
  return primary as MetricSpec & { direction: 'lower' | 'higher' };
}

export interface SplitRecords {
  current: ResultRecord[];
  stale: { record: ResultRecord; reason: string }[];
}

/** Stale records (code changed since they were computed) are never scored as current. */
export function splitStale(records: ResultRecord[], registry: Registry): SplitRecords {
  const split: SplitRecords = { current: [], stale: [] };
  for (const record of records) {
    const reason = staleReason(record, registry);
    if (reason) split.stale.push({ record, reason });
    else split.current.push(record);
  }
  return split;
}

/** Records in a deterministic order (task, task params, method, method params, seed), as any run or merge of shards yields. */
export function sortRecords(records: ResultRecord[]): ResultRecord[] {
  const order = (r: ResultRecord) =>
    [r.key.task, hashValue(r.key.taskParams), r.key.method, hashValue(r.key.methodParams), String(r.key.seed).padStart(8, '0')].join(
      '\u0000',
    );
  return [...records].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/** Scores over the tasks present in the records (a one-task run shows coverage out of 1). */
export function scoreRecords(records: ResultRecord[], registry: Registry): Scores {
  const present = new Set(records.map((r) => r.key.task));
  return score(
    records,
    taskInfos(registry).filter((t) => present.has(t.id)),
    { baselines: baselineIds(registry) },
  );
}

/** Ids of the baselines (baselines/<id>): the comparators of the probability of improvement. */
export function baselineIds(registry: Registry): string[] {
  return registry.methods.filter((m) => m.definition.kind === 'baseline').map((m) => m.definition.id);
}

/** Closed-form curves for each distinct task setting among the records, keyed like scores' settings. */
export function theoryBySetting(registry: Registry, scores: Scores): { setting: string; curves: TheoryCurve[] }[] {
  const out: { setting: string; curves: TheoryCurve[] }[] = [];
  const seen = new Set<string>();
  for (const row of scores.settings) {
    if (seen.has(row.setting)) continue;
    seen.add(row.setting);
    const task = findTask(registry, row.task)?.definition;
    if (task?.theory) out.push({ setting: row.setting, curves: task.theory(task.params.parse(row.taskParams)) });
  }
  return out;
}
