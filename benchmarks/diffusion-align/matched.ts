/**
 * The comparisons the alignment protocol is about, read off the per-epoch curves: how many
 * epochs an entry needs to reach a target reward, and how much diversity it keeps when it gets
 * there (Lee & Ye compare epochs to a target reward and quality at matched reward). Linear
 * interpolation between evaluations.
 *
 *   node --import tsx benchmarks/diffusion-align/matched.ts [results folder] [target reward]
 *
 * prints, per entry and seed, the epoch at which the reward first reaches the target and
 * recall / modes covered there (defaults: runs/latest, −1.5).
 */
import Table from 'cli-table3';
import { ResultStore } from '../../harness/cache.ts';
import task from './task.ts';
import { findMethod, loadRegistry } from '../../harness/registry.ts';

/** Where a curve first reaches `target` (upward), interpolated between steps; undefined if never. */
export function firstCrossing(steps: number[], values: number[], target: number): number | undefined {
  for (let i = 0; i < values.length; i++) {
    if (values[i] < target) continue;
    if (i === 0) return steps[0];
    const f = (target - values[i - 1]) / (values[i] - values[i - 1]);
    return steps[i - 1] + f * (steps[i] - steps[i - 1]);
  }
  return undefined;
}

/** A curve's value at step x (linear interpolation; x within the steps). */
export function valueAt(steps: number[], values: number[], x: number): number {
  if (x <= steps[0]) return values[0];
  for (let i = 1; i < steps.length; i++) {
    if (x <= steps[i]) return values[i - 1] + ((x - steps[i - 1]) / (steps[i] - steps[i - 1])) * (values[i] - values[i - 1]);
  }
  return values[values.length - 1];
}

async function main(folder: string, target: number): Promise<void> {
  const registry = await loadRegistry();
  const findMethodDefaults = (id: string): Record<string, unknown> => findMethod(registry, id)?.definition.params.parse({}) ?? {};
  const records = new ResultStore(folder).readAll().filter((r) => r.key.task === 'diffusion-align' && r.status === 'ok');
  if (records.length === 0) throw new Error(`no diffusion-align results in ${folder}/cells`);
  const defaults: Record<string, unknown> = task.params.parse({});
  // A setting is named by its parameters that differ from the defaults.
  const setting = (params: Record<string, unknown>) => Object.entries(params).filter(([k, v]) => defaults[k] !== v).map(([k, v]) => `${k}=${v}`).join(' ') || 'defaults';
  const table = new Table({ head: ['setting', 'entry', 'seed', `epochs to reward ${target}`, 'recall there', 'modes there', 'final reward', 'final recall'] });
  // An entry is named by its method parameters that differ from the method's defaults.
  const entry = (method: string, params: Record<string, unknown>) => {
    const own = findMethodDefaults(method);
    const changed = Object.entries(params).filter(([k, v]) => own[k] !== v).map(([k, v]) => `${k}=${v}`);
    return changed.length > 0 ? `${method}(${changed.join(', ')})` : method;
  };
  records.sort((a, b) => setting(a.key.taskParams).localeCompare(setting(b.key.taskParams)) || entry(a.key.method, a.key.methodParams).localeCompare(entry(b.key.method, b.key.methodParams)) || a.key.seed - b.key.seed);
  for (const r of records) {
    if (r.status !== 'ok') continue;
    const reward = r.metrics.reward.mean;
    const recall = r.metrics.recall.mean;
    const modes = r.metrics.modes_covered.mean;
    const at = firstCrossing(r.steps, reward, target);
    table.push([setting(r.key.taskParams), entry(r.key.method, r.key.methodParams), r.key.seed, at === undefined ? 'never' : at.toFixed(1), at === undefined ? '—' : valueAt(r.steps, recall, at).toFixed(3), at === undefined ? '—' : valueAt(r.steps, modes, at).toFixed(1), reward.at(-1)!.toFixed(3), recall.at(-1)!.toFixed(3)]);
  }
  console.log(table.toString());
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv[2] ?? 'runs/latest', Number(process.argv[3] ?? -1.5));
