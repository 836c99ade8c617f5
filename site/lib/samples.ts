/**
 * Pictures of what the models of one setting draw (records' `snapshots`, harness/schema.ts):
 * which record each entry shows, the panels' shared frame, and the SVG path data of the panels.
 * Pure functions; site/src/components/Samples.astro lays the panels out.
 *
 * The panels are hand-drawn SVG rather than Vega charts: a setting can show a dozen entries ×
 * four panels × 400 points, and one `<path>` of round dots per colour keeps that to a few kB a
 * panel and no render time.
 */
import type { ResultRecord, Snapshot } from '../../harness/schema.ts';
import type { SettingScore } from '../../harness/scoring.ts';
import { recordsByRow, recordsKey } from './views.ts';

/** A snapshot's step: null is the real data (or the truth) the chain starts from. */
export type SnapshotStep = number | null;
export type SnapshotKind = Snapshot['kind'];
type SnapshotOf<K extends SnapshotKind> = Extract<Snapshot, { kind: K }>;

/** One entry's pictures: those of the lowest seed that has any. */
export interface SampleRow<K extends SnapshotKind = SnapshotKind> {
  entry: string;
  seed: number;
  /** Pictures by step. */
  byStep: Map<SnapshotStep, SnapshotOf<K>>;
}

/** The pictures of one kind in one setting. */
export interface SamplesView<K extends SnapshotKind = SnapshotKind> {
  kind: K;
  /** Columns: the real data (null) first where any entry has it, then the steps ascending. */
  steps: SnapshotStep[];
  /** In the order of the setting's score rows; entries without pictures are left out. */
  rows: SampleRow<K>[];
  /** The seeds shown, ascending (one unless some entry lacks pictures on the lowest seed). */
  seeds: number[];
}

/**
 * Per snapshot kind present, each entry's pictures: of its ok records with snapshots, the one
 * with the lowest seed. Kinds in order of first appearance (a task draws one kind).
 */
export function samplesOf(rows: readonly SettingScore[], records: readonly ResultRecord[]): SamplesView[] {
  const byRow = recordsByRow(records.filter((r) => r.status === 'ok' && r.snapshots?.length));
  const views = new Map<SnapshotKind, SamplesView>();
  for (const row of rows) {
    const mine = byRow.get(recordsKey(row));
    if (!mine) continue;
    const record = mine.reduce((a, b) => (b.key.seed < a.key.seed ? b : a));
    for (const snapshot of record.snapshots!) {
      let view = views.get(snapshot.kind);
      if (!view) views.set(snapshot.kind, (view = { kind: snapshot.kind, steps: [], rows: [], seeds: [] }));
      let sampleRow = view.rows.find((r) => r.entry === row.entry);
      if (!sampleRow) view.rows.push((sampleRow = { entry: row.entry, seed: record.key.seed, byStep: new Map() }));
      sampleRow.byStep.set(snapshot.step, snapshot);
    }
  }
  for (const view of views.values()) {
    const steps = new Set(view.rows.flatMap((r) => [...r.byStep.keys()]));
    view.steps = [...steps].sort((a, b) => (a === null ? -1 : b === null ? 1 : a - b));
    view.seeds = [...new Set(view.rows.map((r) => r.seed))].sort((a, b) => a - b);
  }
  return [...views.values()];
}

/** A column heading: "real data" (or `realName`) for step null, else e.g. "generation 3". */
export function stepLabel(step: SnapshotStep, stepAxis: string, realName = 'real data'): string {
  return step === null ? realName : `${stepAxis} ${step}`;
}

// ---------------------------------------------------------------------------------------
// Points (2-D samples coloured by class label)

/**
 * Colour per class label: ColorBrewer's Dark2 (its first three are colour-blind safe), a
 * family apart from the entries' line colours, so a class is not read as an entry.
 */
export const LABEL_COLORS: readonly string[] = ['#1B9E77', '#D95F02', '#7570B3', '#E7298A', '#66A61E', '#E6AB02', '#A6761D', '#666666'];

/** The square region every points panel shows (equal scales on both axes, so shapes are not distorted). */
export interface PointsFrame {
  x: [number, number];
  y: [number, number];
}

/** Side of the points panels' viewBox, in SVG user units. */
export const POINTS_BOX = 100;

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (i - lo);
}

/**
 * One frame for all panels: the real data in full and the middle 98% of every panel's points
 * on each axis (so one far-off sample does not shrink everything else to a dot), 6% margin,
 * widened to a square. Points outside are drawn on its edge ({@link pointsPaths}).
 */
export function pointsFrame(snapshots: readonly SnapshotOf<'points'>[]): PointsFrame {
  const range = (axis: 'x' | 'y'): [number, number] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of snapshots) {
      const values = s[axis].filter(Number.isFinite);
      if (values.length === 0) continue;
      if (s.step === null) {
        lo = Math.min(lo, ...values);
        hi = Math.max(hi, ...values);
      } else {
        const sorted = [...values].sort((a, b) => a - b);
        lo = Math.min(lo, quantile(sorted, 0.01));
        hi = Math.max(hi, quantile(sorted, 0.99));
      }
    }
    return Number.isFinite(lo) ? [lo, hi] : [-1, 1];
  };
  const [x, y] = [range('x'), range('y')];
  const span = Math.max(x[1] - x[0], y[1] - y[0], 1e-9) * 1.12;
  const centre = (r: [number, number]): [number, number] => [(r[0] + r[1]) / 2 - span / 2, (r[0] + r[1]) / 2 + span / 2];
  return { x: centre(x), y: centre(y) };
}

/** The path data of one colour's dots: a zero-length segment per point, drawn with round caps. */
export interface DotPath {
  label: number;
  color: string;
  d: string;
}

/**
 * One panel's dots in a {@link POINTS_BOX}-wide square viewBox (y up), one path per class label
 * (ascending); points outside the frame sit on its edge and are counted in `clamped`; points
 * with a non-finite coordinate are dropped.
 */
export function pointsPaths(snapshot: SnapshotOf<'points'>, frame: PointsFrame): { paths: DotPath[]; clamped: number } {
  const byLabel = new Map<number, string[]>();
  let clamped = 0;
  const scale = (v: number, [lo, hi]: [number, number]) => ((v - lo) / (hi - lo)) * POINTS_BOX;
  for (let i = 0; i < snapshot.x.length; i++) {
    const [x, y] = [snapshot.x[i], snapshot.y[i]];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    let px = scale(x, frame.x);
    let py = POINTS_BOX - scale(y, frame.y);
    if (px < 0 || px > POINTS_BOX || py < 0 || py > POINTS_BOX) {
      clamped++;
      px = Math.min(POINTS_BOX, Math.max(0, px));
      py = Math.min(POINTS_BOX, Math.max(0, py));
    }
    const label = snapshot.label[i] ?? 0;
    if (!byLabel.has(label)) byLabel.set(label, []);
    byLabel.get(label)!.push(`M${px.toFixed(1)} ${py.toFixed(1)}h0`);
  }
  const paths = [...byLabel.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([label, parts]) => ({
      label,
      color: LABEL_COLORS[((label % LABEL_COLORS.length) + LABEL_COLORS.length) % LABEL_COLORS.length],
      d: parts.join(''),
    }));
  return { paths, clamped };
}

// ---------------------------------------------------------------------------------------
// Gaussian (fitted 1-D densities over the true one)

/** ViewBox of a density panel, in SVG user units. */
export const DENSITY_BOX = { width: 200, height: 110 } as const;

/** The x range and density ceiling every density panel shares. */
export interface DensityFrame {
  x: [number, number];
  /** Top of the panels; taller peaks are cut. */
  yMax: number;
  /** Whether some fitted density peaks above `yMax`. */
  cut: boolean;
}

const normalPdf = (x: number, mean: number, variance: number) =>
  Math.exp(-((x - mean) ** 2) / (2 * variance)) / Math.sqrt(2 * Math.PI * variance);
const usable = (mean: number, variance: number) => Number.isFinite(mean) && Number.isFinite(variance) && variance > 0;

/**
 * The frame: the truth's mean ± 4 sd, widened to every fitted chain's mean ± 2.5 sd but never
 * past the truth’s mean ± 6 sd; the top at the tallest peak, at most 3 × the truth's and at
 * least 1.15 × it, so a collapsing chain's spike or a far drift does not flatten the rest.
 */
export function densityFrame(snapshots: readonly SnapshotOf<'gaussian'>[]): DensityFrame {
  const truth = snapshots.find((s) => s.step === null && usable(s.mean[0], s.variance[0]));
  const t = truth ? { mean: truth.mean[0], sd: Math.sqrt(truth.variance[0]) } : { mean: 0, sd: 1 };
  let lo = t.mean - 4 * t.sd;
  let hi = t.mean + 4 * t.sd;
  let tallest = 0;
  for (const s of snapshots) {
    if (s.step === null) continue;
    s.mean.forEach((mean, i) => {
      const variance = s.variance[i];
      if (!usable(mean, variance)) return;
      lo = Math.min(lo, mean - 2.5 * Math.sqrt(variance));
      hi = Math.max(hi, mean + 2.5 * Math.sqrt(variance));
      tallest = Math.max(tallest, normalPdf(mean, mean, variance));
    });
  }
  const truthPeak = normalPdf(t.mean, t.mean, t.sd ** 2);
  const yMax = Math.min(3 * truthPeak, Math.max(1.15 * truthPeak, tallest * 1.05));
  return { x: [Math.max(lo, t.mean - 6 * t.sd), Math.min(hi, t.mean + 6 * t.sd)], yMax, cut: tallest > yMax };
}

/**
 * Path data of N(mean, variance) in a {@link DENSITY_BOX} panel (y up): sampled on a fixed grid
 * plus points around the mean, so a narrow spike keeps its peak; values above the frame are cut
 * just past its top edge (the SVG clips them). `closed`: back along the baseline, for a filled area.
 */
export function densityPath(mean: number, variance: number, frame: DensityFrame, closed = false): string {
  if (!usable(mean, variance)) return '';
  const [lo, hi] = frame.x;
  const sd = Math.sqrt(variance);
  const xs = new Set<number>();
  for (let i = 0; i <= 100; i++) xs.add(lo + ((hi - lo) * i) / 100);
  for (const k of [-3, -2, -1.5, -1, -0.6, -0.3, 0, 0.3, 0.6, 1, 1.5, 2, 3]) {
    const x = mean + k * sd;
    if (x > lo && x < hi) xs.add(x);
  }
  const { width, height } = DENSITY_BOX;
  const top = -1; // just past the top edge
  const points = [...xs]
    .sort((a, b) => a - b)
    .map((x) =>
      [((x - lo) / (hi - lo)) * width, Math.max(top, height - (normalPdf(x, mean, variance) / frame.yMax) * height)].map((v) =>
        Number(v.toFixed(1)),
      ),
    );
  // Straight runs along the baseline or the cut top need only their ends: most of a narrow density's points.
  const kept = points.filter((p, i) => i === 0 || i === points.length - 1 || p[1] !== points[i - 1][1] || p[1] !== points[i + 1][1]);
  return kept.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px} ${py}`).join('') + (closed ? `L${width} ${height}L0 ${height}Z` : '');
}

/** Grid positions (x in viewBox units) at the integers within the frame, at most about 12 of them. */
export function densityGrid(frame: DensityFrame): { x: number; value: number }[] {
  const [lo, hi] = frame.x;
  const step = Math.max(1, Math.ceil((hi - lo) / 12));
  const out: { x: number; value: number }[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step)
    out.push({ x: Number((((v - lo) / (hi - lo)) * DENSITY_BOX.width).toFixed(1)), value: v });
  return out;
}

/** A number for a caption: at most 2 decimals, no trailing zeros, a real minus sign. */
export function formatCoordinate(value: number): string {
  const text = String(Number(value.toFixed(2)));
  return text.startsWith('-') ? `−${text.slice(1)}` : text;
}
