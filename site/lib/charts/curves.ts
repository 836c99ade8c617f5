/**
 * Metric-vs-step curves of one task setting: a thin variant of the report's chart
 * (harness/charts.ts) over the site's data: one line per entry with its 95% band over seeds,
 * the closed-form theory curve dashed in black where the task has one, hover tooltips, a log
 * axis where one entry dwarfs the rest, and a second layout for phones.
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
  /**
   * The same chart laid out for a phone (narrow plot, legend in one column), shown instead of
   * `spec` on narrow screens, so that its text keeps a readable size without sideways scrolling.
   */
  narrow?: TopLevelSpec;
  /** The accessible description of what the chart shows. */
  description: string;
}

/** Plot size of the phone layout: with axis labels the SVG is about 350 px wide, a phone's width inside the page margins. */
export const NARROW_PLOT = { width: 282, height: 240 } as const;

const groupKey = (task: string, taskParams: unknown, method: string, methodParams: unknown) =>
  canonicalJson([task, taskParams, method, methodParams]);

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
    .map((row) => ({
      entry: row.entry,
      points: metricBand(byGroup.get(groupKey(row.task, row.taskParams, row.method, row.methodParams)) ?? [], metric.name),
    }))
    .filter((s) => s.points.length > 0);
  const [theory, ...references] = options.theory?.filter((t) => t.metric === metric.name) ?? [];
  if (series.length === 0 && !theory) return null;
  const common = { metric, stepAxis: options.stepAxis, series, theory, references, colors: options.colors, dashes: options.dashes };
  // Wider legend symbols than the report's: the site shows up to a dozen entries, and dash patterns must read.
  const legend = { symbolSize: 320, symbolStrokeWidth: 2.5, labelFontSize: 12 };
  const withConfig = (base: TopLevelSpec, extra: Record<string, unknown>, legendExtra: Record<string, unknown>) => {
    const config = base.config ?? {};
    return { ...base, config: { ...config, ...extra, legend: { ...config.legend, ...legend, ...legendExtra } } } as TopLevelSpec;
  };
  const spec = withConfig(chartSpec({ ...common, width: options.width ?? 640, height: options.height ?? 300 }), {}, { columns: 3 });
  // The phone layout: the legend in one column under the plot; no hover tooltips on a touch screen.
  const narrow = withConfig(
    chartSpec({ ...common, ...NARROW_PLOT, splitYTitle: true, tooltips: false }),
    { axis: { labelFontSize: 12, titleFontSize: 12 } },
    { columns: 1, labelLimit: 300 },
  );
  const description =
    `Line chart of ${metric.name}${metric.primary ? ' (primary metric)' : ''} versus ${options.stepAxis} for ${options.title}` +
    (series.length ? `: mean over seeds with 95% bands for ${series.map((s) => s.entry).join(', ')}` : '') +
    (theory ? `; dashed black line: closed-form theory, ${theory.label}` : '') +
    references.map((r) => `; dotted grey line: ${r.label}`).join('') +
    '.';
  return { spec, narrow, description };
}
