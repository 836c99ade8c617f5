/**
 * Sample-quality and collapse metrics for the 2-D diffusion benchmark, in float64 over typed
 * arrays (points are n×2 row-major Float32Arrays, labels Int32Arrays):
 *
 * - `mmd2`: unbiased squared maximum mean discrepancy with a sum of Gaussian kernels
 *   (Gretton et al., "A Kernel Two-Sample Test", JMLR 2012).
 * - `knnPrecisionRecall`: k-NN-ball precision (fidelity) and recall (diversity)
 *   (Kynkäänniemi et al., "Improved Precision and Recall Metric for Assessing Generative
 *   Models", NeurIPS 2019).
 * - `modeCoverage`, `classVarianceRatio`: mode dropping and within-class shrinkage against the
 *   known ground truth, the two symptoms of self-consuming loops (Alemohammad et al., ICLR
 *   2024; Bertrand et al., ICLR 2024).
 * - `ole`: orthogonal low-rank embedding structure of class latents (Lezama et al., "OLÉ:
 *   Orthogonal Low-rank Embedding", CVPR 2018), as a representation-collapse measure (Cai et
 *   al., AAAI 2026).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { Dataset } from './data.ts';

function rowCount(points: Float32Array, name: string): number {
  if (points.length % 2 !== 0) throw new Error(`${name} must hold n×2 coordinates, got length ${points.length}`);
  return points.length / 2;
}

/**
 * Unbiased MMD² (Gretton et al. 2012, eq. 3) between samples x and y with the kernel
 * Σ_h exp(−‖a−b‖²/(2h²)). The within-sample sums skip the diagonal, so the estimate is
 * centred on the true MMD² and can be slightly negative when the distributions agree.
 */
export function mmd2(x: Float32Array, y: Float32Array, bandwidths: readonly number[] = [0.1, 0.3, 1]): number {
  const m = rowCount(x, 'mmd2 x');
  const n = rowCount(y, 'mmd2 y');
  if (m < 2 || n < 2) throw new Error(`mmd2 needs at least 2 points per sample, got ${m} and ${n}`);
  if (bandwidths.length === 0 || bandwidths.some((h) => !(h > 0) || !Number.isFinite(h))) {
    throw new Error(`mmd2 bandwidths must be positive and finite, got [${bandwidths.join(', ')}]`);
  }
  const coef = Float64Array.from(bandwidths, (h) => -1 / (2 * h * h));
  const kxx = 2 * kernelSum(x, m, x, m, coef, true);
  const kyy = 2 * kernelSum(y, n, y, n, coef, true);
  const kxy = kernelSum(x, m, y, n, coef, false);
  return kxx / (m * (m - 1)) + kyy / (n * (n - 1)) - (2 * kxy) / (m * n);
}

/** 2^(j/256) for j = 0…255 and 2^−k for k = 0…63: the tables of `expNeg`. */
const EXP2_FRACTION = Float64Array.from({ length: 256 }, (_, j) => 2 ** (j / 256));
const EXP2_NEGATIVE = Float64Array.from({ length: 64 }, (_, k) => 2 ** -k);
/**
 * Kernel terms exp(x) with x ≤ EXP_CUTOFF (≈ 4e-18 each) are skipped: MMD² is a difference of
 * averages of such terms, so this moves it by < 2e-17 per bandwidth, below float64 rounding.
 */
const EXP_CUTOFF = -40;
const LOG2E_256 = 256 * Math.LOG2E;
const LN2_256 = Math.LN2 / 256;

/**
 * e^x for EXP_CUTOFF < x ≤ 0, relative error < 4e-15, about twice as fast as Math.exp in the
 * MMD loop (where exp dominates): x·256·log₂e = m + f with integer m, so e^x = 2^(m>>8) ·
 * 2^((m&255)/256) · e^(f·ln2/256), the last factor a degree-5 Taylor polynomial on [0, 0.0028).
 */
function expNeg(x: number): number {
  const y = x * LOG2E_256;
  const m = Math.floor(y);
  const r = (y - m) * LN2_256;
  const poly = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120)))));
  return EXP2_NEGATIVE[-(m >> 8)] * EXP2_FRACTION[m & 255] * poly;
}

/** Σ k(a_i, b_j) over all pairs, or over pairs i < j when `upper` (a and b the same set). */
function kernelSum(a: Float32Array, na: number, b: Float32Array, nb: number, coef: Float64Array, upper: boolean): number {
  const nc = coef.length;
  let total = 0;
  for (let i = 0; i < na; i++) {
    const ax = a[2 * i];
    const ay = a[2 * i + 1];
    let row = 0;
    for (let j = upper ? i + 1 : 0; j < nb; j++) {
      const dx = ax - b[2 * j];
      const dy = ay - b[2 * j + 1];
      const d2 = dx * dx + dy * dy;
      for (let c = 0; c < nc; c++) {
        const e = coef[c] * d2;
        // Written so that a NaN (a diverged sample) reaches the sum instead of being skipped.
        if (!(e <= EXP_CUTOFF)) row += expNeg(e);
      }
    }
    total += row;
  }
  return total;
}

export interface PrecisionRecall {
  /** Fraction of fake points inside at least one real k-NN ball. */
  precision: number;
  /** Fraction of real points inside at least one fake k-NN ball. */
  recall: number;
}

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019): each point's ball has radius
 * the distance to its k-th nearest neighbour in its own set (itself excluded); a point is
 * "inside" when its distance to the centre is ≤ the radius. Brute force, O(n²).
 */
export function knnPrecisionRecall(real: Float32Array, fake: Float32Array, k = 5): PrecisionRecall {
  const nr = rowCount(real, 'knnPrecisionRecall real');
  const nf = rowCount(fake, 'knnPrecisionRecall fake');
  if (!Number.isInteger(k) || k < 1) throw new Error(`knnPrecisionRecall k must be a positive integer, got ${k}`);
  if (nr <= k || nf <= k) throw new Error(`knnPrecisionRecall needs more than k = ${k} points per set, got ${nr} real and ${nf} fake`);
  return {
    precision: fractionInBalls(fake, nf, real, nr, kthNeighbourRadii2(real, nr, k)),
    recall: fractionInBalls(real, nr, fake, nf, kthNeighbourRadii2(fake, nf, k)),
  };
}

/** Squared distance from each point to its k-th nearest other point of the same set. */
function kthNeighbourRadii2(p: Float32Array, n: number, k: number): Float64Array {
  const radii = new Float64Array(n);
  // The k smallest squared distances so far, ascending; best[k−1] is the current k-th.
  const best = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    best.fill(Infinity);
    let kth = Infinity;
    const px = p[2 * i];
    const py = p[2 * i + 1];
    for (let j = 0; j < n; j++) {
      const dx = px - p[2 * j];
      const dy = py - p[2 * j + 1];
      const d2 = dx * dx + dy * dy;
      // Most candidates fail this test once the buffer fills, so the insertion is rare.
      if (d2 < kth && j !== i) {
        let slot = k - 1;
        while (slot > 0 && best[slot - 1] > d2) {
          best[slot] = best[slot - 1];
          slot--;
        }
        best[slot] = d2;
        kth = best[k - 1];
      }
    }
    radii[i] = kth;
  }
  return radii;
}

/** Fraction of query points inside at least one ball (centres, squared radii). */
function fractionInBalls(query: Float32Array, nq: number, centres: Float32Array, nc: number, radii2: Float64Array): number {
  // Largest balls first, so the scan of a covered point usually stops early.
  const order = Array.from({ length: nc }, (_, i) => i).sort((a, b) => radii2[b] - radii2[a]);
  const cx = new Float64Array(nc);
  const cy = new Float64Array(nc);
  const r2 = new Float64Array(nc);
  order.forEach((i, slot) => {
    cx[slot] = centres[2 * i];
    cy[slot] = centres[2 * i + 1];
    r2[slot] = radii2[i];
  });
  let inside = 0;
  for (let q = 0; q < nq; q++) {
    const qx = query[2 * q];
    const qy = query[2 * q + 1];
    for (let c = 0; c < nc; c++) {
      const dx = qx - cx[c];
      const dy = qy - cy[c];
      if (dx * dx + dy * dy <= r2[c]) {
        inside++;
        break;
      }
    }
  }
  return inside / nq;
}

export interface ModeCoverage {
  /** Modes holding at least `threshold` points. */
  covered: number;
  /** Fraction of points on some mode (modeOf ≥ 0). */
  onMode: number;
  /** Points per mode. */
  counts: Int32Array;
  /** max(1, 0.25 · n / modes): a quarter of a mode's fair share, our choice. */
  threshold: number;
}

/**
 * Mode coverage against the known modes. A mode counts as covered when it holds at least a
 * quarter of its fair share of the n points (our choice, not from the papers): a model that
 * keeps a mode at a trickle of stray samples has effectively dropped it, while sampling noise
 * alone almost never pushes a fairly weighted mode that low (with n/modes ≥ 40, the threshold is
 * more than 4.5 binomial SE below a mode's expected count).
 */
export function modeCoverage(ds: Dataset, fake: Float32Array): ModeCoverage {
  const n = rowCount(fake, 'modeCoverage fake');
  const counts = new Int32Array(ds.modes);
  let on = 0;
  for (let i = 0; i < n; i++) {
    const m = ds.modeOf(fake[2 * i], fake[2 * i + 1]);
    if (m >= 0) {
      counts[m]++;
      on++;
    }
  }
  const threshold = Math.max(1, (0.25 * n) / ds.modes);
  let covered = 0;
  for (let m = 0; m < ds.modes; m++) if (counts[m] >= threshold) covered++;
  return { covered, onMode: n === 0 ? 0 : on / n, counts, threshold };
}

/**
 * Mean over classes of (total variance of the class's fake points, n−1 divisor) /
 * ds.classVariance[c]: 1 for a faithful model, → 0 as each class collapses to a point. A
 * class with fewer than 2 points counts as 0 (fully collapsed or dropped).
 */
export function classVarianceRatio(ds: Dataset, fake: Float32Array, labels: Int32Array): number {
  const n = rowCount(fake, 'classVarianceRatio fake');
  if (labels.length !== n) throw new Error(`classVarianceRatio: ${labels.length} labels for ${n} points`);
  const C = ds.classes;
  const count = new Float64Array(C);
  const mean = new Float64Array(2 * C);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!(c >= 0 && c < C)) throw new Error(`classVarianceRatio: label ${c} at row ${i} is outside [0, ${C})`);
    count[c]++;
    mean[2 * c] += fake[2 * i];
    mean[2 * c + 1] += fake[2 * i + 1];
  }
  for (let c = 0; c < C; c++) {
    mean[2 * c] /= count[c] || 1;
    mean[2 * c + 1] /= count[c] || 1;
  }
  // Second pass about the class means (no cancellation from Σx² − n·x̄²).
  const ss = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    const dx = fake[2 * i] - mean[2 * c];
    const dy = fake[2 * i + 1] - mean[2 * c + 1];
    ss[c] += dx * dx + dy * dy;
  }
  let total = 0;
  for (let c = 0; c < C; c++) if (count[c] >= 2) total += ss[c] / (count[c] - 1) / ds.classVariance[c];
  return total / C;
}

/**
 * Nuclear norm (sum of singular values) of the n×dim row-major matrix `rows`, as
 * Σ sqrt(eigenvalues) of the smaller Gram matrix (MᵀM or MMᵀ, same nonzero spectrum), in
 * float64. Eigenvalues below λ_max·size·ε are rounding noise of a zero singular value and are
 * dropped: their square roots (~1e-7·σ_max) would otherwise add up. So the result is exact to
 * about 1e-7 relative for rank-deficient matrices and to rounding for well-conditioned ones.
 */
export function nuclearNorm(rows: Float32Array | Float64Array, n: number, dim: number): number {
  if (rows.length !== n * dim) throw new Error(`nuclearNorm: ${rows.length} values for ${n}×${dim}`);
  if (n === 0 || dim === 0) return 0;
  const size = Math.min(n, dim);
  const gram = n <= dim ? rowGram(rows, n, dim) : columnGram(rows, n, dim);
  if (size === 1) return Math.sqrt(gram[0]);
  const eigenvalues = new EigenvalueDecomposition(Matrix.from1DArray(size, size, gram), { assumeSymmetric: true }).realEigenvalues;
  const cutoff = Math.max(0, ...eigenvalues) * size * Number.EPSILON;
  let sum = 0;
  for (const lambda of eigenvalues) if (lambda > cutoff) sum += Math.sqrt(lambda);
  return sum;
}

/**
 * MᵀM (dim×dim) of n×dim rows: the upper triangle accumulated four rows at a time (a quarter
 * of the loads and stores of g, ≈2.5× faster than row by row), then mirrored.
 */
function columnGram(rows: Float32Array | Float64Array, n: number, dim: number): Float64Array {
  const g = new Float64Array(dim * dim);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o0 = i * dim;
    const o1 = o0 + dim;
    const o2 = o1 + dim;
    const o3 = o2 + dim;
    for (let j = 0; j < dim; j++) {
      const v0 = rows[o0 + j];
      const v1 = rows[o1 + j];
      const v2 = rows[o2 + j];
      const v3 = rows[o3 + j];
      const base = j * dim;
      for (let k = j; k < dim; k++) g[base + k] += v0 * rows[o0 + k] + v1 * rows[o1 + k] + v2 * rows[o2 + k] + v3 * rows[o3 + k];
    }
  }
  for (; i < n; i++) {
    const o = i * dim;
    for (let j = 0; j < dim; j++) {
      const v = rows[o + j];
      const base = j * dim;
      for (let k = j; k < dim; k++) g[base + k] += v * rows[o + k];
    }
  }
  mirrorUpper(g, dim);
  return g;
}

/** MMᵀ (n×n) of n×dim rows. */
function rowGram(rows: Float32Array | Float64Array, n: number, dim: number): Float64Array {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += rows[i * dim + k] * rows[j * dim + k];
      g[i * n + j] = s;
    }
  }
  mirrorUpper(g, n);
  return g;
}

function mirrorUpper(g: Float64Array, size: number): void {
  for (let j = 0; j < size; j++) for (let k = j + 1; k < size; k++) g[k * size + j] = g[j * size + k];
}

/**
 * OLÉ structure (Lezama et al. 2018): with rows L2-normalized (zero rows stay zero),
 * (Σ_c ‖M_c‖_* − ‖M‖_*) / n, where M_c stacks the rows of class c. By the triangle inequality
 * for the nuclear norm it is ≥ 0, and it is 0 exactly when the class subspaces are mutually
 * orthogonal; it grows as classes come to share directions. Clamped at 0 against rounding.
 */
export function ole(latents: Float32Array | Float64Array, dim: number, labels: Int32Array, classes: number): number {
  const n = labels.length;
  if (latents.length !== n * dim) throw new Error(`ole: ${latents.length} latent values for ${n} labels × dim ${dim}`);
  if (n === 0) return 0;
  const start = new Int32Array(classes + 1);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!(c >= 0 && c < classes)) throw new Error(`ole: label ${c} at row ${i} is outside [0, ${classes})`);
    start[c + 1]++;
  }
  for (let c = 0; c < classes; c++) start[c + 1] += start[c];
  // Normalized rows, each class gathered into one contiguous block.
  const grouped = new Float64Array(n * dim);
  const next = start.slice(0, classes);
  for (let i = 0; i < n; i++) {
    let norm2 = 0;
    for (let j = 0; j < dim; j++) norm2 += latents[i * dim + j] ** 2;
    const scale = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
    const at = next[labels[i]]++ * dim;
    for (let j = 0; j < dim; j++) grouped[at + j] = latents[i * dim + j] * scale;
  }
  let classSum = 0;
  for (let c = 0; c < classes; c++) {
    classSum += nuclearNorm(grouped.subarray(start[c] * dim, start[c + 1] * dim), start[c + 1] - start[c], dim);
  }
  return Math.max(0, (classSum - nuclearNorm(grouped, n, dim)) / n);
}
