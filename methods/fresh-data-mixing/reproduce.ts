/**
 * The numbers of README "Reproduction" (Bakshi & Chakraborty, recursive-lm markov): reads the
 * cell records a `collapse-bench run` wrote and prints, per setting (method, its parameters and
 * the task's sample-size growth), at the given generations: l2_err = E‖p̂_t − p*‖² pooled over
 * seeds × replicates with a 95% interval (±1.96 SE), the exact recursion's prediction
 *
 *   e_t = (1 − α_t)²(1 − 1/n_t)·e_{t−1} + (1 − ‖p*‖²)/n_t   (replace: α_t = 0)
 *
 * and z = (measured − predicted)/SE, plus the support (share of the true support kept).
 *
 *   npx tsx methods/fresh-data-mixing/reproduce.ts [results folder, default runs/stats/fdm] [generations, default 1,10,25,50]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultRecord } from '../../harness/schema.ts';
import { l2ErrorRecursion, sqNorm, zipfPmf } from '../../benchmarks/recursive-lm/theory.ts';
import { realFraction, type FreshDataMixingParams } from './method.ts';

const dir = process.argv[2] ?? 'runs/stats/fdm';
const records = readdirSync(join(dir, 'cells'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(dir, 'cells', f), 'utf8')) as ResultRecord)
  .filter((r) => r.status === 'ok' && r.key.task === 'recursive-lm');
const G = Math.max(...records.map((r) => r.key.taskParams.generations as number));
const at = (process.argv[3] ?? `1,10,25,${G}`).split(',').map(Number);
const groups = new Map<string, ResultRecord[]>();
for (const r of records) {
  const id = JSON.stringify([r.key.method, r.key.methodParams, r.key.taskParams]);
  groups.set(id, [...(groups.get(id) ?? []), r]);
}

for (const rs of [...groups.values()].sort((a, b) => (JSON.stringify(a[0].key) < JSON.stringify(b[0].key) ? -1 : 1))) {
  const { key } = rs[0];
  const tp = key.taskParams as {
    samples: number;
    samples_growth: number;
    generations: number;
    vocab: number;
    zipf: number;
    replicates: number;
  };
  const gens = Array.from({ length: tp.generations + 1 }, (_, t) => t);
  const n = gens.map((t) => Math.round(tp.samples * (t + 1) ** tp.samples_growth));
  const mp = key.methodParams as FreshDataMixingParams;
  const mixing = key.method === 'fresh-data-mixing' && mp.mode === 'fresh';
  const alpha = gens.map((t) => (t === 0 ? 1 : mixing ? realFraction(mp, t) : 0));
  const predicted =
    key.method === 'fresh-data-mixing' && !mixing ? undefined : l2ErrorRecursion(sqNorm(zipfPmf(tp.vocab, tp.zipf)), n, alpha);
  const label =
    key.method === 'fresh-data-mixing'
      ? `fresh-data-mixing alpha=${mp.alpha} alpha_decay=${mp.alpha_decay} split=${mp.split} mode=${mp.mode}`
      : key.method;
  console.log(
    `${label}, samples=${tp.samples} samples_growth=${tp.samples_growth} (${rs.length} seeds × ${tp.replicates}); 1 − ‖p*‖² = ${(1 - sqNorm(zipfPmf(tp.vocab, tp.zipf))).toFixed(4)}`,
  );
  for (const t of at.filter((t) => t <= tp.generations)) {
    const k = rs.length;
    const m = rs.reduce((s, r) => s + r.metrics.l2_err.mean[t], 0) / k;
    const se = Math.sqrt(rs.reduce((s, r) => s + r.metrics.l2_err.se[t] ** 2, 0)) / k;
    const support = rs.reduce((s, r) => s + r.metrics.support.mean[t], 0) / k;
    const pred = predicted ? ` predicted ${predicted[t].toFixed(5)}, z = ${((m - predicted[t]) / se).toFixed(2)};` : '';
    console.log(
      `  t=${String(t).padStart(3)} (n_t=${n[t]}, α_t=${alpha[t].toFixed(3)}): l2_err ${m.toFixed(5)} [${(m - 1.96 * se).toFixed(5)}, ${(m + 1.96 * se).toFixed(5)}];${pred} support ${support.toFixed(3)}`,
    );
  }
}
