/** Per-step summaries over replicates: mean, standard error and count. */
import type { MetricSeries } from './schema.ts';

export interface Summary {
  mean: number;
  se: number;
  n: number;
}

/** Mean and standard error of the mean (sample standard deviation / √n), two-pass for accuracy. */
export function meanAndSe(values: ArrayLike<number>): Summary {
  const n = values.length;
  if (n === 0) return { mean: NaN, se: NaN, n: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  if (n === 1) return { mean, se: 0, n };
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    ss += d * d;
  }
  return { mean, se: Math.sqrt(ss / (n - 1) / n), n };
}

/** Two-sided 97.5% quantiles of Student's t for df = 1 … 30 (beyond: df = 30's, conservative). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/**
 * Mean with its 95% Student-t interval, mean ± t_{0.975, n−1}·SE: for a handful of per-seed
 * values (paired differences, rates, ratios). NaN bounds for fewer than two values.
 */
export function tInterval95(values: ArrayLike<number>): Summary & { low: number; high: number } {
  const summary = meanAndSe(values);
  const t = summary.n > 1 ? T975[Math.min(summary.n - 1, T975.length) - 1] : NaN;
  return { ...summary, low: summary.mean - t * summary.se, high: summary.mean + t * summary.se };
}

/** Columnar series from per-step replicate values. */
export function summarize(perStep: ArrayLike<number>[]): MetricSeries {
  const series: MetricSeries = { mean: [], se: [], n: [] };
  for (const values of perStep) {
    const { mean, se, n } = meanAndSe(values);
    series.mean.push(mean);
    series.se.push(se);
    series.n.push(n);
  }
  return series;
}
