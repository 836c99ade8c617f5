/**
 * GRPO for diffusion samplers (DDPO / DanceGRPO style): the stochastic DDIM sampler's native
 * noise stds (η = 1), so step i's log-ratio carries its native weight w_i = C_i(σ_i)/σ_i, which
 * varies widely across steps (0.80 to 17.6 on diffusion-align's protocol); and the clipped ratio
 * objective of PPO with group-normalized advantages A:
 *
 *   L = −mean_{i,n} min(ρ_i,n·A_n, clip(ρ_i,n, 1 − ε, 1 + ε)·A_n),  ρ = exp(log ρ).
 *
 * The diffusion-align task's reference (normalized collapse area 1).
 */
import { z } from 'zod';
import type * as TF from '@tensorflow/tfjs';
import { defineMethod } from '../../harness/types.ts';
import type { PolicyObjectiveContext } from '../../benchmarks/diffusion-align/task.ts';

const Params = z.object({
  // DDPO's clip range (Black et al. 2024; ddpo-pytorch config: train.clip_range = 1e-4), on the
  // dimension-averaged log-ratio as there (diffusion-align's log ρ is averaged over dimensions).
  clip: z.number().positive().max(1).default(1e-4).describe('ε of the clipped ratio objective (DDPO: 1e-4)'),
});

export default defineMethod({
  id: 'grpo',
  title: 'GRPO (native credit, clipped ratio)',
  kind: 'baseline',
  summary:
    'Policy-gradient fine-tuning through the native stochastic DDIM sampler with the clipped ratio objective and group-normalized advantages.',
  papers: [
    {
      title: 'Training Diffusion Models with Reinforcement Learning',
      authors: 'Black, Janner, Du, Kostrikov, Levine',
      year: 2024,
      url: 'https://arxiv.org/abs/2305.13301',
    },
    { title: 'DanceGRPO: Unleashing GRPO on Visual Generation', authors: 'Xue et al.', year: 2025 },
  ],
  params: Params,
  engine: 'tfjs',
  hooks: {
    credit: (ctx, params) => ({
      sigma: Float64Array.from(ctx.nativeSigma),
      objective: ({ tf, logRatio, advantages }: PolicyObjectiveContext) => {
        const ratio = tf.exp(logRatio);
        const clipped = tf.clipByValue(ratio, 1 - params.clip, 1 + params.clip);
        return tf.neg(tf.mean(tf.minimum(tf.mul(ratio, advantages), tf.mul(clipped, advantages)))) as TF.Scalar;
      },
    }),
  },
});
