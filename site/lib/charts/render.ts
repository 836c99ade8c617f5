/**
 * Renders chart specs to inline SVG (harness/charts.ts), once per distinct spec: method pages
 * repeat the same baseline charts, and Vega takes a noticeable fraction of a second per chart.
 */
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../../../harness/charts.ts';

const cache = new Map<string, Promise<string>>();

export function renderChart(spec: TopLevelSpec): Promise<string> {
  const key = JSON.stringify(spec);
  let svg = cache.get(key);
  if (!svg) cache.set(key, (svg = renderSvg(spec)));
  return svg;
}
