/**
 * Phase diagram of a sweep: the final value of a task's primary metric over the swept
 * parameters — where collapse turns into recovery. One swept dimension: a line per method
 * over it. Two or more: a heatmap of the first two, one panel per method (and per value of
 * any further dimensions), one shared colour scale (viridis: perceptually uniform and
 * colour-blind safe), each cell labelled with its value.
 */
import type { TopLevelSpec } from 'vega-lite';
import { formatNumber } from '../../../harness/report.ts';
import { directionLabel, type MetricSpec } from '../../../harness/types.ts';
import { dimValues, type Coordinate, type PhaseGroup } from '../sweep.ts';
import type { Chart } from './curves.ts';

export interface PhaseOptions {
  title: string;
  metric: MetricSpec;
  group: PhaseGroup;
  /** Colour per method id (line variant). */
  colors: Map<string, string>;
  /** Heatmap cell size in px (panels are at least 120 px tall, so the axis title fits). @default 64 × 36 */
  cell?: { width: number; height: number };
  /** Width the panels wrap within, in px. @default 1100 */
  maxWidth?: number;
}

const label = (v: Coordinate | undefined) => (v === undefined ? 'n/a' : String(v));

/** The phase diagram, with a phone layout (narrower line chart, or the heatmap panels wrapped to one column). */
export function phaseChart(options: PhaseOptions): Chart {
  const wide = phaseLayout(options, false);
  return { ...wide, narrow: phaseLayout({ ...options, maxWidth: Math.min(options.maxWidth ?? 1100, 340) }, true).spec };
}

function phaseLayout(options: PhaseOptions, narrow: boolean): Chart {
  const { group, metric } = options;
  const valueTitle = `final ${metric.name} (${directionLabel(metric)})`;
  const [xDim, yDim, ...rest] = group.dims;
  const points = group.points.filter((p) => p.value !== null && Number.isFinite(p.value));
  const config = {
    aria: false,
    font: 'system-ui, sans-serif',
    axis: { labelFontSize: 11, titleFontSize: 12 },
    legend: { labelFontSize: 11 },
  };
  const xs = dimValues(group.points, xDim);

  if (yDim === undefined) {
    const numeric = xs.every((v) => typeof v === 'number');
    const positive = numeric && xs.every((v) => (v as number) > 0);
    const log = positive && (xs.at(-1) as number) / (xs[0] as number) >= 10;
    const spec = {
      width: narrow ? 280 : 520,
      height: narrow ? 220 : 260,
      data: { values: points.map((p) => ({ method: p.method, x: numeric ? p.coords[xDim] : label(p.coords[xDim]), value: p.value })) },
      mark: { type: 'line', point: true, strokeWidth: 2 },
      encoding: {
        x: numeric
          ? { field: 'x', type: 'quantitative', title: xDim, scale: log ? { type: 'log' } : { zero: false } }
          : { field: 'x', type: 'ordinal', title: xDim, sort: xs.map(label) },
        y: { field: 'value', type: 'quantitative', title: valueTitle, scale: { zero: false } },
        color: {
          field: 'method',
          type: 'nominal',
          title: null,
          scale: { domain: group.methods, range: group.methods.map((m) => options.colors.get(m) ?? '#0072B2') },
        },
      },
      config: {
        ...config,
        legend: { ...config.legend, orient: 'bottom', direction: 'horizontal', columns: narrow ? 1 : 2, symbolType: 'stroke' },
      },
    } as TopLevelSpec;
    const description = `Line chart of ${valueTitle} over ${xDim} (${xs.map(label).join(', ')}) for ${options.title}, one line per method: ${group.methods.join(', ')}.`;
    return { spec, description };
  }

  const ys = dimValues(group.points, yDim);
  const panelOf = (method: string, coords: Record<string, Coordinate>) =>
    [method, ...rest.map((d) => `${d}=${label(coords[d])}`)].join(' · ');
  const panels = [...new Set(group.points.map((p) => panelOf(p.method, p.coords)))];
  const values = points.map((p) => p.value as number);
  const mid = values.length ? (Math.min(...values) + Math.max(...values)) / 2 : 0;
  const cell = options.cell ?? { width: 64, height: 36 };
  const width = Math.max(120, cell.width * xs.length);
  const height = Math.max(120, cell.height * ys.length);
  // Panels per row: as many as fit (spacing and axis labels ≈ 45 px each), so short sweeps stay on one row.
  const columns = Math.max(1, Math.min(panels.length, Math.floor((options.maxWidth ?? 1100) / (width + 45))));
  const x = { field: 'x', type: 'ordinal', title: xDim, sort: xs.map(label), axis: { labelAngle: 0 } };
  const y = { field: 'y', type: 'ordinal', title: yDim, sort: ys.map(label).reverse() };
  const spec = {
    data: {
      values: points.map((p) => ({
        panel: panelOf(p.method, p.coords),
        x: label(p.coords[xDim]),
        y: label(p.coords[yDim]),
        value: p.value,
        text: formatNumber(p.value),
      })),
    },
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels, header: { labelFontSize: 12, labelFontWeight: 600 } },
    columns,
    spec: {
      width,
      height,
      layer: [
        {
          mark: { type: 'rect' },
          encoding: { x, y, color: { field: 'value', type: 'quantitative', title: valueTitle, scale: { scheme: 'viridis' } } },
        },
        {
          mark: { type: 'text', fontSize: 11 },
          encoding: {
            x,
            y,
            text: { field: 'text' },
            color: { condition: { test: `datum.value > ${mid}`, value: 'black' }, value: 'white' },
          },
        },
      ],
    },
    resolve: { scale: { color: 'shared' } },
    config: { ...config, legend: { ...config.legend, orient: 'bottom', gradientLength: 220, titleLimit: 320 } },
  } as TopLevelSpec;
  const description =
    `Heatmap of ${valueTitle} over ${xDim} (${xs.map(label).join(', ')}) and ${yDim} (${ys.map(label).join(', ')}) for ${options.title}, ` +
    `one panel per ${rest.length ? `method and ${rest.join(', ')}` : 'method'} (${panels.join('; ')}); each cell is labelled with its value, blank where there is no result.`;
  return { spec, description };
}
