/**
 * The d×d solves behind regression's fits: weighted ridge per replicate (fitRidge) from a
 * pool's moments, with λ fixed (Cholesky, from harness/linalg.ts), chosen by generalized
 * cross-validation (Householder tridiagonalization, Tridiagonal), or, for a singular Gram
 * matrix at λ = 0, the minimum-norm least-squares solution (Jacobi eigen-decomposition).
 * Kept apart from task.ts so the task reads as its protocol; the arithmetic order here is
 * part of recorded results.
 */
import { choleskyInto, choleskySolveInto } from '../../harness/linalg.ts';
import type { Moments } from './moments.ts';
import type { RegressionModel } from './task.ts';

/** Parsed fit options: a fixed ridge λ, or λ chosen by generalized cross-validation. */
export type Penalty = { kind: 'fixed'; lambda: number } | { kind: 'gcv' };

/**
 * The GCV grid: λ = 0 (when the normalized Gram matrix Ĝ = XᵀWX/Σw is non-singular) and
 * λ = m̄·10^(k/4) for k = −24…12, i.e. 37 log-spaced values from 10⁻⁶·m̄ to 10³·m̄ in
 * quarter decades, where m̄ = tr Ĝ / d is Ĝ's mean eigenvalue (so the grid follows the scale of x).
 */
export const GCV_GRID = Object.freeze({ kMin: -24, kMax: 12, perDecade: 4 });

/** Pivot threshold relative to the largest diagonal entry below which Ĝ + λI counts as singular. */
const SINGULAR = 1e-12;

/**
 * Weighted ridge per replicate: ŵ = argmin (1/Σw)Σwᵢ(yᵢ − xᵢᵀw)² + λ‖w‖², i.e. the solution
 * of (Ĝ + λI)ŵ = b̂ with Ĝ = XᵀWX/Σw and b̂ = XᵀWy/Σw. A fixed λ is solved by Cholesky; when
 * λ = 0 and Ĝ is singular (fewer than d samples of positive weight) the minimum-norm least
 * squares solution is used (the ridgeless limit). GCV picks λ from GCV_GRID per replicate.
 *
 * The d×d systems are solved here on reused typed-array scratch rather than with ml-matrix:
 * one small solve per replicate per generation would allocate several Matrix objects each.
 */
export function fitRidge(m: Moments, R: number, d: number, penalty: Penalty): RegressionModel {
  const w = new Float64Array(R * d);
  const lambda = new Float64Array(R);
  const A = new Float64Array(d * d);
  const rhs = new Float64Array(d);
  const V = new Float64Array(d * d);
  const mu = new Float64Array(d);
  const c = new Float64Array(d);
  const out = new Float64Array(d);
  const tri = penalty.kind === 'gcv' ? new Tridiagonal(d) : undefined;
  for (let r = 0; r < R; r++) {
    const S = m.S[r];
    if (!(S > 0)) throw new Error(`regression fit: replicate ${r} has no samples of positive weight in its pool`);
    const g = r * d * d;
    for (let j = 0; j < d; j++) {
      rhs[j] = m.b[r * d + j] / S;
      for (let k = j; k < d; k++) A[j * d + k] = A[k * d + j] = m.G[g + j * d + k] / S;
    }
    let lam = 0;
    if (tri) {
      lam = tri.gcv(A, rhs, m.yy[r] / S, S, out);
    } else {
      lam = penalty.kind === 'fixed' ? penalty.lambda : 0;
      for (let j = 0; j < d; j++) A[j * d + j] += lam;
      // Factored in place (L in A's lower triangle); a pivot below SINGULAR × the largest
      // diagonal entry counts as singular.
      if (choleskyInto(A, 0, d, A, 0, SINGULAR * largestDiagonal(A, d))) {
        choleskySolveInto(A, 0, d, rhs, out);
      } else {
        // Singular Ĝ + λI, in practice only λ = 0 with fewer than d samples: rebuild it and
        // solve in its eigenbasis, dropping the null space.
        for (let j = 0; j < d; j++) for (let k = j; k < d; k++) A[j * d + k] = A[k * d + j] = m.G[g + j * d + k] / S + (j === k ? lam : 0);
        jacobiEigen(A, d, V, mu);
        project(V, d, rhs, c);
        spectralSolve(V, mu, c, d, 0, out);
      }
    }
    w.set(out, r * d);
    lambda[r] = lam;
  }
  return { w, lambda };
}

/**
 * Generalized cross-validation (Golub, Heath & Wahba 1979) with frequency weights (n = Σw):
 * GCV(λ) = [RSS(λ)/Σw] / (1 − df(λ)/Σw)², df(λ) = tr((Ĝ + λI)⁻¹Ĝ) = d − λ tr((Ĝ + λI)⁻¹).
 *
 * Ĝ is reduced once to tridiagonal form Ĝ = Q T Qᵀ (Householder, ≈d³ flops); then every grid
 * point costs O(d): with b̃ = Qᵀb̂ and w̃ = (T + λI)⁻¹b̃ (Thomas algorithm),
 * RSS(λ)/Σw = yᵀWy/Σw − w̃ᵀb̃ − λ‖w̃‖², and the diagonal of (T + λI)⁻¹ comes from the forward
 * and backward elimination pivots f, g as 1/(fᵢ + gᵢ − Tᵢᵢ − λ). A full eigendecomposition
 * per replicate (Jacobi) measured ≈20× slower at d = 40. The smallest GCV wins (the first
 * on ties); grid points with df ≥ Σw are skipped; ŵ = Q w̃ at the chosen λ.
 */
class Tridiagonal {
  /** Householder vectors, one per row (row k acts on coordinates k+1 …). */
  private readonly v: Float64Array;
  private readonly diag: Float64Array;
  private readonly off: Float64Array;
  private readonly bt: Float64Array;
  private readonly f: Float64Array;
  private readonly z: Float64Array;
  private readonly wt: Float64Array;
  private readonly p: Float64Array;

  constructor(private readonly d: number) {
    this.v = new Float64Array(d * d);
    this.diag = new Float64Array(d);
    this.off = new Float64Array(d);
    this.bt = new Float64Array(d);
    this.f = new Float64Array(d);
    this.z = new Float64Array(d);
    this.wt = new Float64Array(d);
    this.p = new Float64Array(d);
  }

  /** Chooses λ by GCV for Ĝ (in A, destroyed) and b̂; writes ŵ into out; returns λ. */
  gcv(A: Float64Array, rhs: Float64Array, yy: number, S: number, out: Float64Array): number {
    const { d, diag, bt, wt } = this;
    let trace = 0;
    for (let j = 0; j < d; j++) trace += A[j * d + j];
    this.reduce(A);
    bt.set(rhs);
    this.applyQt(bt);
    let top = 0;
    for (let j = 0; j < d; j++) top = Math.max(top, Math.abs(diag[j]));
    const mean = trace / d;
    let best = Infinity;
    let bestLambda = mean * 10 ** (GCV_GRID.kMax / GCV_GRID.perDecade);
    for (let k = GCV_GRID.kMin - 1; k <= GCV_GRID.kMax; k++) {
      // k = kMin − 1 stands for λ = 0, tried only when T is numerically non-singular.
      const lam = k < GCV_GRID.kMin ? 0 : mean * 10 ** (k / GCV_GRID.perDecade);
      const invTrace = this.solve(lam, SINGULAR * top);
      if (Number.isNaN(invTrace)) continue;
      const df = d - lam * invTrace;
      if (df >= S) continue;
      let fitted = 0;
      let norm2 = 0;
      for (let j = 0; j < d; j++) {
        fitted += wt[j] * bt[j];
        norm2 += wt[j] * wt[j];
      }
      const slack = 1 - df / S;
      const score = Math.max(yy - fitted - lam * norm2, 0) / (slack * slack);
      if (score < best) {
        best = score;
        bestLambda = lam;
      }
    }
    this.solve(bestLambda, 0);
    out.set(wt);
    this.applyQ(out);
    return bestLambda;
  }

  /** Householder reduction of the symmetric A (destroyed) to T = diag + off-diagonal. */
  private reduce(A: Float64Array): void {
    const { d, v, diag, off, p } = this;
    v.fill(0);
    for (let k = 0; k + 2 < d; k++) {
      let tail = 0;
      for (let i = k + 2; i < d; i++) tail += A[i * d + k] * A[i * d + k];
      if (tail === 0) continue; // column already tridiagonal: H_k = I (v_k = 0)
      const x0 = A[(k + 1) * d + k];
      const norm = Math.sqrt(x0 * x0 + tail);
      const alpha = x0 > 0 ? -norm : norm;
      // v = (x − αe₁)/‖x − αe₁‖ on coordinates k+1 …; H_k = I − 2vvᵀ maps x to αe₁.
      const vk = k * d;
      v[vk + k + 1] = x0 - alpha;
      for (let i = k + 2; i < d; i++) v[vk + i] = A[i * d + k];
      const vnorm = Math.sqrt((x0 - alpha) * (x0 - alpha) + tail);
      for (let i = k + 1; i < d; i++) v[vk + i] /= vnorm;
      // A ← H A H on the trailing block: with p = Av and q = p − (vᵀp)v, A −= 2(vqᵀ + qvᵀ).
      let vp = 0;
      for (let i = k + 1; i < d; i++) {
        let s = 0;
        for (let j = k + 1; j < d; j++) s += A[i * d + j] * v[vk + j];
        p[i] = s;
        vp += v[vk + i] * s;
      }
      for (let i = k + 1; i < d; i++) p[i] -= vp * v[vk + i];
      for (let i = k + 1; i < d; i++) {
        const vi = v[vk + i];
        const qi = p[i];
        for (let j = k + 1; j < d; j++) A[i * d + j] -= 2 * (vi * p[j] + qi * v[vk + j]);
      }
      A[(k + 1) * d + k] = alpha;
      A[k * d + k + 1] = alpha;
    }
    for (let i = 0; i < d; i++) {
      diag[i] = A[i * d + i];
      off[i] = i + 1 < d ? A[(i + 1) * d + i] : 0;
    }
  }

  /** x ← Qᵀx = H_{d−3}⋯H_0 x. */
  private applyQt(x: Float64Array): void {
    for (let k = 0; k + 2 < this.d; k++) this.reflect(k, x);
  }

  /** x ← Qx = H_0⋯H_{d−3} x. */
  private applyQ(x: Float64Array): void {
    for (let k = this.d - 3; k >= 0; k--) this.reflect(k, x);
  }

  private reflect(k: number, x: Float64Array): void {
    const { d, v } = this;
    const vk = k * d;
    let s = 0;
    for (let i = k + 1; i < d; i++) s += v[vk + i] * x[i];
    if (s === 0) return;
    for (let i = k + 1; i < d; i++) x[i] -= 2 * s * v[vk + i];
  }

  /**
   * w̃ = (T + λI)⁻¹b̃ into this.wt; returns tr((T + λI)⁻¹), or NaN when a forward pivot is
   * ≤ `floor` (T + λI not numerically positive definite).
   */
  private solve(lam: number, floor: number): number {
    const { d, diag, off, bt, f, z, wt } = this;
    f[0] = diag[0] + lam;
    z[0] = bt[0];
    if (!(f[0] > floor)) return NaN;
    for (let i = 1; i < d; i++) {
      const m = off[i - 1] / f[i - 1];
      f[i] = diag[i] + lam - m * off[i - 1];
      z[i] = bt[i] - m * z[i - 1];
      if (!(f[i] > floor)) return NaN;
    }
    wt[d - 1] = z[d - 1] / f[d - 1];
    for (let i = d - 2; i >= 0; i--) wt[i] = (z[i] - off[i] * wt[i + 1]) / f[i];
    // Backward pivots g, run from the bottom; (T + λI)⁻¹ᵢᵢ = 1/(fᵢ + gᵢ − Tᵢᵢ − λ).
    let g = diag[d - 1] + lam;
    let invTrace = 1 / (f[d - 1] + g - diag[d - 1] - lam);
    for (let i = d - 2; i >= 0; i--) {
      g = diag[i] + lam - (off[i] * off[i]) / g;
      invTrace += 1 / (f[i] + g - diag[i] - lam);
    }
    return invTrace;
  }
}

/** max_j A_jj of the d×d matrix A (0 if none is positive). */
function largestDiagonal(A: Float64Array, d: number): number {
  let top = 0;
  for (let j = 0; j < d; j++) top = Math.max(top, A[j * d + j]);
  return top;
}

/**
 * Cyclic Jacobi eigen-decomposition of the symmetric d×d matrix A (destroyed): eigenvalues
 * into mu, eigenvectors as the columns of V. Accurate to round-off for the small, well-scaled
 * matrices here; O(d³) per sweep, a handful of sweeps.
 */
function jacobiEigen(A: Float64Array, d: number, V: Float64Array, mu: Float64Array): void {
  V.fill(0);
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  for (let sweep = 0; sweep < 64; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < d; p++) {
      diag += A[p * d + p] * A[p * d + p];
      for (let q = p + 1; q < d; q++) off += A[p * d + q] * A[p * d + q];
    }
    if (off <= 1e-32 * diag || off === 0) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = A[p * d + q];
        if (apq === 0) continue;
        // Rotation that zeroes A[p][q] (Rutishauser's stable form; Numerical Recipes §11.1).
        const theta = (A[q * d + q] - A[p * d + p]) / (2 * apq);
        const t = Math.abs(theta) > 1e150 ? 1 / (2 * theta) : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < d; k++) {
          const akp = A[k * d + p];
          const akq = A[k * d + q];
          A[k * d + p] = cs * akp - sn * akq;
          A[k * d + q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = A[p * d + k];
          const aqk = A[q * d + k];
          A[p * d + k] = cs * apk - sn * aqk;
          A[q * d + k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = V[k * d + p];
          const vkq = V[k * d + q];
          V[k * d + p] = cs * vkp - sn * vkq;
          V[k * d + q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  for (let i = 0; i < d; i++) mu[i] = A[i * d + i];
}

/** c = Vᵀ rhs. */
function project(V: Float64Array, d: number, rhs: Float64Array, c: Float64Array): void {
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += V[k * d + j] * rhs[k];
    c[j] = s;
  }
}

/**
 * x = V diag(1/(μ+λ)) c, dropping directions whose μ + λ is below SINGULAR × the largest μ
 * (for λ = 0 and singular Ĝ: the minimum-norm least-squares solution).
 */
function spectralSolve(V: Float64Array, mu: Float64Array, c: Float64Array, d: number, lam: number, out: Float64Array): void {
  let top = 0;
  for (let j = 0; j < d; j++) top = Math.max(top, mu[j]);
  out.fill(0);
  for (let j = 0; j < d; j++) {
    const denom = mu[j] + lam;
    if (!(denom > SINGULAR * top)) continue;
    const coef = c[j] / denom;
    for (let k = 0; k < d; k++) out[k] += V[k * d + j] * coef;
  }
}
