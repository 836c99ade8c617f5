/**
 * The numbers of this method's reproduction table (README.md) from a results folder of
 * diffusion cells: per entry, each metric at generation 0 and at the last generation, mean
 * and 95% t-interval over seeds; per entry, the change of `ole` from generation 0 to the last
 * (paired by seed); and paired differences at the last generation of latent-filtering against
 * every other entry (same seed = same generation-0 model, common random numbers).
 *
 *   node --import tsx methods/latent-filtering/summarize.ts runs/lsf/ring-quick [--vs latent-filtering]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tInterval95 } from '../../harness/stats.ts';

/** Mean and 95% Student-t interval over seeds. */
export function interval(values: number[]): { mean: number; lo: number; hi: number; n: number } {
  const { mean, low, high, n } = tInterval95(values);
  return { mean, lo: low, hi: high, n };
}

const fmt = (x: { mean: number; lo: number; hi: number; n: number }, d = 3) =>
  `${x.mean.toFixed(d)} [${x.lo.toFixed(d)}, ${x.hi.toFixed(d)}]`;

interface Cell {
  method: string;
  seed: number;
  metrics: Record<string, number[]>;
}

function load(dir: string): Cell[] {
  const folder = join(dir, 'cells');
  return readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(folder, f), 'utf8')))
    .filter((c) => c.status === 'ok')
    .map((c) => ({
      method: c.key.method,
      seed: c.key.seed,
      metrics: Object.fromEntries(Object.entries(c.metrics as Record<string, { mean: number[] }>).map(([k, v]) => [k, v.mean])),
    }));
}

function main(): void {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: summarize.ts <results folder> [--vs <method>]');
  const vsAt = process.argv.indexOf('--vs');
  const vs = vsAt > 0 ? process.argv[vsAt + 1] : 'latent-filtering';
  const cells = load(dir);
  const methods = [...new Set(cells.map((c) => c.method))].sort();
  const metrics = Object.keys(cells[0].metrics);
  const last = cells[0].metrics[metrics[0]].length - 1;
  for (const m of methods) {
    const own = cells.filter((c) => c.method === m);
    console.log(`\n${m} (${own.length} seeds)`);
    for (const k of metrics) {
      console.log(
        `  ${k.padEnd(16)} g0 ${fmt(interval(own.map((c) => c.metrics[k][0])), 4)}  g${last} ${fmt(interval(own.map((c) => c.metrics[k][last])), 4)}`,
      );
    }
    const dOle = interval(own.map((c) => c.metrics.ole[last] - c.metrics.ole[0]));
    console.log(
      `  ole change g0→g${last}: ${fmt(dOle, 4)} (relative ${(dOle.mean / interval(own.map((c) => c.metrics.ole[0])).mean).toFixed(3)})`,
    );
  }
  const base = cells.filter((c) => c.method === vs);
  for (const m of methods.filter((x) => x !== vs)) {
    const pairs = base.map((b) => [b, cells.find((c) => c.method === m && c.seed === b.seed)] as const).filter((p) => p[1]);
    if (pairs.length < 2) continue;
    console.log(`\n${vs} − ${m} at g${last} (paired, ${pairs.length} seeds)`);
    for (const k of metrics)
      console.log(`  ${k.padEnd(16)} ${fmt(interval(pairs.map(([a, b]) => a.metrics[k][last] - b!.metrics[k][last])), 4)}`);
  }
}

if (process.argv[1]?.endsWith('summarize.ts')) main();
