/**
 * The comparisons the alignment protocol is about, read off the per-epoch curves: how many
 * epochs an entry needs to reach a target reward, and how much diversity it keeps when it gets
 * there (Lee & Ye compare epochs to a target reward and quality at matched reward). Linear
 * interpolation between evaluations.
 *
 *   node --import tsx benchmarks/diffusion-align/matched.ts [results folder] [target reward] [reference entry] [own|native]
 *
 * prints, per entry and seed, the epoch at which the reward first reaches the target and
 * recall / modes covered there (defaults: runs/latest, −1.5, grpo); then, per setting and
 * entry, the comparison with the reference paired by seed (the same seed is the same
 * pretrained model and the same evaluation draws): mean epochs to the target, the mean paired
 * difference and the relative change of the mean with 95% paired-bootstrap intervals over
 * seeds. A run that never reaches the target counts as its last epoch (a lower bound: the
 * summary says how many did). `native` reads the secondary view instead (reward_native and
 * recall_native: every entry's weights sampled with the native η = 1 stds).
 */
import Table from 'cli-table3';
import { ResultStore } from '../../harness/cache.ts';
import task from './task.ts';
import { findMethod, loadRegistry } from '../../harness/registry.ts';
import { rngFromKey, type Rng } from '../../harness/rng.ts';
import { percentileInterval } from '../../harness/scoring.ts';

/** Bootstrap resamples of the paired summary. */
const RESAMPLES = 10_000;

export interface PairedSummary {
  n: number;
  meanEntry: number;
  meanReference: number;
  /** mean(entry − reference) and its 95% percentile-bootstrap interval over pairs. */
  difference: number;
  differenceInterval: [number, number];
  /** mean(entry)/mean(reference) − 1 and its interval (the same resamples). */
  relative: number;
  relativeInterval: [number, number];
  /** Pairs in which the entry's value is below the reference's. */
  entryLower: number;
}

/** Paired comparison over seeds: mean difference and relative change with percentile-bootstrap 95% intervals (pairs resampled together). */
export function pairedSummary(entry: number[], reference: number[], rng: Rng, resamples = RESAMPLES): PairedSummary {
  const n = entry.length;
  if (n === 0 || reference.length !== n) throw new Error(`pairedSummary needs equal, nonempty samples (got ${n} and ${reference.length})`);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const differences = new Float64Array(resamples);
  const ratios = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let e = 0;
    let r = 0;
    for (let k = 0; k < n; k++) {
      const j = rng.int(n);
      e += entry[j];
      r += reference[j];
    }
    differences[b] = (e - r) / n;
    ratios[b] = e / r - 1;
  }
  const interval = (xs: Float64Array): [number, number] => {
    const { low, high } = percentileInterval(Array.from(xs), 0.95);
    return [low, high];
  };
  return {
    n,
    meanEntry: mean(entry),
    meanReference: mean(reference),
    difference: mean(entry) - mean(reference),
    differenceInterval: interval(differences),
    relative: mean(entry) / mean(reference) - 1,
    relativeInterval: interval(ratios),
    entryLower: entry.filter((x, k) => x < reference[k]).length,
  };
}

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

async function main(folder: string, target: number, reference: string, view: string): Promise<void> {
  if (view !== 'own' && view !== 'native') throw new Error(`view must be own or native, got ${view}`);
  const suffix = view === 'native' ? '_native' : '';
  const registry = await loadRegistry();
  const findMethodDefaults = (id: string): Record<string, unknown> => findMethod(registry, id)?.definition.params.parse({}) ?? {};
  const records = new ResultStore(folder).readAll().filter((r) => r.key.task === 'diffusion-align' && r.status === 'ok');
  if (records.length === 0) throw new Error(`no diffusion-align results in ${folder}/cells`);
  const defaults: Record<string, unknown> = task.params.parse({});
  // A setting is named by its parameters that differ from the defaults.
  const setting = (params: Record<string, unknown>) =>
    Object.entries(params)
      .filter(([k, v]) => defaults[k] !== v)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || 'defaults';
  const table = new Table({
    head: [
      'setting',
      'entry',
      'seed',
      `epochs to reward ${target} (${view} sampler)`,
      'recall there',
      view === 'own' ? 'modes there' : 'modes there (own sampler)',
      'final reward',
      'final recall',
    ],
  });
  // An entry is named by its method parameters that differ from the method's defaults.
  const entry = (method: string, params: Record<string, unknown>) => {
    const own = findMethodDefaults(method);
    const changed = Object.entries(params)
      .filter(([k, v]) => own[k] !== v)
      .map(([k, v]) => `${k}=${v}`);
    return changed.length > 0 ? `${method}(${changed.join(', ')})` : method;
  };
  records.sort(
    (a, b) =>
      setting(a.key.taskParams).localeCompare(setting(b.key.taskParams)) ||
      entry(a.key.method, a.key.methodParams).localeCompare(entry(b.key.method, b.key.methodParams)) ||
      a.key.seed - b.key.seed,
  );
  // setting → entry → seed → (epochs to target or the last epoch, reached?, recall there)
  const runs = new Map<string, Map<string, Map<number, { epochs: number; reached: boolean; recall?: number }>>>();
  for (const r of records) {
    if (r.status !== 'ok') continue;
    const reward = r.metrics[`reward${suffix}`].mean;
    const recall = r.metrics[`recall${suffix}`].mean;
    const modes = r.metrics.modes_covered.mean;
    const at = firstCrossing(r.steps, reward, target);
    const name = entry(r.key.method, r.key.methodParams);
    table.push([
      setting(r.key.taskParams),
      name,
      r.key.seed,
      at === undefined ? 'never' : at.toFixed(1),
      at === undefined ? '—' : valueAt(r.steps, recall, at).toFixed(3),
      at === undefined ? '—' : valueAt(r.steps, modes, at).toFixed(1),
      reward.at(-1)!.toFixed(3),
      recall.at(-1)!.toFixed(3),
    ]);
    const bySetting = runs.get(setting(r.key.taskParams)) ?? new Map();
    runs.set(setting(r.key.taskParams), bySetting);
    const byEntry = bySetting.get(name) ?? new Map();
    bySetting.set(name, byEntry);
    byEntry.set(r.key.seed, {
      epochs: at ?? r.steps.at(-1)!,
      reached: at !== undefined,
      recall: at === undefined ? undefined : valueAt(r.steps, recall, at),
    });
  }
  console.log(table.toString());

  const summary = new Table({
    head: [
      'setting',
      'entry',
      'seeds',
      `reached ${target} (entry/ref)`,
      'mean epochs entry',
      `mean epochs ${reference}`,
      'difference (95% CI)',
      'relative (95% CI)',
      'entry faster',
      'recall there: difference (95% CI, seeds both reach)',
    ],
  });
  const f = (x: number, d = 1) => x.toFixed(d);
  for (const [name, bySetting] of runs) {
    const ref = bySetting.get(reference);
    if (!ref) continue;
    for (const [entryName, byEntry] of bySetting) {
      if (entryName === reference) continue;
      const seeds = [...byEntry.keys()].filter((s) => ref.has(s)).sort((a, b) => a - b);
      if (seeds.length === 0) continue;
      const rng = rngFromKey({ setting: name, entry: entryName, reference, target }, 'matched-bootstrap');
      const s = pairedSummary(
        seeds.map((k) => byEntry.get(k)!.epochs),
        seeds.map((k) => ref.get(k)!.epochs),
        rng,
      );
      const both = seeds.filter((k) => byEntry.get(k)!.reached && ref.get(k)!.reached);
      const recall =
        both.length > 0
          ? pairedSummary(
              both.map((k) => byEntry.get(k)!.recall!),
              both.map((k) => ref.get(k)!.recall!),
              rng.fork('recall'),
            )
          : undefined;
      summary.push([
        name,
        entryName,
        seeds.length,
        `${seeds.filter((k) => byEntry.get(k)!.reached).length}/${seeds.filter((k) => ref.get(k)!.reached).length}`,
        f(s.meanEntry),
        f(s.meanReference),
        `${f(s.difference)} [${f(s.differenceInterval[0])}, ${f(s.differenceInterval[1])}]`,
        `${f(100 * s.relative)}% [${f(100 * s.relativeInterval[0])}, ${f(100 * s.relativeInterval[1])}]`,
        `${s.entryLower}/${s.n}`,
        recall
          ? `${f(recall.difference, 3)} [${f(recall.differenceInterval[0], 3)}, ${f(recall.differenceInterval[1], 3)}] (${both.length})`
          : '—',
      ]);
    }
  }
  console.log(`Paired by seed against ${reference} (runs that never reach ${target} count as their last epoch):`);
  console.log(summary.toString());
}

if (import.meta.url === `file://${process.argv[1]}`)
  await main(process.argv[2] ?? 'runs/latest', Number(process.argv[3] ?? -1.5), process.argv[4] ?? 'grpo', process.argv[5] ?? 'own');
