/**
 * Noise regularization, NR-DCCA (He, Chen, Chen et al., "Preventing Model Collapse in Deep
 * Canonical Correlation Analysis by Noise Regularization", NeurIPS 2024, eq. 6).
 *
 * The total canonical correlation Corr is invariant to invertible linear maps, so a linear
 * encoder keeps Corr(W X, W A) = Corr(X, A) for any A: the correlation-invariant property
 * (CIP). Collapsing encoders violate it. NR-DCCA draws fresh Gaussian white noise A_k of X_k's
 * shape at every step and penalizes the violation:
 *
 *   L = L_DCCA + α · Σ_k | Corr(f_k(X_k), f_k(A_k)) − Corr(X_k, A_k) |,
 *
 * with Corr(X_k, A_k) a constant (no weights in it). Here each Corr in the penalty is divided
 * by its dimension (the mean canonical correlation), because X_k has view_dim columns and
 * f_k(X_k) out_dim: without it the penalty compares sums over different numbers of
 * correlations. The paper does not fix α for this data. Default α = 400, chosen on the dcca
 * quick profile (seeds 0 and 1) from {1, 20, 100, 400} as the smallest value that kept
 * downstream R² within 0.02 of its peak: α ≤ 100 did not stop the decline on every draw.
 * At α = 400 the penalty (mean-correlation gaps of ~0.01–0.05) is of the order of the
 * objective (a sum of out_dim correlations).
 */
import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
import type { DccaLossContext } from '../../benchmarks/dcca/task.ts';

// ---------------------------------------------------------------------------------------
// Hyper-parameters

const Params = z.object({
  alpha: z.number().min(0).default(400).describe('weight α of the noise-regularization term against the DCCA objective'),
});
export type NoiseRegularizationParams = z.infer<typeof Params>;

// ---------------------------------------------------------------------------------------
// The loss

function loss(ctx: DccaLossContext, params: NoiseRegularizationParams) {
  const { tf, views, rng } = ctx;
  let penalty = tf.scalar(0);
  views.forEach((x, k) => {
    const [rows, cols] = x.shape;
    // Fresh white noise A_k ~ N(0, I), from the method's own stream.
    const a = tf.tensor2d(Float32Array.from(rng.fillNormal(new Float64Array(rows * cols))), [rows, cols]);
    const h = ctx.embeddings[k];
    // Mean canonical correlations (Corr / dimension), so that a view of view_dim columns and
    // an embedding of out_dim columns compare on one scale.
    const raw = tf.div(ctx.correlation(x, a), cols); // Corr(X_k, A_k): no weights, a constant
    const encoded = tf.div(ctx.correlation(h, ctx.encode(k, a)), h.shape[1]);
    penalty = tf.add(penalty, tf.abs(tf.sub(encoded, raw)));
  });
  return tf.add(ctx.objective, tf.mul(penalty, params.alpha));
}

export default defineMethod({
  id: 'noise-regularization',
  title: 'Noise regularization (NR-DCCA)',
  kind: 'method',
  summary: 'Penalizes the change in total canonical correlation between each view and white noise caused by its encoder (the correlation-invariant property).',
  papers: [{ title: 'Preventing Model Collapse in Deep Canonical Correlation Analysis by Noise Regularization', authors: 'He, Chen, Chen, Zhou, Zhang, Wen, Wang', year: 2024, url: 'https://arxiv.org/abs/2411.00383' }],
  params: Params,
  engine: 'tfjs',
  hooks: { loss },
});
