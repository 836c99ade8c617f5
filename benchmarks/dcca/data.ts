/**
 * The synthetic multi-view data of He et al. (NeurIPS 2024, §5.1, after their "god
 * embedding" framework), in float64 from the cell's seeded streams.
 *
 * G ~ N(0, I_L), L = latent_dim. Of G's coordinates, the first c = round(common_rate·L) are
 * seen by every view; the other L − c are dealt round-robin to the views as private
 * coordinates. View k = tanh(G_{S_k} W₁ₖ) W₂ₖ + noise·ε: a fixed random one-hidden-layer tanh
 * map of its subset S_k, lifted to view_dim dimensions, plus Gaussian noise. Downstream
 * targets: y_j = tanh(G a_j) + sin(G b_j)/2 with random directions a_j, b_j (unit norm), a
 * nonlinear function of all of G, so a good representation of each view's G-content scores
 * well and a collapsed one does not.
 */
import { choleskyInto, choleskySolveInto } from '../../harness/linalg.ts';
import type { Rng } from '../../harness/rng.ts';

export interface MultiViewData {
  /** Per view, rows × view_dim, row-major. */
  views: Float64Array[];
  /** rows × tasks, row-major. */
  targets: Float64Array;
  rows: number;
}

export interface DataShape {
  latent_dim: number;
  views: number;
  common_rate: number;
  view_dim: number;
  tasks: number;
  noise: number;
}

/** Hidden width of each view's generating map. */
const MAP_HIDDEN = 32;

/** The fixed random maps of a cell (drawn once from `rng`), and a sampler of (views, targets). */
export function multiViewSource(shape: DataShape, rng: Rng): (rows: number, draw: Rng) => MultiViewData {
  const L = shape.latent_dim;
  const common = Math.round(shape.common_rate * L);
  const subsets: number[][] = Array.from({ length: shape.views }, () => Array.from({ length: common }, (_, i) => i));
  for (let i = common; i < L; i++) subsets[(i - common) % shape.views].push(i);
  const maps = subsets.map((subset) => {
    const w1 = rng.fillNormal(new Float64Array(subset.length * MAP_HIDDEN), 0, 1.5 / Math.sqrt(subset.length));
    const w2 = rng.fillNormal(new Float64Array(MAP_HIDDEN * shape.view_dim), 0, 1 / Math.sqrt(MAP_HIDDEN));
    return { subset, w1, w2 };
  });
  const unit = () => {
    const v = rng.fillNormal(new Float64Array(L));
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  const dirs = Array.from({ length: shape.tasks }, () => ({ a: unit(), b: unit() }));

  return (rows, draw) => {
    const g = draw.fillNormal(new Float64Array(rows * L));
    const views = maps.map(({ subset, w1, w2 }) => {
      const out = new Float64Array(rows * shape.view_dim);
      const hidden = new Float64Array(MAP_HIDDEN);
      for (let i = 0; i < rows; i++) {
        for (let h = 0; h < MAP_HIDDEN; h++) {
          let s = 0;
          for (let j = 0; j < subset.length; j++) s += g[i * L + subset[j]] * w1[j * MAP_HIDDEN + h];
          hidden[h] = Math.tanh(s);
        }
        for (let o = 0; o < shape.view_dim; o++) {
          let s = 0;
          for (let h = 0; h < MAP_HIDDEN; h++) s += hidden[h] * w2[h * shape.view_dim + o];
          out[i * shape.view_dim + o] = s + shape.noise * draw.normal();
        }
      }
      return out;
    });
    const targets = new Float64Array(rows * shape.tasks);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < shape.tasks; j++) {
        let sa = 0;
        let sb = 0;
        for (let l = 0; l < L; l++) {
          sa += g[i * L + l] * dirs[j].a[l];
          sb += g[i * L + l] * dirs[j].b[l];
        }
        targets[i * shape.tasks + j] = Math.tanh(sa) + Math.sin(sb) / 2;
      }
    }
    return { views, targets, rows };
  };
}

/**
 * Mean over targets of the K-fold cross-validated R² of ridge regression (penalty `lambda` on
 * standardized features, intercept unpenalized) of `targets` (n×m) on `features` (n×p). Folds
 * are contiguous blocks (rows are i.i.d.). R² = 1 − SSE/SST pooled over folds. The Gram matrix
 * and its Cholesky factor depend only on the features, so each fold factors once for all targets.
 */
export function ridgeCvR2(features: Float64Array, p: number, targets: Float64Array, m: number, folds: number, lambda: number): number {
  const n = features.length / p;
  // Standardize features (a zero-variance column stays zero).
  const x = new Float64Array(features.length);
  for (let j = 0; j < p; j++) {
    let mu = 0;
    for (let i = 0; i < n; i++) mu += features[i * p + j];
    mu /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (features[i * p + j] - mu) ** 2;
    const sd = Math.sqrt(v / n);
    for (let i = 0; i < n; i++) x[i * p + j] = sd > 1e-12 ? (features[i * p + j] - mu) / sd : 0;
  }
  const yMean = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let t = 0; t < m; t++) yMean[t] += targets[i * m + t];
  for (let t = 0; t < m; t++) yMean[t] /= n;
  const sse = new Float64Array(m);
  const sst = new Float64Array(m);
  for (let f = 0; f < folds; f++) {
    const lo = Math.floor((f * n) / folds);
    const hi = Math.floor(((f + 1) * n) / folds);
    // Normal equations on the training rows, centered (intercept = training means).
    const nTrain = n - (hi - lo);
    const xm = new Float64Array(p);
    const ym = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      if (i >= lo && i < hi) continue;
      for (let j = 0; j < p; j++) xm[j] += x[i * p + j];
      for (let t = 0; t < m; t++) ym[t] += targets[i * m + t];
    }
    for (let j = 0; j < p; j++) xm[j] /= nTrain;
    for (let t = 0; t < m; t++) ym[t] /= nTrain;
    const a = new Float64Array(p * p);
    const b = new Float64Array(p * m);
    const xi = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      if (i >= lo && i < hi) continue;
      for (let j = 0; j < p; j++) xi[j] = x[i * p + j] - xm[j];
      for (let j = 0; j < p; j++) {
        for (let t = 0; t < m; t++) b[j * m + t] += xi[j] * (targets[i * m + t] - ym[t]);
        for (let k = j; k < p; k++) a[j * p + k] += xi[j] * xi[k];
      }
    }
    for (let j = 0; j < p; j++) {
      a[j * p + j] += lambda * nTrain;
      for (let k = 0; k < j; k++) a[j * p + k] = a[k * p + j];
    }
    // Factor in place: a's lower triangle becomes L (L Lᵀ = a).
    if (!choleskyInto(a, 0, p, a, 0, 0)) {
      throw new Error(`ridgeCvR2: the ridge normal matrix XᵀX + λnI of fold ${f} (${p}×${p}, λ = ${lambda}) is not positive definite`);
    }
    const w = new Float64Array(p);
    for (let t = 0; t < m; t++) {
      for (let j = 0; j < p; j++) w[j] = b[j * m + t];
      choleskySolveInto(a, 0, p, w, w);
      for (let i = lo; i < hi; i++) {
        let pred = ym[t];
        for (let j = 0; j < p; j++) pred += (x[i * p + j] - xm[j]) * w[j];
        sse[t] += (targets[i * m + t] - pred) ** 2;
        sst[t] += (targets[i * m + t] - yMean[t]) ** 2;
      }
    }
  }
  let total = 0;
  for (let t = 0; t < m; t++) total += 1 - sse[t] / sst[t];
  return total / m;
}
