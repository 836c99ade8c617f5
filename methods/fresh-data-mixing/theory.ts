/**
 * Closed forms for fresh-data mixing (mode=fresh) on the Gaussian chain (benchmarks/gaussian-chain).
 *
 * Write T = tr Σ (the truth), m_t = E‖μ_t − μ‖² and s_t = E[tr Σ_t], n = n_t, α = α_t. Given
 * generation t−1's fit (μ_{t−1}, Σ_{t−1}):
 *
 * split=random: the pool is n i.i.d. draws from q_t = α·N(μ, Σ) + (1−α)·N(μ_{t−1}, Σ_{t−1}),
 * whose mean is αμ + (1−α)μ_{t−1} and whose total variance is
 *     V = α·T + (1−α)·tr Σ_{t−1} + α(1−α)·‖μ_{t−1} − μ‖².
 * The sample mean has bias (1−α)(μ_{t−1} − μ) and variance V/n; the unbiased scatter estimates
 * V exactly whatever the distribution (the MLE (n−1)/n of it). Taking expectations,
 *     m_t = (1−α)²·m_{t−1} + E[V]/n,      s_t = c_n·E[V],
 *     E[V] = α·T + (1−α)·s_{t−1} + α(1−α)·m_{t−1},   c_n = 1 (unbiased) or (n−1)/n (mle).
 *
 * split=exact: k = round(α·n) real and n−k synthetic samples, β = k/n. The mean is
 * β·x̄_real + (1−β)·x̄_syn, and the scatter splits into the two within-group scatters plus
 * k(n−k)/n·‖x̄_real − x̄_syn‖², so
 *     m_t = (1−β)²·m_{t−1} + (k·T + (n−k)·s_{t−1})/n²,
 *     E[scatter] = (n−1)/n·(k·T + (n−k)·s_{t−1}) + k(n−k)/n·m_{t−1},  s_t = E[scatter]/(n−1 or n).
 * With real_weight w (0 < k < n) the mean is w·x̄_real + (1−w)·x̄_syn instead:
 *     m_t = (1−w)²·m_{t−1} + w²·T/k + (1−w)²·s_{t−1}/(n−k)
 * (He, Xu & Cheng 2025's recursion; its fixed point is smallest at w² + (k/(n−k))·w − k/(n−k) = 0).
 *
 * With `known_variance` the covariance is never refit: s_t = T throughout. Generation 0 fits
 * n₀ real samples: m₀ = T/n₀, s₀ = c·T.
 */
import type { GaussianChainParams } from '../../benchmarks/gaussian-chain/task.ts';
import { realFraction, type FreshDataMixingParams } from './method.ts';

export interface MixingCurves {
  /** E‖μ_t − μ‖², t = 0 … generations. */
  meanSqErr: number[];
  /** E[tr Σ_t] / tr Σ. */
  varRatio: number[];
}

export function gaussianMixingTheory(task: GaussianChainParams, method: FreshDataMixingParams): MixingCurves {
  if (method.mode !== 'fresh')
    throw new Error('closed forms exist for mode=fresh only (retain reuses the same real data every generation)');
  const weighted = method.real_weight >= 0;
  if (weighted && !(method.split === 'exact' && task.known_variance)) {
    throw new Error('closed forms with real_weight need split=exact and known_variance=true');
  }
  const T = task.dim * task.variance;
  const sizeAt = (t: number) => Math.round(task.samples * (t + 1) ** task.samples_growth);
  const scatterDivisor = (n: number) => (task.estimator === 'mle' ? n : n - 1);

  const n0 = sizeAt(0);
  let m = T / n0;
  let s = task.known_variance ? T : (T * (n0 - 1)) / scatterDivisor(n0);
  const meanSqErr = [m];
  const varRatio = [s / T];
  for (let t = 1; t <= task.generations; t++) {
    const n = sizeAt(t);
    const alpha = realFraction(method, t);
    let mNext: number;
    let sNext: number;
    if (method.split === 'random') {
      const V = alpha * T + (1 - alpha) * s + alpha * (1 - alpha) * m;
      mNext = (1 - alpha) ** 2 * m + V / n;
      sNext = (V * (n - 1)) / scatterDivisor(n);
    } else {
      const k = Math.round(alpha * n);
      const beta = k / n;
      if (weighted && k > 0 && k < n) {
        const w = method.real_weight;
        mNext = (1 - w) ** 2 * m + (w * w * T) / k + ((1 - w) ** 2 * s) / (n - k);
      } else {
        mNext = (1 - beta) ** 2 * m + (k * T + (n - k) * s) / (n * n);
      }
      sNext = (((n - 1) / n) * (k * T + (n - k) * s) + ((k * (n - k)) / n) * m) / scatterDivisor(n);
    }
    m = mNext;
    s = task.known_variance ? T : sNext;
    meanSqErr.push(m);
    varRatio.push(s / T);
  }
  return { meanSqErr, varRatio };
}
