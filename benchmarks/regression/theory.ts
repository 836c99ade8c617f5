/**
 * Closed forms for least squares refit on its own labels, with Gaussian covariates.
 *
 * Notation: generation s fits n_s = round(T·(s+1)^g) points; σ is the real label noise, σ₀ the
 * synthetic one (σ₀ = σ by default); e_t = ŵ_t − w₀; excess risk E_t = e_tᵀΣe_t.
 *
 * **Replace, OLS.** Generation s regresses y = Xŵ_{s−1} + ε_s on X (ŵ_{−1} = w₀), so
 * ŵ_s = ŵ_{s−1} + (XᵀX)⁻¹Xᵀε_s: each refit adds an independent zero-mean error, and
 *   E[E_t | designs] = σ² tr(Σ(X₀ᵀX₀)⁻¹) + σ₀² Σ_{s=1}^{t} tr(Σ(X_sᵀX_s)⁻¹).
 * For Gaussian rows, XᵀX ~ Wishart(Σ, n), whose inverse has mean Σ⁻¹/(n−d−1) (n > d+1), so
 * tr(Σ E(XᵀX)⁻¹) = d/(n−d−1) whatever Σ is (identity or power law alike):
 *   E[E_t] = d·[σ²/(n₀−d−1) + σ₀² Σ_{s=1}^{t} 1/(n_s−d−1)],   E[test_mse_t] = E[E_t] + σ².
 * With constant n = T and σ₀ = σ this is (t+1)σ²d/(T−d−1): the under-parameterized OLS result
 * of Dohmatob, Feng & Kempe (2024), E_test = σ²d/(T−d−1) + n·σ₀²d/(T−d−1) after n synthetic
 * generations (their n is our t).
 * The same expectation holds for a fixed design (X_s = the chain's first n_s rows); given the
 * design it is (σ² + tσ₀²)·tr(Σ(XᵀX)⁻¹) for constant n (`conditionalExcess`).
 *
 * **Accumulate, fixed design, OLS, constant n** (Gerstgrasser et al. 2024, linear-model result): the
 * pool holds X t+1 times with labels y_0 … y_t, so ŵ_t = (XᵀX)⁻¹Xᵀ(Σ_s y_s)/(t+1) and
 * e_t = e_{t−1} + (XᵀX)⁻¹Xᵀε_t/(t+1). Hence
 *   E[E_t | X] = tr(Σ(XᵀX)⁻¹)·[σ² + σ₀² Σ_{s=1}^{t} 1/(s+1)²],   E[E_t] = d/(T−d−1)·[…],
 * bounded by (π²/6)·E[E_0] when σ₀ = σ.
 *
 * **Oracle scalar shrinkage of the learner** (Σ = I, `labeller=ols`): the best fixed multiple
 * cŵ_t of the replace chain's least-squares learner, knowing V_t = E[E_t] and ‖w₀‖ = r = 1.
 * E‖cŵ_t − w₀‖² = c²(r² + V_t) − 2cr² + r² is least at c* = r²/(r² + V_t), where it is
 * r²V_t/(r² + V_t): the reference an adaptively regularized downstream model should approach
 * (ridge ≈ scalar shrinkage for Σ = I and T ≫ d; Dohmatob et al. 2024, Sec. 5).
 *
 * Ridge (λ > 0 or GCV) has no finite-sample closed form here: the other curves describe OLS
 * fits. No curve is returned when some n_s ≤ d + 1, where the expectation is infinite.
 */
import type { TheoryCurve } from '../../harness/types.ts';
import type { RegressionParams } from './task.ts';

export function regressionTheory(params: RegressionParams): TheoryCurve[] {
  const { dim: d, samples: T, samples_growth: g, generations, noise, synthetic_noise_scale: scale, design } = params;
  const steps = Array.from({ length: generations + 1 }, (_, t) => t);
  const n = steps.map((t) => Math.round(T * (t + 1) ** g));
  if (n.some((ns) => ns <= d + 1)) return [];
  const s2 = noise * noise;
  const s02 = s2 * scale * scale;

  const replace: number[] = [];
  let sum = 0;
  for (const t of steps) {
    sum += (t === 0 ? s2 : s02) * (d / (n[t] - d - 1));
    replace.push(sum);
  }
  const form = g === 0 ? `T = ${T}` : `n_t = round(${T}·(t+1)^${g})`;
  const setting = `${form}, d = ${d}, σ = ${noise}${scale === 1 ? '' : `, σ₀ = ${noise * scale}`}`;
  const formula = g === 0 && scale === 1 ? '(t+1)σ²d/(T−d−1)' : 'd·[σ²/(n₀−d−1) + σ₀² Σ_{s=1}^t 1/(n_s−d−1)]';
  const curves: TheoryCurve[] = [
    { metric: 'excess_risk', steps, values: replace, label: `replace, OLS: E[excess] = ${formula}, ${setting}` },
    { metric: 'test_mse', steps, values: replace.map((v) => v + s2), label: `replace, OLS: E[test MSE] = E[excess] + σ², ${setting}` },
  ];
  if (params.spectrum === 'identity' && params.labeller === 'ols') {
    // ‖w₀‖² = 1 (task.ts): c* = 1/(1 + V_t).
    const oracle = replace.map((v) => v / (1 + v));
    curves.push({
      metric: 'excess_risk',
      steps,
      values: oracle,
      label: `oracle scalar shrinkage of the OLS learner: ‖w₀‖²V_t/(‖w₀‖² + V_t), V_t = replace's E[excess], ${setting}`,
    });
  }
  if (design === 'fixed' && n.every((ns) => ns === T)) {
    const accumulate = steps.map((t) =>
      conditionalExcess({ trace: d / (T - d - 1), t, regime: 'accumulate', noise, syntheticNoise: noise * scale }),
    );
    curves.push(
      {
        metric: 'excess_risk',
        steps,
        values: accumulate,
        label: `accumulate, fixed design, OLS: E[excess] = d/(T−d−1)·[σ² + σ₀² Σ_{s=1}^t 1/(s+1)²], ${setting}`,
      },
      {
        metric: 'test_mse',
        steps,
        values: accumulate.map((v) => v + s2),
        label: `accumulate, fixed design, OLS: E[test MSE] = E[excess] + σ², ${setting}`,
      },
    );
  }
  return curves;
}

/**
 * Expected excess risk at generation t given a fixed design X with constant n, where `trace`
 * = tr(Σ(XᵀX)⁻¹) (or its expectation d/(T−d−1) over Gaussian designs): replace
 * (σ² + tσ₀²)·trace; accumulate (σ² + σ₀² Σ_{s=1}^{t} 1/(s+1)²)·trace.
 */
export function conditionalExcess(o: {
  trace: number;
  t: number;
  regime: 'replace' | 'accumulate';
  noise: number;
  syntheticNoise: number;
}): number {
  const s2 = o.noise * o.noise;
  const s02 = o.syntheticNoise * o.syntheticNoise;
  if (o.regime === 'replace') return o.trace * (s2 + o.t * s02);
  let harmonic = 0;
  for (let s = 1; s <= o.t; s++) harmonic += 1 / ((s + 1) * (s + 1));
  return o.trace * (s2 + s02 * harmonic);
}
