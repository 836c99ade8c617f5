/**
 * Differentiable total canonical correlation in TensorFlow.js, which has no differentiable
 * eigendecomposition or Cholesky. Everything is matrix products, so gradients flow through.
 *
 * For views H₁ (n×p), H₂ (n×q), centered:
 *   Σ₁₁ = H₁ᵀH₁/(n−1) + r·I,  Σ₂₂ = H₂ᵀH₂/(n−1) + r·I,  Σ₁₂ = H₁ᵀH₂/(n−1),
 *   T = Σ₁₁^{−1/2} Σ₁₂ Σ₂₂^{−1/2},
 *   Corr(H₁, H₂) = ‖T‖_tr = Σᵢ σᵢ(T) = tr((TᵀT)^{1/2})
 * (Andrew et al., "Deep Canonical Correlation Analysis", ICML 2013, eq. 10 with all
 * min(p, q) correlations). Both the whitening Σ^{−1/2} and the square root (TᵀT)^{1/2} come
 * from the coupled Newton–Schulz iteration (Higham, "Functions of Matrices", 2008, eq. 6.35;
 * used for whitening in Lin & Maji, "Improved Bilinear Pooling", BMVC 2017): for SPD A with
 * c = ‖A‖_F, Y₀ = A/c, Z₀ = I,
 *   M = (3I − Z_k Y_k)/2,  Y_{k+1} = Y_k M,  Z_{k+1} = M Z_k,
 * so Y_k → (A/c)^{1/2} and Z_k → (A/c)^{−1/2}; then A^{1/2} = √c·Y, A^{−1/2} = Z/√c. Dividing
 * by the Frobenius norm puts every eigenvalue in (0, 1], where the iteration converges; an
 * eigenvalue λ/c ≪ 1 grows by about 1.5× per step, so `iterations` must cover
 * log(c/λ_min)/log 1.5 (r·I bounds λ_min from below). The trace norm uses the same square
 * root of TᵀT, so it is differentiable everywhere T has full rank and finite elsewhere.
 */
import type * as TF from '@tensorflow/tfjs';

/** Options of the correlation. */
export interface CorrOptions {
  /**
   * Ridge r added to each view's covariance (keeps Σ^{−1/2} bounded).
   * @default 1e-3
   */
  r?: number;
  /**
   * Newton–Schulz iterations for each matrix function.
   * @default 30
   */
  iterations?: number;
  /**
   * ε in tr((TᵀT + εI)^{1/2}): keeps the square root's gradient finite where T loses rank
   * (each zero singular value then counts √ε, 10⁻³ at the default).
   * @default 1e-6
   */
  eps?: number;
}

/** (A^{1/2}, A^{−1/2}) of a symmetric positive (semi)definite matrix by coupled Newton–Schulz. */
export function sqrtAndInvSqrt(tf: typeof TF, a: TF.Tensor2D, iterations = 30): { sqrt: TF.Tensor2D; invSqrt: TF.Tensor2D } {
  const d = a.shape[0];
  const eye = tf.eye(d);
  const c = tf.add(tf.norm(a), 1e-30);
  let y = tf.div(a, c) as TF.Tensor2D;
  let z = eye as TF.Tensor2D;
  for (let k = 0; k < iterations; k++) {
    const m = tf.mul(tf.sub(tf.mul(eye, 3), tf.matMul(z, y)), 0.5) as TF.Tensor2D;
    y = tf.matMul(y, m);
    z = tf.matMul(m, z);
  }
  const root = tf.sqrt(c);
  return { sqrt: tf.mul(y, root) as TF.Tensor2D, invSqrt: tf.div(z, root) as TF.Tensor2D };
}

/** Column-centered copy of H (n×p). */
export function center(tf: typeof TF, h: TF.Tensor2D): TF.Tensor2D {
  return tf.sub(h, tf.mean(h, 0, true)) as TF.Tensor2D;
}

/** The whitened cross-covariance T = Σ₁₁^{−1/2} Σ₁₂ Σ₂₂^{−1/2} of two views (rows are samples). */
export function whitenedCross(tf: typeof TF, h1: TF.Tensor2D, h2: TF.Tensor2D, options: CorrOptions = {}): TF.Tensor2D {
  const { r = 1e-3, iterations = 30 } = options;
  const n = h1.shape[0];
  const a = center(tf, h1);
  const b = center(tf, h2);
  const s11 = tf.add(tf.div(tf.matMul(a, a, true, false), n - 1), tf.mul(tf.eye(a.shape[1]), r)) as TF.Tensor2D;
  const s22 = tf.add(tf.div(tf.matMul(b, b, true, false), n - 1), tf.mul(tf.eye(b.shape[1]), r)) as TF.Tensor2D;
  const s12 = tf.div(tf.matMul(a, b, true, false), n - 1) as TF.Tensor2D;
  const w1 = sqrtAndInvSqrt(tf, s11, iterations).invSqrt;
  const w2 = sqrtAndInvSqrt(tf, s22, iterations).invSqrt;
  return tf.matMul(tf.matMul(w1, s12), w2);
}

/** Total canonical correlation ‖T‖_tr = tr((TᵀT)^{1/2}) of two views, a differentiable scalar. */
export function totalCorrelation(tf: typeof TF, h1: TF.Tensor2D, h2: TF.Tensor2D, options: CorrOptions = {}): TF.Scalar {
  const t = whitenedCross(tf, h1, h2, options);
  // The smaller Gram matrix has the same nonzero eigenvalues σᵢ².
  const gram = t.shape[0] <= t.shape[1] ? tf.matMul(t, t, false, true) : tf.matMul(t, t, true, false);
  const shifted = tf.add(gram, tf.mul(tf.eye(gram.shape[0]), options.eps ?? 1e-6)) as TF.Tensor2D;
  const { sqrt } = sqrtAndInvSqrt(tf, shifted, options.iterations ?? 30);
  return tf.sum(tf.mul(sqrt, tf.eye(sqrt.shape[0]))) as TF.Scalar;
}
