/**
 * Adaptive regularization: the downstream model's ridge penalty grows with the number of
 * synthetic generations behind its training data (Dohmatob, Feng & Kempe, "Model Collapse
 * Demystified: The Case of Regression", NeurIPS 2024, arXiv:2402.07712, Sec. 5).
 *
 * The paper's setting. A chain of least-squares generators, each fit on T₀ samples labelled by
 * the previous one with label noise σ₀, produces the data of a *downstream* ridge model fit on T
 * samples. After n generators the OLS test error is (Theorem 4.1, Σ = I, under-parameterized)
 *
 *     E_test ≃ σ²φ/(1−φ) + n·σ₀²φ₀/(1−φ₀),        φ = d/T, φ₀ = d/T₀,
 *
 * i.e. the generations act like extra label noise, σ_n² = σ² + n·σ₀²·T/T₀ (Sec. 5), so the
 * regularization that is optimal without synthetic data is no longer right: the optimal ridge
 * penalty must grow with n. The generators stay least squares; only the downstream model is
 * regularized (the task's `labeller=ols`).
 *
 * Here (rule=adaptive, the default). Generation t's learner fits n_t samples whose labels went
 * through the real fit (n₀ samples, noise σ²) and t synthetic generations (n_u samples, noise
 * σ₀², u = 1 … t), so its equivalent label noise at its own sample size is
 *
 *     σ_t² = n_t · (σ²/n₀ + Σ_{u=1..t} σ₀²/n_u)         (= σ² + t·σ₀²·T/T₀ for n₀ = T₀, n_u = T)
 *
 * and we take the optimal ridge for that noise, the Dobriban & Wager (2018) optimum for
 * isotropic signal, λ*(σ²) = σ²·d / (T·‖w₀‖²), in the task's normalization
 * (XᵀX/n + λI)ŵ = Xᵀy/n:
 *
 *     λ_t = scale · σ_t²·d / (n_t·‖w₀‖²).
 *
 * Every constant is a quantity the task declares (FitContext.known): d, σ², σ₀², ‖w₀‖²; no
 * constant is tuned on the benchmark. rule=classical uses the single-fit optimum σ²d/(n_t‖w₀‖²)
 * at every generation (the choice the paper says stops being right once n > 0); rule=gcv lets
 * the task choose λ from the data (generalized cross-validation); rule=fixed holds λ = lambda
 * (the U-shaped sweep in λ of the paper's Fig. 1).
 */
import { z } from 'zod';
import { defineMethod, type FitContext, type FitOptions } from '../../harness/types.ts';

// ---------------------------------------------------------------------------------------
// Hyper-parameters

const Params = z.object({
  rule: z
    .enum(['adaptive', 'classical', 'gcv', 'fixed'])
    .default('adaptive')
    .describe(
      'how λ_t is chosen: adaptive = σ_t²d/(n_t‖w₀‖²) with the synthetic generations’ noise in σ_t² (the paper); classical = σ²d/(n_t‖w₀‖²), ignoring them; gcv = generalized cross-validation by the task; fixed = lambda',
    ),
  scale: z
    .number()
    .min(0)
    .default(1)
    .describe('rules adaptive and classical: multiplier on λ_t (1 = the optimum; other values trace the U-shape around it)'),
  lambda: z.number().min(0).default(0.1).describe('rule=fixed: the ridge penalty at every generation'),
});
export type AdaptiveRegularizationParams = z.infer<typeof Params>;

/** The task's known quantities this method reads (declared by regression, benchmarks/regression/task.ts). */
const Known = z.object({
  dim: z.number().int().min(1),
  noise_variance: z.number().min(0),
  synthetic_noise_variance: z.number().min(0),
  signal_norm2: z.number().gt(0),
});
type KnownQuantities = z.infer<typeof Known>;

// ---------------------------------------------------------------------------------------
// The penalty

/**
 * σ_t²: the label noise that, at the learner's own sample size n_t, gives the error of least
 * squares after the real fit and t synthetic generations: n_t·(σ²/n₀ + Σ_{u=1..t} σ₀²/n_u).
 */
export function equivalentNoise(
  sampleSizes: readonly number[],
  known: Pick<KnownQuantities, 'noise_variance' | 'synthetic_noise_variance'>,
): number {
  const t = sampleSizes.length - 1;
  let perSample = known.noise_variance / sampleSizes[0];
  for (let u = 1; u <= t; u++) perSample += known.synthetic_noise_variance / sampleSizes[u];
  return sampleSizes[t] * perSample;
}

/** λ_t of rules adaptive and classical: scale · noise·d/(n_t‖w₀‖²). */
export function ridgePenalty(
  rule: 'adaptive' | 'classical',
  sampleSizes: readonly number[],
  known: KnownQuantities,
  scale: number,
): number {
  const noise = rule === 'adaptive' ? equivalentNoise(sampleSizes, known) : known.noise_variance;
  return (scale * noise * known.dim) / (sampleSizes[sampleSizes.length - 1] * known.signal_norm2);
}

// ---------------------------------------------------------------------------------------
// The fit hook

function fitOptions(ctx: FitContext, p: AdaptiveRegularizationParams): FitOptions {
  if (p.rule === 'fixed') return { ridge: p.lambda };
  if (p.rule === 'gcv') return { ridge_gcv: 1 };
  const known = Known.safeParse(ctx.known);
  if (!known.success) {
    throw new Error(
      `adaptive-regularization: task ${ctx.task} known quantity ${known.error.issues[0].path.join('.')}: ${known.error.issues[0].message}`,
    );
  }
  return { ridge: ridgePenalty(p.rule, ctx.sampleSizes, known.data, p.scale) };
}

export default defineMethod({
  id: 'adaptive-regularization',
  title: 'Adaptive regularization',
  kind: 'method',
  summary:
    'Ridge regression whose penalty grows with the synthetic generations behind its data, λ_t = σ_t²d/(n_t‖w₀‖²) with the ' +
    'generations’ noise counted in σ_t² (Dohmatob et al.): the downstream model is regularized, the data-generating chain stays least squares.',
  papers: [
    {
      title: 'Model Collapse Demystified: The Case of Regression',
      authors: 'Dohmatob, Feng, Kempe',
      year: 2024,
      url: 'https://arxiv.org/abs/2402.07712',
    },
  ],
  params: Params,
  hooks: { fit: fitOptions },
  needs: { fitOptions: ['ridge', 'ridge_gcv'], known: Object.keys(Known.shape) },
});
