/**
 * Recursive language-model training (Seddik et al. 2024; Bakshi & Chakraborty).
 *
 * A next-token model is refit, generation after generation, on tokens sampled from its
 * previous fit. `variant` selects the model family, each in its own module of this folder:
 * `markov` (markov.ts) is a count model over synthetic Zipf contexts with exact theory; `char`
 * (char.ts) a neural character-level model in TensorFlow.js on real text (Moby Dick). Shared
 * parameters come first in the schema; each variant's own follow, marked "markov:" / "char:"
 * in their descriptions, and only matter for that variant.
 */
import { z } from 'zod';
import { defineTask, type GenerationalSimulation } from '../../harness/types.ts';
import type { Rng } from '../../harness/rng.ts';
import { FitOptionsSchema, markovSimulation } from './markov.ts';
import { charSimulation } from './char.ts';
import { recursiveLmTheory } from './theory.ts';

const Params = z.object({
  variant: z
    .enum(['markov', 'char'])
    .default('markov')
    .describe(
      'model family: markov = count model p̂(token | context) over synthetic Zipf contexts; char = neural character LM on real text (fused wasm kernels, or TensorFlow.js with --kernels tfjs)',
    ),
  samples: z.number().int().min(1).default(100).describe('markov: tokens per context at generation 0, n₀'),
  samples_growth: z
    .number()
    .min(0)
    .max(4)
    .default(0)
    .describe('markov: sample-size growth g: n_t = round(samples·(t+1)^g) tokens per context'),
  generations: z.number().int().min(1).max(10_000).default(20).describe('generations after generation 0'),
  replicates: z
    .number()
    .int()
    .min(2)
    .max(1_000_000)
    .default(300)
    .describe('markov: independent chains per cell (vectorized); char uses chains'),
  // markov
  vocab: z.number().int().min(2).max(100_000).default(50).describe('markov: vocabulary size V'),
  contexts: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(20)
    .describe('markov: number of contexts C, each with its own next-token distribution'),
  zipf: z
    .number()
    .min(0)
    .max(10)
    .default(1)
    .describe('markov: Zipf exponent s of each true next-token distribution, p_k ∝ k^(−s) under a random per-context permutation'),
  smoothing: z
    .number()
    .min(0)
    .default(0)
    .describe('markov: additive pseudo-count β, p̂ = (count + β)/(n + Vβ); 0 = count MLE (a fit option smoothing replaces it)'),
  // char
  chains: z.number().int().min(2).max(64).default(3).describe('char: independent chains per cell (trained in the same Adam steps)'),
  chunks: z.number().int().min(1).max(100_000).default(128).describe('char: text chunks (samples) per chain per generation, n_t'),
  chunk_length: z
    .number()
    .int()
    .min(4)
    .max(1024)
    .default(64)
    .describe('char: characters per chunk L; a chunk is generated from an empty context'),
  window: z.number().int().min(1).max(64).default(6).describe('char: context window k, previous characters the model sees'),
  embedding: z.number().int().min(1).max(256).default(12).describe('char: character embedding size E'),
  hidden: z.number().int().min(1).max(4096).default(96).describe('char: tanh hidden units H'),
  steps: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(100)
    .describe('char: Adam steps per generation (fresh initialization each generation)'),
  batch: z.number().int().min(1).max(65_536).default(64).describe('char: windows (context + next character) per chain per Adam step'),
  learning_rate: z.number().positive().max(1).default(0.02).describe('char: Adam step size'),
  temperature: z.number().positive().max(10).default(1).describe('char: sampling temperature T of synthetic text, p ∝ exp(logit/T)'),
  top_p: z.number().gt(0).max(1).default(1).describe('char: nucleus (top-p) sampling mass of synthetic text; 1 = off'),
  heldout_chunks: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(64)
    .describe('char: held-out real chunks of chunk_length characters for the metrics'),
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
    {
      title: 'How Bad is Training on Synthetic Data? A Statistical Analysis of Language Model Collapse',
      authors: 'Seddik, Chen, Hayou, Youssef, Debbah',
      year: 2024,
      url: 'https://arxiv.org/abs/2404.05090',
    },
    {
      title:
        'From Collapse to Improvement: Statistical Perspectives on the Evolutionary Dynamics of Iterative Training on Contaminated Sources',
      authors: 'Bakshi, Chakraborty',
      year: 2026,
      url: 'https://arxiv.org/abs/2602.10531',
    },
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
    {
      name: 'support',
      description: 'fraction of the true support (p* > 0) still given positive mass, mean over contexts',
      direction: 'higher',
    },
    { name: 'entropy_ratio', description: 'H(p̂)/H(p*), mean over contexts', direction: 'target', target: 1 },
    { name: 'bits_per_char', description: 'char: −log₂ p(next character) on held-out real text, mean over characters', direction: 'lower' },
    {
      name: 'distinct_3gram_ratio',
      description: 'char: distinct/all character 3-grams of generated text over the same ratio of held-out text',
      direction: 'target',
      target: 1,
    },
    {
      name: 'ngram_coverage',
      description: 'char: fraction of the held-out text’s distinct 3-grams that occur in as much generated text',
      direction: 'higher',
    },
    {
      name: 'unigram_kl',
      description: 'char: KL(real ‖ generated) of character frequencies in bits, generated add-½ smoothed',
      direction: 'lower',
    },
  ],
  primaryFor: (params) => (params.variant === 'char' ? 'bits_per_char' : 'l2_err'),
  budgetUnit: (params) =>
    params.variant === 'char'
      ? `text chunks of ${params.chunk_length} characters`
      : `samples of one token in each of the ${params.contexts} contexts`,
  hooks: ['pool', 'fit', 'estimate'],
  fitOptions: FitOptionsSchema,
  theory: recursiveLmTheory,
  // markov's fit is the table of next-token probabilities (R × contexts × vocab); char's is a network.
  modelFamily: (params) => (params.variant === 'char' ? undefined : 'categorical'),
  engine: (params) => (params.variant === 'char' ? 'tfjs' : undefined),
  kernels: (params) => (params.variant === 'char' ? 'instead-of-tfjs' : undefined),
  simulation: (params, rng) => simulation(Params.parse(params), rng),
});

function simulation(p: RecursiveLmParams, rng: Rng): GenerationalSimulation<unknown, unknown> {
  switch (p.variant) {
    case 'markov':
      return markovSimulation(p, rng) as GenerationalSimulation<unknown, unknown>;
    case 'char':
      return charSimulation(p, rng) as GenerationalSimulation<unknown, unknown>;
  }
}
