/**
 * The contraction filter's coordinates on gaussian-chain: the error of a fit (μ̂, Σ̂) relative
 * to the anchor (μ₀, Σ₀) = the generation-0 fit, whitened by the anchor's Cholesky factor L
 * (Σ₀ = LLᵀ) and scaled so that P = I is the Fisher information at the anchor:
 *
 *   e = [ L⁻¹(μ̂ − μ₀) ;  vechF(L⁻¹Σ̂L⁻ᵀ − I) ],  vechF(E) = (E_ii/√2 for each i, E_ij for i < j),
 *
 * so ‖e‖² = ‖L⁻¹(μ̂−μ₀)‖² + ½‖L⁻¹Σ̂L⁻ᵀ − I‖²_F, the second-order expansion of 2·KL. The family
 * is affine-invariant, so in these coordinates the chain's error dynamics do not depend on the
 * anchor: the filter is trained once on chains that start at (0, I) and applies to any anchor.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { Rng } from '../../harness/rng.ts';
import { choleskyInto } from '../../harness/linalg.ts';

/** Per-replicate fits, row-major: means R×d, covariances R×d×d (gaussian-chain's model). */
export interface GaussianModel {
  mean: Float64Array;
  cov: Float64Array;
}

/**
 * Largest supported dimension: the filter's operator A(e) is a p×p matrix with
 * p = d + d(d+1)/2 (14 at d = 4), an output of p² numbers per replicate.
 */
export const MAX_DIM = 4;
/** Smallest eigenvalue kept in a filtered whitened covariance I + Ẽ (PSD projection). */
const EIGEN_FLOOR = 1e-9;

/** The error dimension p for data dimension d. */
export function errorDim(d: number): number {
  return d + (d * (d + 1)) / 2;
}

/** Lower Cholesky factors of each replicate's covariance (R×d×d); throws when one is not positive definite. */
export function choleskyFactors(cov: Float64Array, R: number, d: number, what: string): Float64Array {
  const out = new Float64Array(R * d * d);
  for (let r = 0; r < R; r++) {
    if (!choleskyInto(cov, r * d * d, d, out, r * d * d)) {
      throw new Error(
        `contraction-filter: the ${what} covariance of replicate ${r} is not positive definite (fewer samples than dim + 1?)`,
      );
    }
  }
  return out;
}

/** Errors e (R×p) of `model` relative to `anchor`, whitened by the anchor's factors. */
export function toErrors(model: GaussianModel, anchor: GaussianModel, factors: Float64Array, R: number, d: number): Float64Array {
  const p = errorDim(d);
  const z = new Float64Array(R * p);
  const diff = new Float64Array(d);
  const w = new Float64Array(d * d);
  const e = new Float64Array(d * d);
  for (let r = 0; r < R; r++) {
    const f = r * d * d;
    for (let k = 0; k < d; k++) diff[k] = model.mean[r * d + k] - anchor.mean[r * d + k];
    solveLower(factors, f, d, diff, 0, 1, diff);
    z.set(diff, r * p);
    // E = L⁻¹ Σ̂ L⁻ᵀ − I: W = L⁻¹Σ̂ column by column, then E = L⁻¹Wᵀ (Σ̂ symmetric).
    for (let j = 0; j < d; j++) solveLower(factors, f, d, model.cov, f + j, d, w, j, d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) e[i * d + j] = w[j * d + i];
    for (let j = 0; j < d; j++) solveLower(factors, f, d, e, j, d, e, j, d);
    for (let k = 0; k < d; k++) e[k * d + k] -= 1;
    writeVech(e, d, z, r * p + d);
  }
  return z;
}

/**
 * The model whose errors relative to `anchor` are z (R×p): μ = μ₀ + Lẽ_μ, Σ = Σ₀ + LẼLᵀ, with
 * I + Ẽ first projected onto {eigenvalues ≥ 1e-9} when it is not positive definite (a
 * Frobenius projection onto a convex set holding I, so it never moves the error away from 0).
 * Returns the model and how many replicates needed that projection.
 */
export function fromErrors(
  z: Float64Array,
  anchor: GaussianModel,
  factors: Float64Array,
  R: number,
  d: number,
): { model: GaussianModel; projected: number } {
  const p = errorDim(d);
  const mean = new Float64Array(R * d);
  const cov = new Float64Array(R * d * d);
  const e = new Float64Array(d * d);
  const le = new Float64Array(d * d);
  let projected = 0;
  for (let r = 0; r < R; r++) {
    const f = r * d * d;
    for (let k = 0; k < d; k++) {
      let s = anchor.mean[r * d + k];
      for (let j = 0; j <= k; j++) s += factors[f + k * d + j] * z[r * p + j];
      mean[r * d + k] = s;
    }
    readVech(z, r * p + d, d, e);
    if (projectPsd(e, d)) projected++;
    // Σ = Σ₀ + L Ẽ Lᵀ (exactly Σ₀ when Ẽ = 0).
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k <= i; k++) s += factors[f + i * d + k] * e[k * d + j];
        le[i * d + j] = s;
      }
    for (let i = 0; i < d; i++)
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k <= j; k++) s += le[i * d + k] * factors[f + j * d + k];
        const v = anchor.cov[f + i * d + j] + s;
        cov[f + i * d + j] = v;
        cov[f + j * d + i] = v;
      }
  }
  return { model: { mean, cov }, projected };
}

/**
 * Training errors: `chains` replace chains (no filter) in whitened coordinates, starting at the
 * anchor (0, I): each generation draws M samples of the current fit and refits it (unbiased
 * covariance), and every generation's error 1…`generations` is kept. Rows: chains × generations, p each.
 */
export function simulateErrors(rng: Rng, d: number, M: number, chains: number, generations: number): Float64Array {
  if (M <= d) throw new Error(`contraction-filter: training chains need more samples than dimensions (samples = ${M}, dim = ${d})`);
  const p = errorDim(d);
  const out = new Float64Array(chains * generations * p);
  const mean = new Float64Array(d);
  const cov = new Float64Array(d * d);
  const factor = new Float64Array(d * d);
  const x = new Float64Array(M * d);
  const e = new Float64Array(d * d);
  for (let c = 0; c < chains; c++) {
    mean.fill(0);
    cov.fill(0);
    for (let k = 0; k < d; k++) cov[k * d + k] = 1;
    for (let t = 0; t < generations; t++) {
      if (!choleskyInto(cov, 0, d, factor, 0)) throw new Error('contraction-filter: a training chain lost positive definiteness');
      rng.fillNormal(x);
      for (let i = 0; i < M; i++) {
        for (let k = d - 1; k >= 0; k--) {
          let s = mean[k];
          for (let j = 0; j <= k; j++) s += factor[k * d + j] * x[i * d + j];
          x[i * d + k] = s;
        }
      }
      mean.fill(0);
      for (let i = 0; i < M; i++) for (let k = 0; k < d; k++) mean[k] += x[i * d + k] / M;
      cov.fill(0);
      for (let i = 0; i < M; i++)
        for (let k = 0; k < d; k++)
          for (let j = 0; j <= k; j++) {
            cov[k * d + j] += ((x[i * d + k] - mean[k]) * (x[i * d + j] - mean[j])) / (M - 1);
          }
      for (let k = 0; k < d; k++) for (let j = 0; j < k; j++) cov[j * d + k] = cov[k * d + j];
      const row = (c * generations + t) * p;
      out.set(mean, row);
      e.set(cov);
      for (let k = 0; k < d; k++) e[k * d + k] -= 1;
      writeVech(e, d, out, row + d);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Small dense helpers (d ≤ MAX_DIM).

function writeVech(e: Float64Array, d: number, out: Float64Array, at: number): void {
  for (let i = 0; i < d; i++) out[at++] = e[i * d + i] / Math.SQRT2;
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) out[at++] = e[i * d + j];
}

function readVech(z: Float64Array, at: number, d: number, e: Float64Array): void {
  for (let i = 0; i < d; i++) e[i * d + i] = z[at++] * Math.SQRT2;
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) e[i * d + j] = e[j * d + i] = z[at++];
}

/** Solves L y = b by forward substitution; b and y are strided vectors (stride 1 or d). */
function solveLower(
  factors: Float64Array,
  f: number,
  d: number,
  b: Float64Array,
  bAt: number,
  bStride: number,
  y: Float64Array,
  yAt = 0,
  yStride = 1,
): void {
  for (let i = 0; i < d; i++) {
    let s = b[bAt + i * bStride];
    for (let k = 0; k < i; k++) s -= factors[f + i * d + k] * y[yAt + k * yStride];
    y[yAt + i * yStride] = s / factors[f + i * d + i];
  }
}

/** Replaces the symmetric Ẽ by the nearest (Frobenius) matrix with I + Ẽ ⪰ floor·I; true when it changed. */
function projectPsd(e: Float64Array, d: number): boolean {
  if (d === 1) {
    if (1 + e[0] >= EIGEN_FLOOR) return false;
    e[0] = EIGEN_FLOOR - 1;
    return true;
  }
  const m = new Matrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m.set(i, j, (i === j ? 1 : 0) + e[i * d + j]);
  const eig = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  if (Math.min(...values) >= EIGEN_FLOOR) return false;
  const V = eig.eigenvectorMatrix;
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += V.get(i, k) * Math.max(values[k], EIGEN_FLOOR) * V.get(j, k);
      e[i * d + j] = s - (i === j ? 1 : 0);
    }
  return true;
}
