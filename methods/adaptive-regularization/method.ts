/**
 * Adaptive regularization: regularize every generation's fit, more strongly the more
 * synthetic generations lie behind its data and less strongly the more samples it has
 * (Dohmatob, Feng & Kempe, "Model Collapse Demystified: The Case of Regression", NeurIPS 2024,
 * arXiv:2402.07712, Sec. 5).
 *
 * The paper. Ridge regression on T samples whose labels were produced by a chain of n
 * synthetic generations (each fit on T₀ samples with label noise σ₀) has a test error that
 * grows linearly in n (Theorem 4.1): with OLS, under-parameterized,
 *
 *     E_test ≃ σ²φ/(1−φ) + n·σ₀²φ₀/(1−φ₀),        φ = d/T, φ₀ = d/T₀.
 *
 * Under a power-law spectrum (eigenvalues j^(−β), source exponent r, r̄ = min(r, 1)) and ridge
 * λ = T^(−ℓ), Theorem 5.1 gives the rate E_test ≍ σ_n²·T^(−(1−ℓ/β)) + T^(−2ℓr̄): the synthetic
 * generations act like label noise σ_n² = σ² + n·σ₀²·T/T₀ (up to (1−φ₀) factors) on top of σ².
 * Balancing the two terms gives the classical optimum λ ≍ T^(−ℓ_crit), ℓ_crit = β/(1 + 2βr̄),
 * at n = 0 (the paper's Fig. 1b runs the chain with λ = T^(−ℓ_crit)), and with n generations
 *
 *     λ* ≍ (σ_n² / T)^ℓ_crit = ((σ² + n·σ₀²·T/T₀) / T)^ℓ_crit,
 *
 * i.e. the optimal penalty must grow with the number of synthetic generations: the paper's
 * adaptive regularization. (Our reading of Sec. 5; see README.md for what could be checked.)
 *
 * Here. Generation t is fit on n_t samples whose labels went through t synthetic generations
 * of the same size (T = T₀ = n_t) and the same noise (σ₀ = σ), so σ_t²/T = σ²(t+1)/n_t and
 *
 *     λ_t = scale · c_task · ((t + 1) / n_t)^ℓ                                   (rule=scaling)
 *
 * with c_task absorbing σ² and the signal strength (for Σ = I the exact single-fit optimum is
 * λ* = σ²d/(T‖w₀‖²), Dobriban & Wager 2018, i.e. ℓ = 1, c = σ²d/‖w₀‖²). The fit hook sees only
 * (task, t, n_t), so c_task is calibrated once per task at its quick profile (README.md).
 * rule=gcv lets the task choose λ from the data per replicate instead; rule=fixed holds the
 * task's option at `lambda` (the U-shaped sweep that motivates adapting it).
 *
 * Each task turns λ_t into its own fit option (the task-specific branches in `fitOptions`):
 * - regression: ridge λ_t, the paper's estimator, in the task's per-sample normalization
 *   (XᵀX/n + λI)ŵ = Xᵀy/n, the one in which λ ≍ T^(−ℓ) is stated.
 * - recursive-lm: add-β smoothing, by analogy. Add-β is the posterior mean under a symmetric
 *   Dirichlet(β) prior and shrinks the empirical frequencies towards uniform with weight
 *   Vβ/(N+Vβ), as ridge shrinks by λ/(1+λ) for Σ = I: λ ↔ Vβ/N. Under replacement the token
 *   frequencies drift like labels do, with variance growing as (t+1)/N, so β_t = λ_t·N/V ∝ (t+1)
 *   for ℓ = 1 (N cancels; 1/V is folded into c_task).
 * - gaussian-chain: shrinkage of Σ̂ towards the generation-0 fit Σ̂₀ with weight
 *   s_t = λ_t/(1+λ_t), again by analogy: the drift of Σ̂_t away from Σ̂₀ accumulates over t
 *   refits like the labels' synthetic noise, so the weight on the real-data anchor grows with t.
 *   There is no data-driven choice there: rule=gcv falls back to the scaling rule.
 */
import { z } from 'zod';
import { defineMethod, type FitContext, type FitOptions, type TaskDefinition } from '../../harness/types.ts';

// ---------------------------------------------------------------------------------------
// Hyper-parameters

const Params = z.object({
  rule: z
    .enum(['scaling', 'gcv', 'fixed'])
    .default('scaling')
    .describe('how the regularization is chosen: scaling = λ_t = scale·c_task·((t+1)/n_t)^exponent (paper Sec. 5); gcv = the task picks it from the data (ridge_gcv, smoothing_cv; gaussian-chain: scaling); fixed = lambda at every generation'),
  scale: z.number().min(0).default(1).describe('rule=scaling: multiplier on the calibrated per-task constant c_task'),
  exponent: z.number().gt(0).max(2).default(1).describe('rule=scaling: ℓ, the paper’s ℓ_crit = β/(1+2β·min(r,1)); 1 = isotropic covariates (β → ∞, r = 1/2)'),
  lambda: z.number().min(0).default(0.1).describe('rule=fixed: the task’s option at every generation: ridge λ (regression), pseudo-count β (recursive-lm), shrinkage s ≤ 1 (gaussian-chain)'),
});
export type AdaptiveRegularizationParams = z.infer<typeof Params>;

/**
 * c_task of the scaling rule, calibrated at each task's quick profile by sweeping `scale`
 * (README.md "Parameters and defaults"). Regression: 0.4 × σ²d/‖w₀‖² (= 10 there), less than
 * the single-fit optimum because each fit's shrinkage is passed on to the next generation's
 * labels. recursive-lm: β_t = 0.04(t+1) = 2(t+1)/V at V = 50. gaussian-chain: s_t =
 * (t+1)/(t+2) at M = 20 (the score improves monotonically towards s = 1).
 */
export const TASK_CONSTANT: Readonly<Record<string, number>> = Object.freeze({
  regression: 4,
  'recursive-lm': 0.04,
  'gaussian-chain': 20,
});

/** The scaling rule λ_t = scale · c · ((t + 1) / n_t)^ℓ. */
export function scalingLambda(t: number, n: number, c: number, params: Pick<AdaptiveRegularizationParams, 'scale' | 'exponent'>): number {
  return params.scale * c * Math.pow((t + 1) / n, params.exponent);
}

// ---------------------------------------------------------------------------------------
// The fit hook, one branch per task

function fitOptions(ctx: FitContext, p: AdaptiveRegularizationParams): FitOptions {
  const { t, size: n } = ctx;
  const lambda = () => scalingLambda(t, n, TASK_CONSTANT[ctx.task], p);
  switch (ctx.task) {
    case 'regression':
      // The paper's estimator: ridge with λ_t, or λ chosen by generalized cross-validation.
      if (p.rule === 'fixed') return { ridge: p.lambda };
      if (p.rule === 'gcv') return { ridge_gcv: 1 };
      return { ridge: lambda() };

    case 'recursive-lm':
      // Add-β smoothing, β_t = λ_t·n_t (pseudo-counts; 1/V and the per-context share of n_t
      // are in c_task, exact for ℓ = 1 where n_t cancels), or β by leave-one-out likelihood.
      if (p.rule === 'fixed') return { smoothing: p.lambda };
      if (p.rule === 'gcv') return { smoothing_cv: 1 };
      return { smoothing: lambda() * n };

    case 'gaussian-chain': {
      // Shrinkage towards the generation-0 fit with weight s_t = λ_t/(1+λ_t); no data-driven
      // variant exists, so rule=gcv uses the scaling rule too.
      if (p.rule === 'fixed') {
        if (p.lambda > 1) throw new Error(`adaptive-regularization: lambda is the shrinkage s on gaussian-chain and must be <= 1, got ${p.lambda}`);
        return { shrinkage: p.lambda };
      }
      const l = lambda();
      return { shrinkage: l / (1 + l) };
    }
  }
  // Unreachable for tasks `skip` lets through.
  throw new Error(`adaptive-regularization has no fit options for task ${ctx.task}`);
}

export default defineMethod({
  id: 'adaptive-regularization',
  title: 'Adaptive regularization',
  kind: 'method',
  summary:
    'Regularizes each generation’s fit with a strength that grows with the number of synthetic generations behind its data and ' +
    'shrinks with the sample size, λ_t ∝ ((t+1)/n_t)^ℓ (Dohmatob et al.’s scaling of the optimal ridge); or chooses it by GCV / ' +
    'leave-one-out, or holds it fixed. Ridge on regression, add-β smoothing on recursive-lm, shrinkage towards the real fit on gaussian-chain.',
  papers: [{ title: 'Model Collapse Demystified: The Case of Regression', authors: 'Dohmatob, Feng, Kempe', year: 2024, url: 'https://arxiv.org/abs/2402.07712' }],
  params: Params,
  hooks: { fit: fitOptions },
  skip: (task: TaskDefinition<any>, taskParams?: Record<string, unknown>) => {
    if (!(task.id in TASK_CONSTANT)) return `adaptive-regularization knows the fit options of ${Object.keys(TASK_CONSTANT).join(', ')} only, not ${task.id}`;
    // The neural char variant has no smoothing option to regularize.
    if (task.id === 'recursive-lm' && taskParams?.variant === 'char') return 'recursive-lm variant char has no smoothing fit option';
    return undefined;
  },
});
