/**
 * The numbers of README "Reproduction": reads the cell records a `collapse-bench run` wrote (one
 * per contamination, gamma and seed, gaussian-chain with known_variance) and prints, per
 * (contamination a, gamma), with 95% intervals over seeds:
 * - τ·v_τ/s² at the last generation (τ = t + 1 is the paper's round, s² = σ²/n): pooled mean of
 *   mean_sq_err over seeds × replicates, interval ±1.96 SE;
 * - the local rate d log v / d log τ between generations t₁ and the last (per seed, then a t
 *   interval over seeds): −1 is the 1/τ rate;
 * - v at the last generation relative to ERM's (gamma = 0) at the same a (paired: every method of
 *   a setting and seed starts from the same data), per seed, t interval;
 * each beside the prediction of the variance recursion (theory.ts).
 *
 *   npx tsx methods/generation-weighting/reproduce.ts [results folder, default runs/stats/gw] [t₁, default 50]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultRecord } from '../../harness/schema.ts';
import { tInterval95 } from '../../harness/stats.ts';
import { weightedMeanVariance } from './theory.ts';
import type { GenerationWeightingParams } from './method.ts';

/** Mean and 95% Student-t interval over seeds. */
function interval(xs: number[]): [number, number, number] {
  const { mean, low, high } = tInterval95(xs);
  return [mean, low, high];
}

const fmt = ([m, lo, hi]: number[], digits = 3) => `${m.toFixed(digits)} [${lo.toFixed(digits)}, ${hi.toFixed(digits)}]`;

const dir = process.argv[2] ?? 'runs/stats/gw';
const t1 = Number(process.argv[3] ?? 50);
const records = readdirSync(join(dir, 'cells'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(dir, 'cells', f), 'utf8')) as ResultRecord)
  .filter((r) => r.status === 'ok' && r.key.method === 'generation-weighting');
const groups = new Map<string, ResultRecord[]>();
for (const r of records) {
  const p = r.key.methodParams as GenerationWeightingParams;
  const id = `${p.contamination}|${p.gamma}|${p.split}`;
  groups.set(id, [...(groups.get(id) ?? []), r]);
}
const bySeed = (rs: ResultRecord[]) => new Map(rs.map((r) => [r.key.seed, r]));

for (const [, rs] of [...groups].sort()) {
  const p = rs[0].key.methodParams as GenerationWeightingParams;
  const tp = rs[0].key.taskParams as { samples: number; variance: number; generations: number };
  const T = tp.generations;
  const s2 = tp.variance / tp.samples;
  const predicted = weightedMeanVariance({ samples: tp.samples, variance: tp.variance, generations: T }, p);
  const v = (r: ResultRecord, t: number) => r.metrics.mean_sq_err.mean[t];
  const se = (r: ResultRecord, t: number) => r.metrics.mean_sq_err.se[t];
  const k = rs.length;
  const mean = rs.reduce((a, r) => a + v(r, T), 0) / k;
  const half = (1.96 * Math.sqrt(rs.reduce((a, r) => a + se(r, T) ** 2, 0))) / k;
  const scale = (T + 1) / s2;
  const rate = (r: ResultRecord) => Math.log(v(r, T) / v(r, t1)) / Math.log((T + 1) / (t1 + 1));
  const predictedRate = Math.log(predicted[T] / predicted[t1]) / Math.log((T + 1) / (t1 + 1));
  const ermId = `${p.contamination}|0|${p.split}`;
  let ratio = '';
  if (p.gamma !== 0 && groups.has(ermId)) {
    const erm = bySeed(groups.get(ermId)!);
    const paired = rs.filter((r) => erm.has(r.key.seed)).map((r) => v(r, T) / v(erm.get(r.key.seed)!, T));
    const ermPredicted = weightedMeanVariance({ samples: tp.samples, variance: tp.variance, generations: T }, { ...p, gamma: 0 });
    ratio = `; v_T / v_T(ERM) ${fmt(interval(paired))} (predicted ${(predicted[T] / ermPredicted[T]).toFixed(3)})`;
  } else if (p.gamma === 0) {
    ratio = `; v_T / v_0 ${fmt(interval(rs.map((r) => v(r, T) / v(r, 0))), 4)} (predicted ${(predicted[T] / predicted[0]).toFixed(4)})`;
  }
  console.log(
    `contamination a=${p.contamination} gamma=${+p.gamma.toFixed(4)} split=${p.split} (${k} seeds × ${(rs[0].key.taskParams as { replicates: number }).replicates}): ` +
      `τ·v_τ/s² at τ=${T + 1}: ${fmt([mean * scale, (mean - half) * scale, (mean + half) * scale], 2)} (predicted ${(predicted[T] * scale).toFixed(2)}); ` +
      `rate d log v/d log τ over τ=${t1 + 1}…${T + 1}: ${fmt(interval(rs.map(rate)))} (predicted ${predictedRate.toFixed(3)})${ratio}`,
  );
}
