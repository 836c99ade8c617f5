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
// Colours. An entry's colour belongs to its method and never depends on which other entries a
// run holds, so a picture does not change colours when an entry is added: the baselines and the
// repository's methods have fixed colours, any other method hashes its id into a palette of
// colours no main-task baseline uses. Where two entries of one task share a colour (a hashed
// method meeting another, or several parameter sets of one method), dash patterns tell them apart.

/** Okabe & Ito (2008), "Color Universal Design", without yellow (too light for a thin line on white) and black (reserved for theory). */
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#999999'];
const [BLUE, ORANGE, GREEN, VERMILLION, PINK, SKY] = OKABE_ITO;
// Paul Tol's "muted" scheme (colour-blind safe), for more method colours than Okabe–Ito has.
const INDIGO = '#332288';
const WINE = '#882255';
const OLIVE = '#999933';
export const THEORY_COLOR = '#000000';
/** Further closed-form references of a metric (e.g. an oracle), after the first: grey, dotted. */
export const REFERENCE_COLOR = '#6e6e6e';
const REFERENCE_DASH = [2, 3];
const THEORY_DASH = [6, 4];

/**
 * Fixed colours per method id. Each task family's oracle (the score's 0) is green and its
 * reference (the score's 1, the one that collapses) vermillion; the methods that share a task get
 * different colours.
 */
export const METHOD_COLORS: Readonly<Record<string, string>> = {
  'real-only': GREEN,
  replace: VERMILLION,
  accumulate: BLUE,
  'accumulate-subsample': SKY,
  'early-stopping': GREEN,
  dcca: VERMILLION,
  'dcca-weight-decay': BLUE,
  'linear-cca': SKY,
  pretrained: GREEN,
  grpo: VERMILLION,
  'fresh-data-mixing': ORANGE,
  'generation-weighting': PINK,
  'contraction-filter': INDIGO,
  'adaptive-regularization': INDIGO,
  'latent-filtering': INDIGO,
  'latent-threshold-filtering': WINE,
  'noise-regularization': ORANGE,
  pcpo: ORANGE,
};

/** What any other method's id hashes into: none of the colours of real-only, replace, accumulate and accumulate-subsample. */
export const METHOD_PALETTE: readonly string[] = [ORANGE, PINK, INDIGO, WINE, OLIVE];

/** FNV-1a over the UTF-16 code units: a small stable string hash. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** A method's line colour: fixed for the known ones ({@link METHOD_COLORS}), else a hash of its id into {@link METHOD_PALETTE}. */
export function methodColor(method: string): string {
  return Object.hasOwn(METHOD_COLORS, method) ? METHOD_COLORS[method] : METHOD_PALETTE[hashString(method) % METHOD_PALETTE.length];
}

/** Line colour per entry label: its method's ({@link methodColor}), whatever else the run holds. */
export function entryColors(scores: Scores): Map<string, string> {
  const colors = new Map<string, string>();
  for (const [entry, method] of entryMethods(scores)) colors.set(entry, methodColor(method));
  return colors;
}

/**
 * Dash patterns, first to last: solid, long dashes, dots, dash-dot (never the theory's [6, 4]).
 * Empty array: solid.
 */
export const DASHES: readonly number[][] = [[], [10, 3], [2, 2], [10, 3, 2, 3]];

/**
 * Dash pattern per entry label: solid unless the entry shares its colour with another entry on
 * some task, then the first pattern no such entry took before it. Order of choice: fixed-colour
 * methods, then each method's plain entry before its parameter variants, then by label, so a
 * newly added entry changes no pattern but those of entries it collides with that sort after it.
 */
export function entryDashes(scores: Scores): Map<string, number[]> {
  const methods = entryMethods(scores);
  const tasksOf = new Map<string, Set<string>>();
  for (const row of scores.settings) {
    if (row.seeds === 0) continue; // nothing drawn: no line to tell apart
    if (!tasksOf.has(row.entry)) tasksOf.set(row.entry, new Set());
    tasksOf.get(row.entry)!.add(row.task);
  }
  const rank = (entry: string) =>
    [Object.hasOwn(METHOD_COLORS, methods.get(entry)!) ? 0 : 1, entry === methods.get(entry) ? 0 : 1] as const;
  const order = [...methods.keys()].sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    return ra[0] - rb[0] || ra[1] - rb[1] || (a < b ? -1 : a > b ? 1 : 0);
  });
  const chosen = new Map<string, number>(); // entry -> index into DASHES
  for (const entry of order) {
    const color = methodColor(methods.get(entry)!);
    const tasks = tasksOf.get(entry) ?? new Set<string>();
    const taken = new Set<number>();
    for (const [other, index] of chosen) {
      if (methodColor(methods.get(other)!) !== color) continue;
      if ([...(tasksOf.get(other) ?? [])].some((t) => tasks.has(t))) taken.add(index);
    }
    let index = 0;
    while (taken.has(index) && index < DASHES.length - 1) index++;
    chosen.set(entry, index);
  }
  return new Map([...chosen].map(([entry, index]) => [entry, DASHES[index]]));
}

/** Entry label → method id, leaderboard entries first, then any that only appear in setting rows. */
function entryMethods(scores: Scores): Map<string, string> {
  const methods = new Map<string, string>();
  for (const e of scores.entries) if (!methods.has(e.entry)) methods.set(e.entry, e.method);
  for (const s of scores.settings) if (!methods.has(s.entry)) methods.set(s.entry, s.method);
  return methods;
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
  /** The y scale; `auto`: {@link wantsLogScale}. @default 'auto' */
  yScale?: 'auto' | 'linear' | 'log';
  /** The y axis title on two lines (metric name, then the direction): for a short plot. */
  splitYTitle?: boolean;
  /** An invisible hover point per value with its tooltip (no use on touch screens). @default true */
  tooltips?: boolean;
}

/**
 * Whether a chart of these curve values reads better on a log y axis: all values positive, the
 * largest over 30 times the smallest, and the median under a tenth of the largest, i.e. one
 * entry's blow-up would flatten the others into a line along the bottom. (A curve that falls
 * towards zero while the rest stay high reads fine on a linear axis.)
 */
export function wantsLogScale(values: readonly number[]): boolean {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0 || finite[0] <= 0) return false;
  const max = finite.at(-1)!;
  const median = finite.length % 2 ? finite[(finite.length - 1) / 2] : (finite[finite.length / 2 - 1] + finite[finite.length / 2]) / 2;
  return max / finite[0] > 30 && median < max / 10;
}

/** 1, 2 and 5 times the powers of ten between `low` and `high` (both positive). */
export function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let exponent = Math.floor(Math.log10(low)); exponent <= Math.ceil(Math.log10(high)); exponent++) {
    for (const mantissa of [1, 2, 5]) {
      // Through the string, so 0.1 × 3 comes out as 0.3 rather than 0.30000000000000004.
      const tick = Number(`${mantissa}e${exponent}`);
      if (tick >= low && tick <= high) ticks.push(tick);
    }
  }
  return ticks;
}

/** A value for a tooltip: 3 significant digits, exponent notation when tiny or huge. */
function formatValue(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  return abs >= 1e5 || abs < 1e-3 ? value.toExponential(2) : String(Number(value.toPrecision(3)));
}

/** Vega-Lite name of the invisible point layer that carries the tooltips (its SVG group gets class `tooltips_marks`). */
export const TOOLTIP_LAYER = 'tooltips';

/**
 * The Vega-Lite spec of one metric chart: bands, mean lines, the theory curve dashed in black on
 * top of them (thinner and translucent, so an entry that follows it exactly stays visible in its
 * gaps), and an invisible point per value whose SVG `<title>` names entry, step and value
 * ({@link renderSvg} turns their descriptions into titles: a hover tooltip without script).
 */
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
  const range = [
    ...entries.map((e) => colors.get(e) ?? OKABE_ITO[0]),
    ...(theory ? [THEORY_COLOR] : []),
    ...refNames.map(() => REFERENCE_COLOR),
  ];

  const curveRows = (name: string, curve: TheoryCurve) =>
    curve.steps.map((step, i) => ({ entry: name, step, mean: curve.values[i] })).filter((r) => Number.isFinite(r.mean));
  const theoryRows = theory ? curveRows(theoryName, theory) : [];
  const referenceRows = references.map(({ name, curve }) => curveRows(name, curve));
  const entryRows = series.flatMap(({ entry, points }) => points.map((p) => ({ entry, ...p })));
  const closedForm = [...theoryRows, ...referenceRows.flat()];
  const log = options.yScale === 'log' || (options.yScale !== 'linear' && wantsLogScale([...entryRows, ...closedForm].map((r) => r.mean)));
  // On a log axis a band reaching zero or below is cut at half the smallest value drawn.
  const floor = log ? Math.min(...[...entryRows, ...closedForm].map((r) => r.mean)) / 2 : -Infinity;
  const rows = entryRows.map((r) => (r.low !== null && r.low < floor ? { ...r, low: floor } : r));
  const drawn = [...rows.flatMap((r) => [r.mean, r.low ?? r.mean, r.high ?? r.mean]), ...closedForm.map((r) => r.mean)];

  const x = { field: 'step', type: 'quantitative', title: stepAxis, axis: { tickMinStep: 1 } } as const;
  const y = {
    field: 'mean',
    type: 'quantitative',
    title: options.splitYTitle
      ? [metric.name, `(${directionLabel(metric)}${log ? '; log scale' : ''})`]
      : `${metric.name} (${directionLabel(metric)}${log ? '; log scale' : ''})`,
    // A log axis ends at the data, not at the next power of ten, and is labelled at 1, 2 and 5 times the powers of ten.
    scale: log ? { type: 'log', nice: false } : { zero: false },
    ...(log && { axis: { values: logTicks(Math.min(...drawn), Math.max(...drawn)), format: '~g' } }),
  } as const;
  const color = { field: 'entry', type: 'nominal', title: null, scale: { domain, range } } as const;
  // Dashes on a scale of their own when some entry needs one or a closed-form curve is drawn,
  // so that the legend shows colour and pattern together (the theory's symbol dashed too).
  const dashed = entries.some((e) => (options.dashes?.get(e)?.length ?? 0) > 0) || theory !== undefined || references.length > 0;
  const strokeDash = dashed
    ? {
        strokeDash: {
          field: 'entry',
          type: 'nominal',
          title: null,
          scale: {
            domain,
            range: [
              ...entries.map((e) => (options.dashes?.get(e)?.length ? options.dashes.get(e)! : [1, 0])),
              ...(theory ? [THEORY_DASH] : []),
              ...refNames.map(() => REFERENCE_DASH),
            ],
          },
        },
      }
    : {};
  // Bands and tooltip points fill by entry on a channel of their own, without a legend: Vega-Lite
  // would otherwise merge them into the lines' legend and drop it (legend: null wins) or draw
  // faint area symbols.
  const fill = { ...color, field: 'band', legend: null };

  const layers: TopLevelSpec[] = [];
  layers.push({
    data: { values: rows.filter((r) => r.low !== null && r.high !== null).map((r) => ({ ...r, band: r.entry })) },
    mark: { type: 'area', opacity: 0.15 },
    encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' }, fill },
  } as TopLevelSpec);
  layers.push({ data: { values: rows }, mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, color, ...strokeDash } } as TopLevelSpec);
  if (theory) {
    layers.push({
      data: { values: theoryRows },
      mark: { type: 'line', strokeWidth: 1.25, strokeOpacity: 0.8, strokeDash: THEORY_DASH },
      encoding: { x, y, color, ...strokeDash },
    } as TopLevelSpec);
  }
  references.forEach((_, i) => {
    layers.push({
      data: { values: referenceRows[i] },
      mark: { type: 'line', strokeWidth: 1.25, strokeOpacity: 0.8, strokeDash: REFERENCE_DASH },
      encoding: { x, y, color, ...strokeDash },
    } as TopLevelSpec);
  });
  const tip = (r: { entry: string; step: number; mean: number }, band = '') => ({
    entry: r.entry,
    band: r.entry,
    step: r.step,
    mean: r.mean,
    tip: `${r.entry}, ${stepAxis} ${r.step}: ${metric.name} ${formatValue(r.mean)}${band}`,
  });
  // The band as computed, not as cut for the log axis.
  const tips = [
    ...entryRows.map((r) => tip(r, r.low !== null && r.high !== null ? ` (95% band ${formatValue(r.low)} to ${formatValue(r.high)})` : '')),
    ...closedForm.map((r) => tip(r)),
  ];
  if (options.tooltips !== false)
    layers.push({
      name: TOOLTIP_LAYER,
      data: { values: tips },
      // Large enough to hover, invisible until hovered (the site's CSS shows the one under the pointer).
      mark: { type: 'point', filled: true, size: 90, opacity: 0, aria: true },
      encoding: { x, y, fill, description: { field: 'tip' } },
    } as TopLevelSpec);
  return {
    width: options.width ?? 420,
    height: options.height ?? 240,
    layer: layers,
    config: {
      // The figure around the SVG carries the accessible description (role="img"); only the
      // tooltip points keep theirs, which renderSvg turns into <title> elements.
      aria: false,
      font: 'system-ui, sans-serif',
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { orient: 'bottom', direction: 'horizontal', columns: 2, labelLimit: 260, labelFontSize: 11, symbolType: 'stroke' },
    },
  } as TopLevelSpec;
}

/**
 * Renders a Vega-Lite spec to an SVG string for inline use in HTML. Marks with a description
 * (the tooltip points of {@link chartSpec}) get it as an SVG `<title>` child, which browsers
 * show on hover, instead of an aria-label inside a figure that already has one.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // Vega escapes text and attribute values; this guards the assumption the page relies on.
    if (/<script|<foreignObject/i.test(svg)) throw new Error('renderSvg: Vega produced markup that is not allowed in the report');
    // Inline SVG in HTML needs no namespace declarations; dropping them keeps the page free of URLs.
    return (
      svg
        .replace(' xmlns="http://www.w3.org/2000/svg"', '')
        .replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', '')
        .replace(
          /<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="[^"]*"([^>]*?)\/>/g,
          '<path$2><title>$1</title></path>',
        )
        // Geometry to 1/100 px (Vega writes up to 17 digits): a third of the bytes of a chart with many points.
        .replace(/ (d|transform)="([^"]*)"/g, (_, name: string, value: string) => ` ${name}="${value.replace(/(\.\d{2})\d+/g, '$1')}"`)
    );
  } finally {
    view.finalize();
  }
}
