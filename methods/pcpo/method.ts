/**
 * PCPO — Proportionate Credit Policy Optimization (Lee & Ye, "PCPO: Proportionate Credit Policy
 * Optimization for Aligning Image Generation Models", 2025).
 *
 * Through a stochastic DDIM sampler, step i's log-probability ratio is
 *   log ρ_i = −[w_i·Δε̂·z + ½‖w_i·Δε̂‖²]/d,  w_i(σ) = C_i(σ)/σ,
 *   C_i(σ) = √(1−ᾱ_{τ_i})/√α_i − √(1−ᾱ_{τ_{i−1}} − σ²),
 * so the policy gradient credits step i in proportion to w_i. With the native stds (η = 1) the
 * weights differ across steps (on diffusion-align's protocol, 0.80 to 17.6 over 19 steps, the
 * largest on the last stochastic step): credit is disproportionate. PCPO makes it proportionate:
 *
 * 1. Credit. Target weight w̄ = mean_i w_i(σ_i^native). For each step, σ̃_i solves
 *    w_i(σ̃_i) = w̄. Over the DDIM family, w_i(σ) is smallest exactly at the native σ_i (the
 *    DDPM posterior std; methods/pcpo/method.test.ts checks it), so the equation has a root
 *    σ̃_i < σ_i^native when w_i(σ_i^native) ≤ w̄ (bisection on the decreasing branch) and none
 *    when the native weight already exceeds w̄. Those steps keep their native σ and the
 *    log-ratio is rescaled by w̄/w_i, so that the gradient credit at the sampling policy,
 *    scale_i·w_i(σ_i), equals w̄ at every step. (Our reading: the paper's text was not
 *    available here, and its "principled reweighting of timesteps" covers the rescaling.)
 * 2. Objective. The log-hinge max(0, ξ|A| − A·log ρ_i) per step and trajectory, averaged: it
 *    pushes log ρ towards sign(A)·ξ and stops pushing once there (a trust region on the
 *    log-ratio instead of clipping the ratio).
 */
import { z } from 'zod';
import type * as TF from '@tensorflow/tfjs';
import { defineMethod, type CreditAssignment, type CreditContext } from '../../harness/types.ts';
import type { PolicyObjectiveContext } from '../../benchmarks/diffusion-align/task.ts';

// ---------------------------------------------------------------------------------------
// Hyper-parameters

const Params = z.object({
  // ξ plays the clip range's part: the gradient of PPO's clipped objective equals that of the hinge
  // max(0, ξ|A| − A(ρ − 1)) with ξ = ε, whose ρ − 1 PCPO replaces by log ρ. The DDPO setting's
  // clip range is 1e-4 (Black et al.), so ξ = 1e-4: same trust region as `grpo`.
  xi: z.number().positive().max(10).default(1e-4).describe('ξ of the log-hinge max(0, ξ|A| − A·log ρ) (the clip range: 1e-4, DDPO’s)'),
  credit: z
    .enum(['sigma', 'scale', 'native'])
    .default('sigma')
    .describe(
      'sigma: σ̃ where it reaches w̄, else a factor (the method); ablations — scale: native σ with every step’s log-ratio scaled by w̄/w_i; native: native credit (log-hinge only)',
    ),
});
export type PcpoParams = z.infer<typeof Params>;

/** Bisection iterations: the bracket shrinks 2^−80, far below float64 resolution of σ. */
const BISECTION_STEPS = 80;

// ---------------------------------------------------------------------------------------
// Proportionate credit

/**
 * σ̃ and the per-step log-ratio factors that give every stochastic step the weight w̄ (the mean
 * native weight); deterministic steps (native σ = 0) stay at 0.
 */
export function proportionateCredit(ctx: CreditContext): { sigma: Float64Array; scale: Float64Array; target: number } {
  const { stochastic, target } = meanNativeWeight(ctx);
  const sigma = new Float64Array(ctx.steps);
  const scale = new Float64Array(ctx.steps).fill(1);
  for (const i of stochastic) {
    const native = ctx.nativeSigma[i];
    const w = ctx.weight(i, native);
    if (w > target) {
      sigma[i] = native;
      scale[i] = target / w;
      continue;
    }
    // w(σ) falls from +∞ (σ → 0) to w(native) ≤ target: one root in (0, native].
    let lo = 0;
    let hi = native;
    for (let k = 0; k < BISECTION_STEPS; k++) {
      const mid = (lo + hi) / 2;
      if (ctx.weight(i, mid) > target) lo = mid;
      else hi = mid;
    }
    sigma[i] = hi;
  }
  return { sigma, scale, target };
}

/** The stochastic steps (native σ > 0) and w̄, the mean of their native weights. */
function meanNativeWeight(ctx: CreditContext): { stochastic: number[]; target: number } {
  const stochastic = [...ctx.nativeSigma.keys()].filter((i) => ctx.nativeSigma[i] > 0);
  if (stochastic.length === 0) throw new Error('pcpo needs at least one stochastic sampler step');
  return { stochastic, target: stochastic.reduce((sum, i) => sum + ctx.weight(i, ctx.nativeSigma[i]), 0) / stochastic.length };
}

/** The ablations: native σ everywhere, with (scale) or without (native) the factor w̄/w_i. */
function nativeCredit(ctx: CreditContext, proportionate: boolean): { sigma: Float64Array; scale: Float64Array } {
  const { target } = meanNativeWeight(ctx);
  const scale = Float64Array.from(ctx.nativeSigma, (sigma, i) => (proportionate && sigma > 0 ? target / ctx.weight(i, sigma) : 1));
  return { sigma: Float64Array.from(ctx.nativeSigma), scale };
}

function credit(ctx: CreditContext, params: PcpoParams): CreditAssignment {
  const { sigma, scale } = params.credit === 'sigma' ? proportionateCredit(ctx) : nativeCredit(ctx, params.credit === 'scale');
  return {
    sigma,
    scale,
    objective: ({ tf, logRatio, advantages }: PolicyObjectiveContext) =>
      tf.mean(tf.relu(tf.sub(tf.mul(params.xi, tf.abs(advantages)), tf.mul(advantages, logRatio)))) as TF.Scalar,
  };
}

export default defineMethod({
  id: 'pcpo',
  title: 'PCPO (proportionate credit)',
  kind: 'method',
  summary:
    'Policy-gradient fine-tuning with equal credit for every sampler step (σ̃ chosen so each step’s log-ratio weight is the mean native one) and a log-hinge objective.',
  papers: [
    {
      title: 'PCPO: Proportionate Credit Policy Optimization for Aligning Image Generation Models',
      authors: 'Lee, Ye',
      year: 2025,
      url: 'https://arxiv.org/abs/2509.25774',
    },
  ],
  params: Params,
  engine: 'tfjs',
  hooks: { credit },
});
