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
