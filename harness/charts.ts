/**
 * Chart builders shared by the local report (harness/report.ts) and the website (site/):
 * the colour-blind-safe palette, per-step bands over seeds, the metric-vs-step Vega-Lite spec
 * with the closed-form theory overlaid, and rendering a spec to inline SVG at build time (no
 * canvas, no browser).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ResultRecord } from './schema.ts';
import type { Scores } from './scoring.ts';
import { directionLabel, type MetricSpec, type TheoryCurve } from './types.ts';

// ---------------------------------------------------------------------------------------
// Colours: Okabe & Ito (2008), "Color Universal Design", without yellow (too light for a thin
// line on white) and black (reserved for theory). Fixed per entry across the whole page, in
// leaderboard order; beyond seven entries the colours repeat.

export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#999999'];
export const THEORY_COLOR = '#000000';
/** Further closed-form references of a metric (e.g. an oracle), after the first: grey, dotted. */
export const REFERENCE_COLOR = '#6e6e6e';
const REFERENCE_DASH = [2, 3];

export function entryColors(scores: Scores): Map<string, string> {
  const colors = new Map<string, string>();
  for (const name of entryOrder(scores)) colors.set(name, OKABE_ITO[colors.size % OKABE_ITO.length]);
  return colors;
}

/**
 * Dash patterns that keep entries apart once the colours repeat: the first seven entries are
 * solid, the next seven long-dashed, then dotted, then dash-dot (never the theory's [6, 4]).
 * Empty array: solid.
 */
export const DASHES: readonly number[][] = [[], [10, 3], [2, 2], [10, 3, 2, 3]];

export function entryDashes(scores: Scores): Map<string, number[]> {
  const dashes = new Map<string, number[]>();
  for (const name of entryOrder(scores)) dashes.set(name, DASHES[Math.floor(dashes.size / OKABE_ITO.length) % DASHES.length]);
  return dashes;
}

/** Entry labels in leaderboard order, then any that only appear in setting rows. */
function entryOrder(scores: Scores): string[] {
  return [...new Set([...scores.entries.map((e) => e.entry), ...scores.settings.map((s) => s.entry)])];
}

// ---------------------------------------------------------------------------------------
// Chart data

/** One point of an entry's curve: mean over seeds and a 95% band (null where no SE is known). */
export interface BandPoint {
  step: number;
  mean: number;
  low: number | null;
  high: number | null;
}

/**
 * Per step, the mean over `records` (ok seeds of one entry) of `metrics[metric].mean`, with
 * mean ± 1.96·SE.
 *
 * SE choice: with ≥ 2 seeds, the standard error across the seed means (sd / √k). Each seed mean
 * already averages its replicates, so the spread of seed means contains the within-seed noise;
 * adding the records' own SEs would count it twice. With one seed, the record's own SE over
 * replicates is the only uncertainty there is.
 */
export function metricBand(records: readonly ResultRecord[], metric: string): BandPoint[] {
  const byStep = new Map<number, { means: number[]; ses: number[] }>();
  for (const record of records) {
    const series = record.metrics[metric];
    if (!series) continue;
    record.steps.forEach((step, i) => {
      const mean = series.mean[i];
      if (!Number.isFinite(mean)) return;
      let cell = byStep.get(step);
      if (!cell) byStep.set(step, (cell = { means: [], ses: [] }));
      cell.means.push(mean);
      cell.ses.push(series.se[i]);
    });
  }
  return [...byStep.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, { means, ses }]) => {
      const k = means.length;
      const mean = means.reduce((a, b) => a + b, 0) / k;
      const se = k >= 2 ? Math.sqrt(means.reduce((a, m) => a + (m - mean) ** 2, 0) / (k - 1) / k) : ses[0];
      const band = Number.isFinite(se);
      return { step, mean, low: band ? mean - 1.96 * se : null, high: band ? mean + 1.96 * se : null };
    });
}

/** Everything one metric chart shows. */
export interface ChartOptions {
  metric: MetricSpec;
  stepAxis: 'generation' | 'epoch';
  /** Curves per entry label, in legend order. */
  series: { entry: string; points: BandPoint[] }[];
  theory?: TheoryCurve;
  /**
   * Further closed-form curves of the metric (the task's later theory curves, e.g. regression's
   * oracle shrinkage), drawn grey and dotted, each named by its label up to the first colon.
   */
  references?: readonly TheoryCurve[];
  colors: Map<string, string>;
  /** Dash pattern per entry ({@link entryDashes}); absent or empty: solid. */
  dashes?: Map<string, number[]>;
  /** Plot width in px (the SVG scales down with the page). @default 420 */
  width?: number;
  /** @default 240 */
  height?: number;
}

/** The Vega-Lite spec of one metric chart: bands, mean lines, and the theory curve dashed in black. */
export function chartSpec(options: ChartOptions): TopLevelSpec {
  const { metric, stepAxis, series, theory, colors } = options;
  const entries = series.map((s) => s.entry);
  // An entry that happens to be called "theory" keeps its name; the closed form yields.
  const theoryName = entries.includes('theory') ? 'theory (closed form)' : 'theory';
  const taken = new Set([...entries, theoryName]);
  const references = (options.references ?? []).map((curve) => {
    let name = curve.label.split(':')[0].trim() || 'reference';
    while (taken.has(name)) name = `${name} (closed form)`;
    taken.add(name);
    return { name, curve };
  });
  const refNames = references.map((r) => r.name);
  const domain = [...entries, ...(theory ? [theoryName] : []), ...refNames];
  const range = [...entries.map((e) => colors.get(e) ?? OKABE_ITO[0]), ...(theory ? [THEORY_COLOR] : []), ...refNames.map(() => REFERENCE_COLOR)];
  const rows = series.flatMap(({ entry, points }) => points.map((p) => ({ entry, ...p })));
  const x = { field: 'step', type: 'quantitative', title: stepAxis, axis: { tickMinStep: 1 } } as const;
  const y = { field: 'mean', type: 'quantitative', title: `${metric.name} (${directionLabel(metric)})`, scale: { zero: false } } as const;
  const color = { field: 'entry', type: 'nominal', title: null, scale: { domain, range } } as const;
  // Dashes only when some entry needs one: then the theory's dash joins the same scale, so the
  // legend shows colour and pattern together.
  const dashed = entries.some((e) => (options.dashes?.get(e)?.length ?? 0) > 0);
  const strokeDash = dashed
    ? { strokeDash: { field: 'entry', type: 'nominal', title: null, scale: { domain, range: [...entries.map((e) => (options.dashes?.get(e)?.length ? options.dashes.get(e)! : [1, 0])), ...(theory ? [[6, 4]] : []), ...refNames.map(() => REFERENCE_DASH)] } } }
    : {};

  const layers: TopLevelSpec[] = [];
  layers.push({
    data: { values: rows.filter((r) => r.low !== null && r.high !== null).map((r) => ({ ...r, band: r.entry })) },
    mark: { type: 'area', opacity: 0.15 },
    // Its own channel and field: Vega-Lite would otherwise merge it into the lines' legend and
    // drop that legend (legend: null wins) or draw faint area symbols.
    encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' }, fill: { ...color, field: 'band', legend: null } },
  } as TopLevelSpec);
  layers.push({ data: { values: rows }, mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, color, ...strokeDash } } as TopLevelSpec);
  if (theory) {
    const values = theory.steps
      .map((step, i) => ({ entry: theoryName, step, mean: theory.values[i] }))
      .filter((r) => Number.isFinite(r.mean));
    layers.push({ data: { values }, mark: { type: 'line', strokeWidth: 1.5, ...(!dashed && { strokeDash: [6, 4] }) }, encoding: { x, y, color, ...strokeDash } } as TopLevelSpec);
  }
  for (const { name, curve } of references) {
    const values = curve.steps.map((step, i) => ({ entry: name, step, mean: curve.values[i] })).filter((r) => Number.isFinite(r.mean));
    layers.push({ data: { values }, mark: { type: 'line', strokeWidth: 1.5, ...(!dashed && { strokeDash: REFERENCE_DASH }) }, encoding: { x, y, color, ...strokeDash } } as TopLevelSpec);
  }
  return {
    width: options.width ?? 420,
    height: options.height ?? 240,
    layer: layers,
    config: {
      // The figure around the SVG carries the accessible description (role="img").
      aria: false,
      font: 'system-ui, sans-serif',
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { orient: 'bottom', direction: 'horizontal', columns: 2, labelLimit: 260, labelFontSize: 11, symbolType: 'stroke' },
    },
  } as TopLevelSpec;
}

/** Renders a Vega-Lite spec to an SVG string for inline use in HTML. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // Vega escapes text and attribute values; this guards the assumption the page relies on.
    if (/<script|<foreignObject/i.test(svg)) throw new Error('renderSvg: Vega produced markup that is not allowed in the report');
    // Inline SVG in HTML needs no namespace declarations; dropping them keeps the page free of URLs.
    return svg.replace(' xmlns="http://www.w3.org/2000/svg"', '').replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', '');
  } finally {
    view.finalize();
  }
}
