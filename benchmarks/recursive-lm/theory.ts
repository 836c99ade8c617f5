/**
 * Closed forms for the `markov` variant (count model over contexts with Zipf truths).
 *
 * Fit g draws n_g tokens per context from q_g = α_g p* + (1−α_g) p̂_{g−1} (each token real with
 * probability α_g, else from the previous fit; for `replace` α_g = 0, and generation 0 is real,
 * q_0 = p*), and fits p̂_g = λ_g·c/n_g + (1−λ_g)·u with counts c, u uniform over the V tokens
 * and λ_g = n_g/(n_g + Vβ_g) (additive smoothing β_g; β = 0 is the count MLE, λ = 1).
 *
 * Squared error e_g = E‖p̂_g − p*‖². Conditionally on p̂_{g−1}, c/n_g has mean q_g and
 * E‖c/n_g − q_g‖² = (1 − ‖q_g‖²)/n_g. For the MLE, E[p̂_g] = p* at every g (a martingale), so
 * the cross terms vanish and
 *   e_g = (1−α_g)²(1 − 1/n_g)·e_{g−1} + (1 − ‖p*‖²)/n_g,   e_{−1} = 0
 * (Seddik et al. 2024 for α = 0; Bakshi & Chakraborty for the mixture q_g): with α = 0 and
 * constant n, e_g = (1 − ‖p*‖²)(1 − (1 − 1/n)^(g+1)) → 1 − ‖p*‖², absorption into a point mass.
 * With smoothing, E[p̂_g] = a_g p* + (1−a_g) u with a_g = λ_g(α_g + (1−α_g)a_{g−1}), a_{−1} = 1,
 * and with D = ‖u − p*‖² = ‖p*‖² − 1/V the same expansion gives
 *   e_g = λ²/n·[1 − ‖p*‖² + 2(1−α)(1−a)D − (1−α)²e] + λ²(1−α)²e + 2λ(1−λ)(1−α)(1−a)D + (1−λ)²D
 * with α, λ, n of fit g and a, e of fit g−1. Every context has the same ‖p*‖² (a permutation
 * of one Zipf vector), so the per-context mean equals the per-context value.
 *
 * Support (β = 0): a token's count alone is a Markov chain, c_g ~ Binomial(n_g, α_g p_k +
 * (1−α_g) c_{g−1}/n_{g−1}), c_0 ~ Binomial(n_0, p_k); E[fraction of tokens alive] is the mean of
 * P(c_g > 0) over tokens, computed exactly by propagating each token's count distribution.
 */
import gammaln from '@stdlib/math-base-special-gammaln';
import type { TheoryCurve } from '../../harness/types.ts';
import type { RecursiveLmParams } from './task.ts';

/** Zipf(s) over V tokens, p_k ∝ k^(−s) for ranks k = 1 … V, normalized. */
export function zipfPmf(V: number, s: number): Float64Array {
  const p = new Float64Array(V);
  let total = 0;
  for (let k = 0; k < V; k++) total += p[k] = (k + 1) ** -s;
  for (let k = 0; k < V; k++) p[k] /= total;
  return p;
}

/** ‖p‖². */
export function sqNorm(p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i] * p[i];
  return s;
}

/**
 * E‖p̂_g − p*‖² for fits g = 0 … n.length−1 (see the module comment).
 * @param pStarSqNorm ‖p*‖² (the same for every context)
 * @param n tokens per context of fit g's pool
 * @param alpha real fraction α_g of fit g's pool (α_0 is irrelevant: fit 0 has no predecessor)
 * @param smoothing additive smoothing β (one value, or one per fit) with the vocabulary size V;
 *   omitted means the count MLE (β = 0)
 */
export function l2ErrorRecursion(
  pStarSqNorm: number,
  n: readonly number[],
  alpha: readonly number[],
  smoothing?: { vocab: number; beta: number | readonly number[] },
): number[] {
  if (alpha.length !== n.length) throw new Error(`l2ErrorRecursion: alpha has ${alpha.length} entries; expected one per fit (${n.length})`);
  const V = smoothing?.vocab ?? 1;
  const D = pStarSqNorm - 1 / V;
  const out: number[] = [];
  let e = 0;
  let a = 1;
  for (let g = 0; g < n.length; g++) {
    const beta = smoothing === undefined ? 0 : typeof smoothing.beta === 'number' ? smoothing.beta : smoothing.beta[g];
    const al = g === 0 ? 1 : alpha[g];
    const lam = n[g] / (n[g] + V * beta);
    const keep = 1 - al;
    if (beta === 0) {
      e = keep * keep * (1 - 1 / n[g]) * e + (1 - pStarSqNorm) / n[g];
    } else {
      const cross = keep * (1 - a) * D;
      e =
        ((lam * lam) / n[g]) * (1 - pStarSqNorm + 2 * cross - keep * keep * e) +
        lam * lam * keep * keep * e +
        2 * lam * (1 - lam) * cross +
        (1 - lam) * (1 - lam) * D;
    }
    a = lam * (al + keep * a);
    out.push(e);
  }
  return out;
}

/**
 * Expected fraction of the true support still given positive mass, per fit, for the count MLE
 * (β = 0): the mean over tokens of P(c_g > 0), each token's count propagated exactly as a
 * Markov chain on 0 … n_g (see the module comment). Tokens of equal probability are computed
 * once; where α_g = 0 the transition c → Binomial(n_g, c/n_{g−1}) is shared by all tokens, so
 * each binomial pmf is computed once per step. Cost ≈ V·Σ_g n_{g−1}·(width of a binomial pmf).
 */
export function supportExpectation(pStar: ArrayLike<number>, n: readonly number[], alpha: readonly number[]): number[] {
  if (alpha.length !== n.length)
    throw new Error(`supportExpectation: alpha has ${alpha.length} entries; expected one per fit (${n.length})`);
  const G = n.length;
  // Distinct positive probabilities and how many tokens have each.
  const multiplicity = new Map<number, number>();
  let positive = 0;
  for (let k = 0; k < pStar.length; k++) {
    if (pStar[k] > 0) {
      multiplicity.set(pStar[k], (multiplicity.get(pStar[k]) ?? 0) + 1);
      positive++;
    }
  }
  const probs = [...multiplicity.keys()];
  const K = probs.length;
  const width = Math.max(...n) + 1;
  const pmf = new Float64Array(width);
  // Count distributions, token-major: dist[i·width + c] = P(c_g = c) for probability probs[i].
  let dist = new Float64Array(K * width);
  let next = new Float64Array(K * width);
  const alive = new Float64Array(G);
  const tally = (g: number) => {
    for (let i = 0; i < K; i++) alive[g] += multiplicity.get(probs[i])! * (1 - dist[i * width]);
  };
  for (let i = 0; i < K; i++) {
    const [lo, hi] = binomialPmf(n[0], probs[i], pmf);
    for (let c = lo; c <= hi; c++) dist[i * width + c] = pmf[c];
  }
  tally(0);
  for (let g = 1; g < G; g++) {
    next.fill(0);
    const a = alpha[g];
    for (let c = 0; c <= n[g - 1]; c++) {
      let window: [number, number] | undefined;
      for (let i = 0; i < K; i++) {
        const mass = dist[i * width + c];
        if (mass < 1e-300) continue;
        if (a !== 0 || window === undefined) window = binomialPmf(n[g], a * probs[i] + ((1 - a) * c) / n[g - 1], pmf);
        const [lo, hi] = window;
        const row = i * width;
        for (let x = lo; x <= hi; x++) next[row + x] += mass * pmf[x];
      }
    }
    [dist, next] = [next, dist];
    tally(g);
  }
  return Array.from(alive, (x) => x / positive);
}

/**
 * Binomial(n, p) pmf into out[0 … n], zero outside the returned [lo, hi] window: computed
 * from the mode outwards by the ratio recurrence, stopping where terms fall below 1e-300
 * (out is only written inside the window).
 */
function binomialPmf(n: number, p: number, out: Float64Array): [number, number] {
  if (p <= 0) {
    out[0] = 1;
    return [0, 0];
  }
  if (p >= 1) {
    out[n] = 1;
    return [n, n];
  }
  const m = Math.min(n, Math.floor((n + 1) * p));
  const odds = p / (1 - p);
  out[m] = Math.exp(gammaln(n + 1) - gammaln(m + 1) - gammaln(n - m + 1) + m * Math.log(p) + (n - m) * Math.log1p(-p));
  let hi = m;
  while (hi < n) {
    const x = (out[hi] * (n - hi) * odds) / (hi + 1);
    if (x < 1e-300) break;
    out[++hi] = x;
  }
  let lo = m;
  while (lo > 0) {
    const x = (out[lo] * lo) / ((n - lo + 1) * odds);
    if (x < 1e-300) break;
    out[--lo] = x;
  }
  return [lo, hi];
}

/** Above this many operations (≈ V·Σ n_{g−1}·n_g) the support curve is left out. */
export const SUPPORT_COST_LIMIT = 2e8;

/** Reference curves for `replace` (α_g = 0 for g ≥ 1). */
export function recursiveLmTheory(params: RecursiveLmParams): TheoryCurve[] {
  if (params.variant !== 'markov') return [];
  const { vocab: V, zipf: s, samples, samples_growth: g, smoothing: beta, generations } = params;
  const steps = Array.from({ length: generations + 1 }, (_, t) => t);
  const n = steps.map((t) => Math.round(samples * (t + 1) ** g));
  const alpha = steps.map((t) => (t === 0 ? 1 : 0));
  const p = zipfPmf(V, s);
  const norm = sqNorm(p);
  const form = g === 0 ? `n = ${samples}` : `n_t = round(${samples}·(t+1)^${g})`;
  const curves: TheoryCurve[] = [
    {
      metric: 'l2_err',
      steps,
      values: l2ErrorRecursion(norm, n, alpha, { vocab: V, beta }),
      label:
        beta === 0
          ? `E‖p̂_t−p*‖² = (1−1/n_t)e_{t−1} + (1−‖p*‖²)/n_t, ‖p*‖² = ${norm.toPrecision(4)}, ${form}`
          : `E‖p̂_t−p*‖², add-${beta} smoothing (mean/second-moment recursion), ${form}`,
    },
  ];
  let cost = 0;
  for (let t = 1; t < n.length; t++) cost += V * n[t - 1] * n[t];
  if (beta === 0 && cost <= SUPPORT_COST_LIMIT) {
    curves.push({
      metric: 'support',
      steps,
      values: supportExpectation(p, n, alpha),
      label: `mean over tokens of P(count_t > 0), counts a binomial chain, ${form}`,
    });
  }
  return curves;
}
