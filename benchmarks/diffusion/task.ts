/**
 * Self-consuming diffusion (Alemohammad et al., "Self-Consuming Generative Models Go MAD",
 * ICLR 2024; Bertrand et al., "On the Stability of Iterative Retraining of Generative Models
 * on their own Data", ICLR 2024).
 *
 * A class-conditional DDPM with an MLP denoiser (ddpm.ts) learns a labelled 2-D distribution
 * with known modes (data.ts: `ring`, `grid`, `spirals`). Generation 0 trains on `real` real
 * samples; generation t trains on the pool the baseline or method builds, from scratch or
 * fine-tuned from generation t−1 (`init`); each generation's model contributes `samples`
 * synthetic samples (labels uniform over classes). Without fresh data the loop drifts: modes
 * go missing and recall falls (the MAD finding). Metrics per generation compare
 * `eval_samples` generated points to as many held-out real ones (metrics.ts): mmd (primary),
 * k-NN precision and recall (k = 5), modes covered, on-mode fraction, per-class variance ratio,
 * and the OLE structure of the generated samples' latents under the generation-0 denoiser.
 *
 * Hooks: `pool` (every generational baseline, fresh-data mixing) and `filter`: the task's
 * features of a sample are the hidden activations of the generation-0 denoiser (trained on
 * real data only) at low-to-mid timesteps, with the null label so they carry no conditioning.
 *
 * Determinism: every draw (data, initial weights, minibatches, diffusion noise, labels) comes
 * from streams of the cell key; fit/sample/evaluate are called in a fixed order and fork their
 * streams by a counter. Same seed, same backend → bit-identical numbers.
 */
import { z } from 'zod';
import { defineTask, type Batch, type Features, type GenerationalSimulation, type Pool } from '../../harness/types.ts';
import type { Rng } from '../../harness/rng.ts';
import { dataset, type Dataset } from './data.ts';
import {
  initDenoiser,
  latents,
  linearSchedule,
  sampleDdpm,
  trainDenoiser,
  type DenoiserConfig,
  type DenoiserWeights,
  type Schedule,
} from './ddpm.ts';
import { classVarianceRatio, knnPrecisionRecall, mmd2, modeCoverage, ole } from './metrics.ts';

/**
 * The denoiser, its schedule and label dropout: shared with diffusion-align, which fine-tunes
 * this task's generation-0 model.
 */
export const DENOISER_PARAMS = {
  label_dropout: z
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .describe('probability a training label is replaced by the null class (so the model is also unconditional)'),
  hidden: z.number().int().min(4).max(1024).default(64).describe('units per hidden layer of the MLP denoiser (also the latent dimension)'),
  layers: z.number().int().min(1).max(8).default(3).describe('hidden layers of the MLP denoiser'),
  time_embedding: z.number().int().min(2).max(256).default(16).describe('sinusoidal time-embedding dimensions'),
  diffusion_steps: z.number().int().min(21).max(4000).default(100).describe('diffusion steps T'),
  beta_min: z.number().positive().default(0.1).describe('linear schedule: β_t = (β_min + (β_max − β_min)(t−1)/(T−1))/T'),
  beta_max: z.number().positive().default(20).describe('linear schedule end (ᾱ_T ≈ exp(−(β_min + β_max)/2))'),
};
type DenoiserParams = { [K in keyof typeof DENOISER_PARAMS]: z.infer<(typeof DENOISER_PARAMS)[K]> };

/** The noise schedule of these parameters (T must exceed β_max so that every β_t < 1). */
export function scheduleOf(p: DenoiserParams): Schedule {
  if (p.diffusion_steps <= p.beta_max)
    throw new Error(
      `diffusion_steps = ${p.diffusion_steps} must exceed beta_max = ${p.beta_max} (β_T = beta_max/diffusion_steps must stay below 1)`,
    );
  return linearSchedule(p.diffusion_steps, p.beta_min, p.beta_max);
}

/** The denoiser architecture of these parameters for a data set of `classes` classes. */
export function denoiserConfig(p: DenoiserParams, classes: number): DenoiserConfig {
  return { hidden: p.hidden, layers: p.layers, timeEmbedding: p.time_embedding, classes };
}

const Params = z.object({
  dataset: z
    .enum(['ring', 'grid', 'spirals'])
    .default('spirals')
    .describe('real distribution: ring = 8 Gaussians on a circle, grid = 25 Gaussians, spirals = 3 noisy arms (12 segment modes)'),
  real: z.number().int().min(16).max(1_000_000).default(1000).describe('real training samples at generation 0 (per replicate)'),
  samples: z.number().int().min(16).max(1_000_000).default(1000).describe('synthetic samples each generation contributes, n_t for t ≥ 1'),
  generations: z.number().int().min(1).max(1000).default(6).describe('generations after generation 0'),
  chains: z
    .number()
    .int()
    .min(1)
    .max(16)
    .default(1)
    .describe('independent chains per cell (each trains its own networks, one after the other; seeds give the intervals)'),
  eval_samples: z.number().int().min(50).max(20_000).default(1000).describe('generated and held-out real samples per metric evaluation'),
  guidance: z
    .number()
    .min(0)
    .max(20)
    .default(0)
    .describe(
      'classifier-free guidance w of every sampler (synthetic data and evaluation): ε̃ = (1 + w)·ε̂(x, c) − w·ε̂(x, ∅); w > 0 is the sampling bias of MAD',
    ),
  init: z
    .enum(['scratch', 'finetune'])
    .default('scratch')
    .describe('generation t ≥ 1 trains from a fresh initialization (scratch) or from generation t−1’s weights (finetune)'),
  train_steps: z.number().int().min(1).max(1_000_000).default(800).describe('Adam steps of a from-scratch fit (generation 0 always)'),
  finetune_steps: z.number().int().min(1).max(1_000_000).default(300).describe('Adam steps of a fine-tuning fit (init = finetune, t ≥ 1)'),
  batch: z.number().int().min(8).max(65_536).default(256).describe('minibatch size, drawn with probability ∝ pool weight'),
  learning_rate: z.number().positive().max(1).default(2e-3).describe('Adam step size'),
  ...DENOISER_PARAMS,
});
export type DiffusionParams = z.infer<typeof Params>;

/**
 * Timesteps (fractions of T) whose denoiser activations, averaged, are a sample's latent: t = 1
 * and 5 of T = 100 (ᾱ ≈ 0.999 and 0.97). Chosen where the latent structure is, measured on
 * seeds that are not scored (latent-structure.ts, ring, quick sizes, seeds 100–101; README):
 * the held-out real latents are most structured at the smallest timesteps (OLE 0.034–0.038 at
 * 0.01·T, 0.039–0.040 at 0.05·T, rising to 0.11 at 0.5·T; probe confidence 0.997, 0.99–0.995,
 * then 0.94, 0.77, 0.44 at 0.1, 0.15, 0.25·T), and OLE rises under `replace` over 6 generations
 * by +10% at 0.01·T and +7–9% at 0.05·T, +5% at 0.1·T and not at all from 0.15·T on. In 2-D,
 * intermediate timesteps (where Cai et al. find the structure in image U-Nets) have noised the
 * class away. (Before: 0.05·T and 0.15·T.)
 */
export const LATENT_FRACTIONS = [0.01, 0.05] as const;

/** Labelled points of all replicates, replicate-major: point i of replicate r at (r·size + i). */
export interface Points {
  points: Float32Array;
  labels: Int32Array;
}

/** One denoiser per replicate. */
export interface DiffusionModel {
  replicas: DenoiserWeights[];
}

export default defineTask({
  id: 'diffusion',
  title: 'Self-consuming diffusion',
  summary:
    'A class-conditional DDPM with an MLP denoiser is retrained, generation after generation, on samples of its ' +
    'predecessor from a labelled 2-D distribution with known modes. Without fresh data the samples drift: modes ' +
    'are lost and recall falls while precision can stay high (the MAD finding). Scores run from real-only (0) to replace (1).',
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
    { title: 'Denoising Diffusion Probabilistic Models', authors: 'Ho, Jain, Abbeel', year: 2020, url: 'https://arxiv.org/abs/2006.11239' },
  ],
  stepAxis: 'generation',
  params: Params,
  profiles: {
    quick: { real: 300, samples: 300 },
    standard: { generations: 20, train_steps: 1500, eval_samples: 2000 },
    full: { generations: 25, train_steps: 3000, hidden: 128, eval_samples: 2000, chains: 2 },
  },
  metrics: [
    {
      name: 'mmd',
      description: 'unbiased MMD² between generated and held-out real points, Gaussian kernels of bandwidth 0.1, 0.3 and 1 summed',
      direction: 'lower',
      primary: true,
    },
    {
      name: 'precision',
      description: 'k-NN precision (Kynkäänniemi et al. 2019, k = 5): fraction of generated points inside the real data’s k-NN balls',
      direction: 'higher',
    },
    {
      name: 'recall',
      description: 'k-NN recall (k = 5): fraction of held-out real points inside the generated points’ k-NN balls',
      direction: 'higher',
    },
    {
      name: 'modes_covered',
      description: 'modes holding at least a quarter of their expected share of the generated points',
      direction: 'higher',
    },
    { name: 'on_mode', description: 'fraction of generated points within 3 standard deviations of some mode', direction: 'higher' },
    {
      name: 'class_var_ratio',
      description: 'per-class total variance of the generated points over the true one, mean over classes',
      direction: 'target',
      target: 1,
    },
    {
      name: 'ole',
      description:
        'OLE structure of the generated points’ generation-0 latents: (Σ_c ‖M_c‖_* − ‖M‖_*)/n, rows L2-normalized (Cai et al. 2026)',
      direction: 'lower',
    },
  ],
  budgetUnit: 'labelled 2-D points',
  hooks: ['pool', 'filter'],
  engine: 'tfjs',
  kernels: 'instead-of-tfjs',
  simulation: (params, rng) => diffusionSimulation(Params.parse(params), rng),
});

/** Points per picture of the samples (GenerationalSimulation.snapshot). */
const SNAPSHOT_POINTS = 400;

export function diffusionSimulation(
  p: DiffusionParams,
  rng: Rng,
): GenerationalSimulation<Points, DiffusionModel> & { features(batch: Batch<Points>, anchor: DiffusionModel): Features } {
  const data: Dataset = dataset(p.dataset);
  const schedule = scheduleOf(p);
  const config = denoiserConfig(p, data.classes);
  const latentSteps = LATENT_FRACTIONS.map((f) => Math.max(1, Math.round(f * p.diffusion_steps)));
  const R = p.chains;

  // One held-out real set for every generation's metrics (drawn first from the setup stream).
  const heldout = drawReal(p.eval_samples, rng.fork('heldout'), 1).points;
  let fits = 0;
  let evaluations = 0;
  let previous: DiffusionModel | undefined;
  let anchor: DiffusionModel | undefined;

  return {
    replicates: R,
    generations: p.generations,
    sampleSize: (t) => (t === 0 ? p.real : p.samples),
    real: (n, realRng, generation) => ({ origin: 'real', generation, size: n, data: drawReal(n, realRng, R) }),
    fit(pool, options) {
      if (Object.keys(options).length > 0) throw new Error(`diffusion takes no fit options (got ${Object.keys(options).join(', ')})`);
      const fitRng = rng.fork(`fit-${fits}`);
      const finetune = p.init === 'finetune' && previous !== undefined;
      const replicas = Array.from({ length: R }, (_, r) => {
        const replicaRng = fitRng.fork(`replicate-${r}`);
        const init = finetune ? previous!.replicas[r] : initDenoiser(config, replicaRng.fork('init'));
        const training = {
          steps: finetune ? p.finetune_steps : p.train_steps,
          batch: p.batch,
          learningRate: p.learning_rate,
          labelDropout: p.label_dropout,
        };
        return trainDenoiser(init, schedule, replicaData(pool, r), training, replicaRng.fork('train'));
      });
      const model = { replicas };
      fits++;
      previous = model;
      anchor ??= model;
      return model;
    },
    sample(model, n, sampleRng, generation) {
      const out: Points = { points: new Float32Array(R * n * 2), labels: new Int32Array(R * n) };
      for (let r = 0; r < R; r++) {
        const labels = uniformLabels(n, data.classes, sampleRng);
        out.points.set(sampleDdpm(model.replicas[r], schedule, labels, sampleRng, p.guidance), r * n * 2);
        out.labels.set(labels, r * n);
      }
      return { origin: 'synthetic', generation, size: n, data: out };
    },
    evaluate(model) {
      const evalRng = rng.fork(`evaluate-${evaluations++}`);
      const n = p.eval_samples;
      const names = ['mmd', 'precision', 'recall', 'modes_covered', 'on_mode', 'class_var_ratio', 'ole'] as const;
      const out = Object.fromEntries(names.map((name) => [name, new Float64Array(R)])) as Record<(typeof names)[number], Float64Array>;
      for (let r = 0; r < R; r++) {
        const labels = uniformLabels(n, data.classes, evalRng);
        const fake = sampleDdpm(model.replicas[r], schedule, labels, evalRng, p.guidance);
        const { precision, recall } = knnPrecisionRecall(heldout, fake, 5);
        const coverage = modeCoverage(data, fake);
        out.mmd[r] = mmd2(fake, heldout);
        out.precision[r] = precision;
        out.recall[r] = recall;
        out.modes_covered[r] = coverage.covered;
        out.on_mode[r] = coverage.onMode;
        out.class_var_ratio[r] = classVarianceRatio(data, fake, labels);
        const z = latents(anchor!.replicas[r], schedule, fake, latentSteps, evalRng.fork('latents'));
        out.ole[r] = ole(z, p.hidden, labels, data.classes);
      }
      return out;
    },
    snapshot(model, snapshotRng) {
      // Replicate 0: its samples (or real points), rounded to 4 decimals to keep records small.
      const drawn = model ? sampledPoints(model, snapshotRng) : drawReal(SNAPSHOT_POINTS, snapshotRng, 1);
      const round = (v: number) => Math.round(v * 1e4) / 1e4;
      const x: number[] = [];
      const y: number[] = [];
      for (let i = 0; i < SNAPSHOT_POINTS; i++) {
        x.push(round(drawn.points[2 * i]));
        y.push(round(drawn.points[2 * i + 1]));
      }
      return { kind: 'points', x, y, label: Array.from(drawn.labels) };
    },
    features(batch, anchorModel) {
      const { size, data: d } = batch;
      const values = new Float32Array(R * size * p.hidden);
      // Noise of the latent probe: a stream per batch, so features do not depend on the order
      // in which a filter asks for them.
      const featureRng = rng.fork(`features-${batch.origin}-${batch.generation}-${size}`);
      for (let r = 0; r < R; r++) {
        const points = d.points.subarray(r * size * 2, (r + 1) * size * 2);
        values.set(latents(anchorModel.replicas[r], schedule, points, latentSteps, featureRng.fork(`replicate-${r}`)), r * size * p.hidden);
      }
      return { dim: p.hidden, values, labels: d.labels, classes: data.classes };
    },
  };

  /** Replicate 0's labelled samples for a picture. */
  function sampledPoints(model: DiffusionModel, snapshotRng: Rng): Points {
    const labels = uniformLabels(SNAPSHOT_POINTS, data.classes, snapshotRng);
    return { points: sampleDdpm(model.replicas[0], schedule, labels, snapshotRng, p.guidance), labels };
  }

  /** n labelled real points per replicate. */
  function drawReal(n: number, realRng: Rng, replicates: number): Points {
    const out: Points = { points: new Float32Array(replicates * n * 2), labels: new Int32Array(replicates * n) };
    data.sample(replicates * n, realRng, out.points, out.labels);
    return out;
  }
}

/** Labels i.i.d. uniform over the classes (so any prefix of a batch is a fair subsample). */
export function uniformLabels(n: number, classes: number, rng: Rng): Int32Array {
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = rng.int(classes);
  return labels;
}

/** Replicate r's samples of positive weight in the pool, with their weights. */
function replicaData(pool: Pool<Points>, r: number): { points: Float32Array; labels: Int32Array; weights: Float64Array } {
  let n = 0;
  for (const { batch, weights } of pool.parts) {
    if (!weights) n += batch.size;
    else for (let i = 0; i < batch.size; i++) if (weights[r * batch.size + i] > 0) n++;
  }
  if (n === 0) throw new Error(`the pool holds no sample of positive weight in replicate ${r}`);
  const points = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  const w = new Float64Array(n);
  let k = 0;
  for (const { batch, weights } of pool.parts) {
    const { size, data } = batch;
    for (let i = 0; i < size; i++) {
      const at = r * size + i;
      const weight = weights ? weights[at] : 1;
      if (!(weight > 0)) continue;
      points[2 * k] = data.points[2 * at];
      points[2 * k + 1] = data.points[2 * at + 1];
      labels[k] = data.labels[at];
      w[k] = weight;
      k++;
    }
  }
  return { points, labels, weights: w };
}
