/**
 * Generation weighting: accumulate every round's data, but weight later rounds more than ERM's
 * equal weights (Amin, Bie, Kong, Syed & Vassilvitskii, "Learning from Synthetic Data:
 * Limitations of ERM", 2026).
 *
 * Their setting: round s ≥ 1 brings n_s fresh samples of which a fraction α (the paper's
 * contamination rate; the parameter `contamination` here, written a below) is synthetic (drawn
 * from the current model) and the rest natural, and the learner cannot tell them apart. Here
 * round s is our generation s − 1: generation 0's real data is round 1, and generation t ≥ 1
 * adds round t + 1, whose n_t slots are each, independently per replicate, a sample of
 * generation t−1's model with probability a, else a fresh real sample. The fit of
 * generation t uses every round s = 1 … t+1, each sample of round s with weight
 *
 *     w_s = s^gamma,
 *
 * so gamma = 0 is ERM on the union. For the mean (known variance σ², n samples per round,
 * s² = σ²/n, exact split) the fit after round t is Y_t = Σ_s w_s X̄_s / W_t, W_t = Σ_{s≤t} w_s,
 * and its variance v_t = E‖Y_t − μ‖² obeys
 *
 *     v_t = ((W_{t−1} + a·w_t) / W_t)² · v_{t−1} + (w_t / W_t)² · s²,     v_1 = s²,
 *
 * which for gamma = 0 is v_t = ((t−1+a)/t)²·v_{t−1} + s²/t²: ERM's variance decays like 1/t
 * only while a < 1/2 (as t^(−2(1−a)) beyond). For large t the weights s^gamma give
 * t·v_t → (γ+1)²s² / (2(1−a)(γ+1) − 1), smallest at γ* = a/(1−a), where it is s²/(1−a)²,
 * i.e. a 1/t rate for every a < 1. (The s^γ family and γ* are our derivation from the
 * recursion, not the paper's weights, whose exact form we could not read.)
 */
import { z } from 'zod';
import { defineMethod, type Pool, type PoolContext, type PoolPart } from '../../harness/types.ts';
import { bernoulliSplit, scaleWeights } from '../../harness/pool.ts';

// ---------------------------------------------------------------------------------------
// Hyper-parameters

const Params = z.object({
  contamination: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe(
      'the paper’s α: synthetic share a of each new round (each slot is a sample of the previous model with this probability, else fresh real data)',
    ),
  gamma: z
    .number()
    .min(0)
    .max(10)
    .default(1)
    .describe(
      'round s (generation s − 1) is weighted s^gamma; 0 = ERM on all rounds, γ* = a/(1 − a) (a = contamination) minimizes the asymptotic mean variance',
    ),
  split: z
    .enum(['random', 'exact'])
    .default('random')
    .describe(
      'random = each slot synthetic with probability contamination; exact = exactly round(contamination·n_t) synthetic slots per round, the rest real',
    ),
});
export type GenerationWeightingParams = z.infer<typeof Params>;

/** w_s = s^gamma for round s = generation + 1. */
export function roundWeight(generation: number, gamma: number): number {
  return (generation + 1) ** gamma;
}

// ---------------------------------------------------------------------------------------
// The pool hook

function pool(ctx: PoolContext<unknown>, params: GenerationWeightingParams): Pool<unknown> {
  const { contamination: a, gamma } = params;
  const real = 1 - a;
  const n = ctx.size;

  // Round t+1: n_t slots from the mixture (1 − a)·p* + a·p̂_{t−1}.
  let round: PoolPart<unknown>[];
  if (params.split === 'exact') {
    const k = n - Math.round(a * n); // real slots
    round = [...(k > 0 ? [{ batch: ctx.real(k) }] : []), ...(k < n ? [{ batch: ctx.synthetic(n - k) }] : [])];
  } else if (a <= 0) round = [{ batch: ctx.real(n) }];
  else if (a >= 1) round = [{ batch: ctx.synthetic(n) }];
  else round = bernoulliSplit<unknown>(ctx.real(n), ctx.synthetic(n), real, ctx.replicates, ctx.rng);

  // Weight w_{t+1} = (t+1)^gamma on the new round; earlier rounds keep the weights they were
  // given (ctx.previous is this method's pool of generation t−1, generation 0's real data
  // with weight 1 = 1^gamma first).
  const w = roundWeight(ctx.t, gamma);
  return { parts: [...ctx.previous.parts, ...round.map((part) => scaleWeights(part, w, ctx.replicates))] };
}

export default defineMethod({
  id: 'generation-weighting',
  title: 'Generation weighting',
  kind: 'method',
  summary:
    'Accumulates every round of data, each round a real/synthetic mixture with synthetic share contamination (the paper’s α), and weights round s by s^gamma ' +
    'instead of ERM’s equal weights (Amin et al.), so the fit forgets the noise of early rounds faster than ERM, whose synthetic feedback slows it down.',
  papers: [
    {
      title: 'Learning from Synthetic Data: Limitations of ERM',
      authors: 'Amin, Bie, Kong, Syed, Vassilvitskii',
      year: 2026,
      url: 'https://arxiv.org/abs/2601.15468',
    },
  ],
  params: Params,
  hooks: { pool },
});
