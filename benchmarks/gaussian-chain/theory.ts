/**
 * Closed forms for the Gaussian chain under the `replace` regime.
 *
 * Generation s fits n_s = round(M·(s+1)^g) samples drawn from generation s−1's fit
 * (generation 0 from the truth). For normal data the sample mean and the scatter are
 * independent, and the scatter is σ²_{s−1}·χ²_{n_s−1}, so with k_s = n_s − 1 (unbiased) or
 * n_s (mle):
 *   σ²_t = σ² Π_{s≤t} χ²_{n_s−1}/k_s                 ⇒ E[σ²_t] = σ² Π_{s≤t} (n_s−1)/k_s
 *   E[‖μ_t − μ‖²] = Σ_{s≤t} E[tr Σ_{s−1}] / n_s       (any d, tr Σ_{−1} = tr Σ)
 *   E[log(σ²_t/σ²)] = Σ_{s≤t} [ψ((n_s−1)/2) + ln(2/k_s)]          (d = 1)
 *   E[σ_t] = σ Π_{s≤t} √(2/k_s)·Γ(n_s/2)/Γ((n_s−1)/2)             (d = 1)
 *   E[W₂²_t] = E[(μ_t−μ)²] + E[σ²_t] − 2σE[σ_t] + σ²               (d = 1)
 * With constant n = M and t+1 fits these are the issue's forms: unbiased E[σ²] = σ²,
 * E[log] = (t+1)[ψ((M−1)/2) + ln(2/(M−1))], E[(μ−μ₀)²] = (t+1)σ²/M; MLE E[σ²] = σ²(1−1/M)^(t+1),
 * E[(μ−μ₀)²] = σ²(1 − (1−1/M)^(t+1)) (Shumailov et al. 2024, Xu, He & Cheng 2025).
 */
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import type { TheoryCurve } from '../../harness/types.ts';
import type { GaussianChainParams } from './task.ts';

export function gaussianTheory(params: GaussianChainParams): TheoryCurve[] {
  const { dim: d, samples: M, samples_growth: g, estimator, generations, variance: s2, known_variance: known } = params;
  const steps = Array.from({ length: generations + 1 }, (_, t) => t);
  const n = steps.map((t) => Math.round(M * (t + 1) ** g));
  // With a known variance only the mean is refit: every variance factor is exactly 1.
  const k = n.map((ns) => (known ? ns - 1 : estimator === 'mle' ? ns : ns - 1));
  const trace = d * s2;

  const varRatio: number[] = [];
  const meanSqErr: number[] = [];
  const logVar: number[] = [];
  const sdRatio: number[] = [];
  let v = 1; // E[tr Σ_{t−1}] / tr Σ
  let mse = 0;
  let lg = 0;
  let sd = 1;
  for (let t = 0; t <= generations; t++) {
    mse += (trace * v) / n[t];
    v *= (n[t] - 1) / k[t];
    if (!known) {
      lg += digamma((n[t] - 1) / 2) + Math.log(2 / k[t]);
      sd *= Math.sqrt(2 / k[t]) * Math.exp(gammaln(n[t] / 2) - gammaln((n[t] - 1) / 2));
    }
    varRatio.push(v);
    meanSqErr.push(mse);
    logVar.push(lg);
    sdRatio.push(sd);
  }

  const form = g === 0 ? `n = ${M}` : `n_t = round(${M}·(t+1)^${g})`;
  const curves: TheoryCurve[] = [
    { metric: 'var_ratio', steps, values: varRatio, label: `${estimator}: E[tr Σ_t]/tr Σ = Π (n_s−1)/k_s, ${form}` },
    { metric: 'mean_sq_err', steps, values: meanSqErr, label: `E‖μ_t−μ‖² = Σ E[tr Σ_{s−1}]/n_s, ${form}` },
  ];
  if (d === 1) {
    curves.push(
      { metric: 'log_var_ratio', steps, values: logVar, label: `E log(σ²_t/σ²) = Σ [ψ((n_s−1)/2) + ln(2/k_s)], ${form}` },
      {
        metric: 'w2',
        steps,
        values: steps.map((t) => meanSqErr[t] + s2 * varRatio[t] - 2 * s2 * sdRatio[t] + s2),
        label: `E W₂² = E(μ_t−μ)² + E σ²_t − 2σ E σ_t + σ², ${form}`,
      },
    );
  }
  return curves;
}
