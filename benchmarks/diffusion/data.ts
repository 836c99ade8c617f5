/**
 * Class-labelled 2-D distributions with known modes, the real data of the self-consuming
 * diffusion benchmark. Toy mixtures like these are the standard setting for watching a
 * generative model lose modes and variance when it is retrained on its own samples
 * (Alemohammad et al., "Self-Consuming Generative Models Go MAD", ICLR 2024; Bertrand et al.,
 * "On the Stability of Iterative Retraining of Generative Models on their own Data",
 * ICLR 2024): because every mode and every class variance is known, mode loss and shrinkage
 * can be measured exactly rather than through a learned feature space.
 *
 * All three sets have overall variance ≈ 1.2–2 per axis, mean 0, and modes far apart
 * compared with their noise, so "which mode is this point on" has a crisp answer.
 */
import type { Rng } from '../../harness/rng.ts';

export type DatasetName = 'ring' | 'grid' | 'spirals';

export interface Dataset {
  name: DatasetName;
  classes: number;
  modes: number;
  /** Noise standard deviation per axis (of each Gaussian, or around the spiral arm). */
  std: number;
  /** Mode centres (ring/grid) or segment midpoints (spirals), modes*2, for charts. */
  centers: Float64Array;
  /** Class of each mode. */
  modeClass: Int32Array;
  /**
   * n i.i.d. labelled samples, labels uniform over classes, written to rows
   * offset … offset + n − 1 of `points` (n×2 row-major) and `labels`.
   */
  sample(n: number, rng: Rng, points: Float32Array, labels: Int32Array, offset?: number): void;
  /** One sample of the given class (for class-conditional real draws / checks). */
  sampleClass(label: number, rng: Rng): [number, number];
  /**
   * The mode a point belongs to: the nearest centre (ring/grid) or the nearest point of a
   * 400-point discretization of the arm curves (spirals; the mode is the arm segment that
   * curve point lies in), provided it is within 3 std; −1 when off every mode. For a 2-D
   * Gaussian mode, 1 − e^(−4.5) ≈ 98.9% of its own samples are within 3 std.
   */
  modeOf(x: number, y: number): number;
  /**
   * Per-class total variance (trace of the covariance) of the true distribution: closed
   * form for ring/grid (2·std²), Simpson quadrature over the arm parameter for spirals
   * (exact to ~1e-12, not a Monte Carlo estimate).
   */
  classVariance: Float64Array;
}

/** Radius of the ring of Gaussians. */
const RING_RADIUS = 2;
const RING_MODES = 8;
/** Grid coordinates of the 5×5 mixture. */
const GRID_AXIS = [-2, -1, 0, 1, 2];

/** Spiral arm k at s ∈ [0, 1]: r = R0 + R_SPAN·s, angle = 2πk/ARMS + 2π·TURNS·s. */
const ARMS = 3;
const SEGMENTS = 4;
const R0 = 0.3;
const R_SPAN = 2.2;
const TURNS = 0.75;
/** Discretization of each arm for modeOf; spacing ≈ 0.018 ≪ 3·std, so distances are exact to ~2e-4. */
const CURVE_POINTS = 400;
/** Simpson intervals for the spiral class variance (even). */
const QUADRATURE_INTERVALS = 4096;

/** modeOf radius in units of std. */
const MODE_RADIUS_STDS = 3;

export function dataset(name: DatasetName, options: { std?: number } = {}): Dataset {
  switch (name) {
    case 'ring': {
      // Ground truth: 8 modes = 8 classes on a circle of radius 2; per-axis variance 2 + std² ≈ 2.01; class variance 2·std² = 0.02.
      const centers = new Float64Array(2 * RING_MODES);
      for (let m = 0; m < RING_MODES; m++) {
        const angle = (2 * Math.PI * m) / RING_MODES;
        centers[2 * m] = RING_RADIUS * Math.cos(angle);
        centers[2 * m + 1] = RING_RADIUS * Math.sin(angle);
      }
      return gaussianMixture('ring', centers, checkedStd(options.std ?? 0.1));
    }
    case 'grid': {
      // Ground truth: 25 modes = 25 classes at {−2,…,2}²; per-axis variance 2 + std² ≈ 2.006; class variance 2·std² = 0.0128.
      const centers = new Float64Array(2 * GRID_AXIS.length ** 2);
      let m = 0;
      for (const x of GRID_AXIS) {
        for (const y of GRID_AXIS) {
          centers[2 * m] = x;
          centers[2 * m + 1] = y;
          m++;
        }
      }
      return gaussianMixture('grid', centers, checkedStd(options.std ?? 0.08));
    }
    case 'spirals':
      // Ground truth: 3 arms = 3 classes, 4 segments each = 12 modes; per-axis variance ≈ 1.19; class variance ≈ 1.980; arms ≥ 0.52 (6.5 std) apart.
      return spirals(checkedStd(options.std ?? 0.08));
    default:
      throw new Error(`unknown dataset ${JSON.stringify(name)}`);
  }
}

function checkedStd(std: number): number {
  if (!(std > 0) || !Number.isFinite(std)) throw new Error(`dataset std must be positive and finite, got ${std}`);
  return std;
}

function checkLabel(label: number, classes: number): void {
  if (!Number.isInteger(label) || label < 0 || label >= classes) {
    throw new Error(`class label must be an integer in [0, ${classes}), got ${label}`);
  }
}

/** Equal-weight isotropic Gaussians, one class per mode. */
function gaussianMixture(name: DatasetName, centers: Float64Array, std: number): Dataset {
  const modes = centers.length / 2;
  const modeClass = new Int32Array(modes);
  for (let m = 0; m < modes; m++) modeClass[m] = m;
  const radius2 = (MODE_RADIUS_STDS * std) ** 2;
  return {
    name,
    classes: modes,
    modes,
    std,
    centers,
    modeClass,
    classVariance: new Float64Array(modes).fill(2 * std * std),
    sample(n, rng, points, labels, offset = 0) {
      for (let i = offset; i < offset + n; i++) {
        const m = rng.int(modes);
        points[2 * i] = centers[2 * m] + std * rng.normal();
        points[2 * i + 1] = centers[2 * m + 1] + std * rng.normal();
        labels[i] = m;
      }
    },
    sampleClass(label, rng) {
      checkLabel(label, modes);
      return [centers[2 * label] + std * rng.normal(), centers[2 * label + 1] + std * rng.normal()];
    },
    // Nearest centre, so the answer stays well defined even if a large std makes balls overlap.
    modeOf: (x, y) => nearestWithin(centers, x, y, radius2),
  };
}

/**
 * Index of the point of `points` (row-major pairs) nearest to (x, y) within squared distance
 * `radius2` (the last of equally near ones), or −1 when none is that close.
 */
function nearestWithin(points: Float64Array, x: number, y: number, radius2: number): number {
  let best = -1;
  let bestD2 = radius2;
  for (let i = 0; i < points.length / 2; i++) {
    const dx = x - points[2 * i];
    const dy = y - points[2 * i + 1];
    const d2 = dx * dx + dy * dy;
    if (d2 <= bestD2) {
      bestD2 = d2;
      best = i;
    }
  }
  return best;
}

/** The point of arm k at parameter s ∈ [0, 1], written to out[0], out[1]. */
function armPoint(k: number, s: number, out: Float64Array): void {
  const r = R0 + R_SPAN * s;
  const angle = (2 * Math.PI * k) / ARMS + 2 * Math.PI * TURNS * s;
  out[0] = r * Math.cos(angle);
  out[1] = r * Math.sin(angle);
}

function spirals(std: number): Dataset {
  const modes = ARMS * SEGMENTS;
  const p = new Float64Array(2);
  const centers = new Float64Array(2 * modes);
  const modeClass = new Int32Array(modes);
  for (let k = 0; k < ARMS; k++) {
    for (let j = 0; j < SEGMENTS; j++) {
      armPoint(k, (j + 0.5) / SEGMENTS, p);
      centers.set(p, 2 * (k * SEGMENTS + j));
      modeClass[k * SEGMENTS + j] = k;
    }
  }
  // Discretized arms with the mode of each curve point, for modeOf.
  const curve = new Float64Array(2 * ARMS * CURVE_POINTS);
  const curveMode = new Int32Array(ARMS * CURVE_POINTS);
  for (let k = 0; k < ARMS; k++) {
    for (let i = 0; i < CURVE_POINTS; i++) {
      const s = i / (CURVE_POINTS - 1);
      armPoint(k, s, p);
      curve.set(p, 2 * (k * CURVE_POINTS + i));
      curveMode[k * CURVE_POINTS + i] = k * SEGMENTS + Math.min(SEGMENTS - 1, Math.floor(s * SEGMENTS));
    }
  }
  // Class variance = E‖c(s)‖² − ‖E c(s)‖² + 2·std², the curve moments by Simpson's rule.
  const classVariance = new Float64Array(ARMS);
  for (let k = 0; k < ARMS; k++) {
    let mx = 0;
    let my = 0;
    let m2 = 0;
    for (let i = 0; i <= QUADRATURE_INTERVALS; i++) {
      const w = i === 0 || i === QUADRATURE_INTERVALS ? 1 : i % 2 === 1 ? 4 : 2;
      armPoint(k, i / QUADRATURE_INTERVALS, p);
      mx += w * p[0];
      my += w * p[1];
      m2 += w * (p[0] * p[0] + p[1] * p[1]);
    }
    const h = 1 / (3 * QUADRATURE_INTERVALS);
    classVariance[k] = m2 * h - (mx * h) ** 2 - (my * h) ** 2 + 2 * std * std;
  }
  const radius2 = (MODE_RADIUS_STDS * std) ** 2;
  const draw = (k: number, rng: Rng): void => {
    armPoint(k, rng.uniform(), p);
    p[0] += std * rng.normal();
    p[1] += std * rng.normal();
  };
  return {
    name: 'spirals',
    classes: ARMS,
    modes,
    std,
    centers,
    modeClass,
    classVariance,
    sample(n, rng, points, labels, offset = 0) {
      for (let i = offset; i < offset + n; i++) {
        const k = rng.int(ARMS);
        draw(k, rng);
        points[2 * i] = p[0];
        points[2 * i + 1] = p[1];
        labels[i] = k;
      }
    },
    sampleClass(label, rng) {
      checkLabel(label, ARMS);
      draw(label, rng);
      return [p[0], p[1]];
    },
    modeOf(x, y) {
      const nearest = nearestWithin(curve, x, y, radius2);
      return nearest < 0 ? -1 : curveMode[nearest];
    },
  };
}
