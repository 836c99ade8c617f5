/**
 * Recursive language-model training (Seddik et al. 2024; Bakshi & Chakraborty).
 *
 * A next-token model is refit, generation after generation, on tokens sampled from its
 * previous fit. `variant` selects the model family, each in its own module of this folder:
 * `markov` (markov.ts) is a count model over synthetic Zipf contexts with exact theory. Shared
 * parameters come first in the schema; a variant's own follow, and later variants add theirs.
 */
import { z } from 'zod';
import { defineTask, type GenerationalSimulation } from '../../harness/types.ts';
import type { Rng } from '../../harness/rng.ts';
import { markovSimulation } from './markov.ts';
import { recursiveLmTheory } from './theory.ts';

const Params = z.object({
  variant: z.enum(['markov']).default('markov').describe('model family: markov = count model p̂(token | context) over synthetic Zipf contexts'),
  samples: z.number().int().min(1).default(100).describe('tokens per context at generation 0, n₀'),
  samples_growth: z.number().min(0).max(4).default(0).describe('sample-size growth g: n_t = round(samples·(t+1)^g) tokens per context'),
  generations: z.number().int().min(1).max(10_000).default(20).describe('generations after generation 0'),
  replicates: z.number().int().min(2).max(1_000_000).default(300).describe('independent chains per cell (vectorized)'),
  // markov
  vocab: z.number().int().min(2).max(100_000).default(50).describe('markov: vocabulary size V'),
  contexts: z.number().int().min(1).max(100_000).default(20).describe('markov: number of contexts C, each with its own next-token distribution'),
  zipf: z.number().min(0).max(10).default(1).describe('markov: Zipf exponent s of each true next-token distribution, p_k ∝ k^(−s) under a random per-context permutation'),
  smoothing: z.number().min(0).default(0).describe('markov: additive pseudo-count β, p̂ = (count + β)/(n + Vβ); 0 = count MLE (a fit option smoothing replaces it)'),
});
export type RecursiveLmParams = z.infer<typeof Params>;

export default defineTask({
  id: 'recursive-lm',
  title: 'Recursive language-model training',
  summary:
    'A next-token model is refit each generation on tokens sampled from the previous fit. In the markov variant, ' +
    'a count model over contexts with Zipf next-token distributions drifts and loses tokens: the squared error grows ' +
    'towards 1 − ‖p*‖² (absorption into a point mass) at a rate known in closed form, also with fresh real data mixed in.',
  papers: [
    { title: 'How Bad is Training on Synthetic Data? A Statistical Analysis of Language Model Collapse', authors: 'Seddik, Chen, Hayou, Youssef, Debbah', year: 2024, url: 'https://arxiv.org/abs/2404.05090' },
    { title: 'From Collapse to Improvement: Statistical Perspectives on the Evolutionary Dynamics of Iterative Training on Contaminated Sources', authors: 'Bakshi, Chakraborty', year: 2026, url: 'https://arxiv.org/abs/2602.10531' },
  ],
  stepAxis: 'generation',
  params: Params,
  profiles: {
    quick: {},
    standard: { vocab: 200, contexts: 50, samples: 400, generations: 50, replicates: 200 },
    full: { vocab: 1000, contexts: 20, samples: 500, generations: 50, replicates: 200 },
  },
  metrics: [
    { name: 'l2_err', description: '‖p̂ − p*‖², mean over contexts', direction: 'lower', primary: true, collapseThreshold: 0.1 },
    { name: 'kl', description: 'KL(p* ‖ p̂) in nats with p̂ smoothed by 1e-6 and renormalized, mean over contexts', direction: 'lower' },
    { name: 'support', description: 'fraction of the true support (p* > 0) still given positive mass, mean over contexts', direction: 'higher' },
    { name: 'entropy_ratio', description: 'H(p̂)/H(p*), mean over contexts', direction: 'target', target: 1 },
  ],
  hooks: ['pool', 'fit', 'estimate'],
  theory: recursiveLmTheory,
  simulation: (params, rng) => simulation(Params.parse(params), rng),
});

function simulation(p: RecursiveLmParams, rng: Rng): GenerationalSimulation<unknown, unknown> {
  switch (p.variant) {
    case 'markov':
      return markovSimulation(p, rng) as GenerationalSimulation<unknown, unknown>;
  }
}
