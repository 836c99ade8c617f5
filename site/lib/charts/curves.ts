/**
 * Metric-vs-step curves of one task setting: a thin variant of the report's chart
 * (harness/charts.ts) over the site's data: one line per entry with its 95% band over seeds,
 * and the closed-form theory curve dashed in black where the task has one.
 */
import type { TopLevelSpec } from 'vega-lite';
import { chartSpec, metricBand } from '../../../harness/charts.ts';
import { canonicalJson } from '../../../harness/hash.ts';
import type { ResultRecord } from '../../../harness/schema.ts';
import type { SettingScore } from '../../../harness/scoring.ts';
import type { MetricSpec, TheoryCurve } from '../../../harness/types.ts';

export interface CurvesOptions {
  title: string;
  stepAxis: 'generation' | 'epoch';
  metric: MetricSpec;
  /** Score rows of one setting, in legend order. */
  rows: readonly SettingScore[];
  /** Records to draw from (any; matched to rows by key, ok ones only). */
  records: readonly ResultRecord[];
  /** The setting's closed-form curves (the one for `metric` is drawn). */
  theory?: readonly TheoryCurve[];
  colors: Map<string, string>;
  /** Dash pattern per entry label, for when colours repeat. */
  dashes?: Map<string, number[]>;
  /** @default 640 */
  width?: number;
  /** @default 300 */
  height?: number;
}

export interface Chart {
  spec: TopLevelSpec;
  /** The accessible description of what the chart shows. */
  description: string;
}

const groupKey = (task: string, taskParams: unknown, method: string, methodParams: unknown) => canonicalJson([task, taskParams, method, methodParams]);

/** The chart, or null when no entry reports the metric and no theory exists for it. */
export function curvesChart(options: CurvesOptions): Chart | null {
  const { metric, rows } = options;
  const byGroup = new Map<string, ResultRecord[]>();
  for (const r of options.records) {
    if (r.status !== 'ok') continue;
    const key = groupKey(r.key.task, r.key.taskParams, r.key.method, r.key.methodParams);
    byGroup.set(key, [...(byGroup.get(key) ?? []), r]);
  }
  const series = rows
    .map((row) => ({ entry: row.entry, points: metricBand(byGroup.get(groupKey(row.task, row.taskParams, row.method, row.methodParams)) ?? [], metric.name) }))
    .filter((s) => s.points.length > 0);
  const [theory, ...references] = options.theory?.filter((t) => t.metric === metric.name) ?? [];
  if (series.length === 0 && !theory) return null;
  const base = chartSpec({ metric, stepAxis: options.stepAxis, series, theory, references, colors: options.colors, dashes: options.dashes, width: options.width ?? 640, height: options.height ?? 300 });
  // Wider legend symbols than the report's: the site shows up to a dozen entries, and dash patterns must read.
  const config = base.config ?? {};
  const spec = { ...base, config: { ...config, legend: { ...config.legend, columns: 3, symbolSize: 320, symbolStrokeWidth: 2.5, labelFontSize: 12 } } } as TopLevelSpec;
  const description =
    `Line chart of ${metric.name}${metric.primary ? ' (primary metric)' : ''} versus ${options.stepAxis} for ${options.title}` +
    (series.length ? `: mean over seeds with 95% bands for ${series.map((s) => s.entry).join(', ')}` : '') +
    (theory ? `; dashed black line: closed-form theory, ${theory.label}` : '') +
    references.map((r) => `; dotted grey line: ${r.label}`).join('') +
    '.';
  return { spec, description };
}
