/**
 * Fresh-data mixing: every generation trains on a mixture of real and synthetic data instead
 * of synthetic data alone.
 *
 * mode=fresh — the "fresh data loop" of Alemohammad et al., "Self-Consuming Generative Models
 * Go MAD" (ICLR 2024), and the contaminated-source mixture of Bakshi & Chakraborty ("From
 * Collapse to Improvement", arXiv:2602.10531, 2026), whose α_t is ours (the real share).
 * Generation t ≥ 1 fits n_t samples of the mixture
 *
 *     q_t = α_t·p* + (1 − α_t)·p̂_{t−1},      α_t = alpha · t^(−alpha_decay),
 *
 * p* the real distribution and p̂_{t−1} the previous model. Only fresh real data that enters
 * the pool counts towards the budget: E[budget] = Σ_t α_t·n_t per chain.
 *   split=random: each of the n_t slots is, independently per replicate, a fresh real sample
 *     with probability α_t, else a synthetic one; the pool is then exactly n_t i.i.d. draws
 *     from q_t (what closed forms for mixture sampling assume).
 *   split=exact: exactly round(α_t·n_t) real samples and the rest synthetic; the real count
 *     has no binomial noise, but the pool is a stratified sample of q_t, not an i.i.d. one.
 *
 * mode=retain — Bertrand et al., "On the Stability of Iterative Retraining of Generative
 * Models on their own Data" (ICLR 2024). The real generation-0 data D₀ is kept and
 * round(λ·n₀) fresh synthetic samples are added: D_t = D₀ ∪ {x ~ p̂_{t−1}}. No fresh real data.
 *
 * real_weight w — He, Xu & Cheng, "Golden Ratio Weighting Prevents Model Collapse" (2025):
 * the fit minimizes w·L_real + (1 − w)·L_synthetic, i.e. real samples carry total weight w and
 * synthetic ones 1 − w (per replicate and generation). For Gaussian mean estimation with n real
 * and m synthetic samples the limiting (t → ∞) error is smallest where w² + k·w − k = 0, k = n/m:
 * w* = (√(k² + 4k) − k)/2, which is 1/φ ≈ 0.618 at k = 1. w = −1 leaves the weights plain.
 */
import { z } from 'zod';
import { defineMethod, type Pool, type PoolContext, type PoolPart } from '../../harness/types.ts';
import { bernoulliSplit, reweightShares } from '../../harness/pool.ts';

// ---------------------------------------------------------------------------------------
// Hyper-parameters

const Params = z.object({
  mode: z
    .enum(['fresh', 'retain'])
    .default('fresh')
    .describe(
      'fresh: mix in fresh real data each generation (MAD fresh loop); retain: keep the generation-0 real data and add synthetic data (Bertrand et al.)',
    ),
  alpha: z.number().min(0).max(1).default(0.5).describe('mode=fresh: real fraction α at generation 1'),
  alpha_decay: z.number().min(0).default(0).describe('mode=fresh: decay exponent d of the real fraction α_t = alpha·t^(−d)'),
  split: z
    .enum(['random', 'exact'])
    .default('random')
    .describe('mode=fresh: random = each slot real with probability α_t (i.i.d. from the mixture); exact = exactly round(α_t·n_t) real'),
  lambda: z
    .number()
    .min(0)
    .max(100)
    .default(1)
    .describe('mode=retain: synthetic-to-real ratio λ; round(λ·n₀) synthetic samples join the n₀ real ones'),
  real_weight: z
    .number()
    .min(-1)
    .max(1)
    .default(-1)
    .refine((w) => w === -1 || w >= 0, { message: 'must be −1 (plain weights) or in [0, 1]' })
    .describe('total weight w of the real samples in the fit (synthetic: 1 − w), He, Xu & Cheng; −1 = plain per-sample weights'),
});
export type FreshDataMixingParams = z.infer<typeof Params>;

/** α_t = alpha·t^(−alpha_decay), the real fraction of generation t ≥ 1's pool. */
export function realFraction(params: Pick<FreshDataMixingParams, 'alpha' | 'alpha_decay'>, t: number): number {
  return params.alpha * t ** -params.alpha_decay;
}

// ---------------------------------------------------------------------------------------
// The pool hook

function pool(ctx: PoolContext<unknown>, params: FreshDataMixingParams): Pool<unknown> {
  let real: PoolPart<unknown>[];
  let synthetic: PoolPart<unknown>[];

  if (params.mode === 'retain') {
    // D₀ (the real generation-0 batch) every generation, plus λ·n₀ samples of the last model.
    const d0 = ctx.initial;
    const m = Math.round(params.lambda * d0.size);
    real = [{ batch: d0 }];
    synthetic = m > 0 ? [{ batch: ctx.synthetic(m) }] : [];
  } else {
    const alphaT = realFraction(params, ctx.t);
    const n = ctx.size;
    if (params.split === 'exact') {
      const k = Math.round(alphaT * n);
      real = k > 0 ? [{ batch: ctx.real(k) }] : [];
      synthetic = k < n ? [{ batch: ctx.synthetic(n - k) }] : [];
    } else if (alphaT >= 1) {
      real = [{ batch: ctx.real(n) }];
      synthetic = [];
    } else if (alphaT <= 0) {
      real = [];
      synthetic = [{ batch: ctx.synthetic(n) }];
    } else {
      // n real and n synthetic candidates; slot i keeps exactly one of them. Real candidates
      // left out carry weight 0 and are not charged to the budget.
      const [r, s] = bernoulliSplit<unknown>(ctx.real(n), ctx.synthetic(n), alphaT, ctx.replicates, ctx.rng);
      real = [r];
      synthetic = [s];
    }
  }

  // He, Xu & Cheng: real samples carry total weight w, synthetic 1 − w (the pool's Σw is kept).
  const w = params.real_weight;
  if (w >= 0 && real.length > 0 && synthetic.length > 0) {
    [real, synthetic] = reweightShares([real, synthetic], [w, 1 - w], ctx.replicates);
  }
  return { parts: [...real, ...synthetic] };
}

export default defineMethod({
  id: 'fresh-data-mixing',
  title: 'Fresh-data mixing',
  kind: 'method',
  summary:
    'Each generation trains on a mixture: fresh real data with fraction α_t = alpha·t^(−alpha_decay) (MAD fresh loop), ' +
    'or the retained generation-0 real data plus λ·n₀ synthetic samples (Bertrand et al.); optional real-data weight w (He, Xu & Cheng).',
  papers: [
    {
      title: 'Self-Consuming Generative Models Go MAD',
      authors: 'Alemohammad, Casco-Rodriguez, Luzi, Humayun, Babaei, LeJeune, Siahkoohi, Baraniuk',
      year: 2024,
      url: 'https://arxiv.org/abs/2307.01850',
    },
    {
      title: 'On the Stability of Iterative Retraining of Generative Models on their own Data',
      authors: 'Bertrand, Bose, Duplessis, Jiralerspong, Gidel',
      year: 2024,
      url: 'https://arxiv.org/abs/2310.00429',
    },
    {
      title: 'Golden Ratio Weighting Prevents Model Collapse',
      authors: 'He, Xu, Cheng',
      year: 2025,
      url: 'https://arxiv.org/abs/2502.18049',
    },
    {
      title:
        'From Collapse to Improvement: Statistical Perspectives on the Evolutionary Dynamics of Iterative Training on Contaminated Sources',
      authors: 'Bakshi, Chakraborty',
      year: 2026,
      url: 'https://arxiv.org/abs/2602.10531',
    },
  ],
  params: Params,
  hooks: { pool },
});
