/**
 * The variance of the accumulated, generation-weighted mean (Amin et al. 2026, mean estimation)
 * on gaussian-chain with `known_variance` (only the mean is refit, so every synthetic sample
 * has the true variance σ²), d = 1, constant n.
 *
 * Round τ = t + 1 (our generation t) has round mean X̄_τ = μ + a_τ·(Y_{τ−1} − μ) + U_τ, with
 * Y_{τ−1} the previous fit and a_τ its synthetic fraction (a = `contamination`, the paper's α). With exact split a_τ = round(a·n)/n is
 * fixed and Var U_τ = σ²/n. With random split the number of synthetic slots K ~ Bin(n, a), so
 * U_τ = (K/n − a)(Y_{τ−1} − μ) + noise, uncorrelated with Y_{τ−1}, and
 * Var U_τ = σ²/n + a(1−a)/n · v_{τ−1}. The fit Y_τ = Σ_s w_s X̄_s / W_τ (w_s = s^γ, W_τ = Σ_{s≤τ} w_s)
 * then gives
 *     v_τ = ((W_{τ−1} + a·w_τ)/W_τ)² · v_{τ−1} + (w_τ/W_τ)² · Var U_τ,    v_1 = σ²/n,
 * which for γ = 0 and exact split is Amin et al.'s v_t = ((t−1+a)/t)²·v_{t−1} + s²/t².
 * Returned by generation: index t holds v_{t+1}.
 */
import { roundWeight, type GenerationWeightingParams } from './method.ts';

export function weightedMeanVariance(
  opts: { samples: number; variance: number; generations: number },
  params: GenerationWeightingParams,
): number[] {
  const { samples: n, variance: sigma2, generations } = opts;
  const a = params.split === 'exact' ? Math.round(params.contamination * n) / n : params.contamination;
  const binomial = params.split === 'exact' ? 0 : a * (1 - a);
  let v = sigma2 / n;
  let W = roundWeight(0, params.gamma);
  const out = [v];
  for (let t = 1; t <= generations; t++) {
    const w = roundWeight(t, params.gamma);
    const Wt = W + w;
    const noise = sigma2 / n + (binomial * v) / n;
    v = ((W + a * w) / Wt) ** 2 * v + (w / Wt) ** 2 * noise;
    W = Wt;
    out.push(v);
  }
  return out;
}
