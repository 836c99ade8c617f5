/**
 * Reward fine-tuning of a diffusion model with policy gradients: the alignment protocol of the
 * self-consuming diffusion task (Black et al., "Training Diffusion Models with Reinforcement
 * Learning" (DDPO), 2024; Lee & Ye, "PCPO: Proportionate Credit Policy Optimization for Aligning
 * Image Generation Models", 2025).
 *
 * A class-conditional DDPM (benchmarks/diffusion/ddpm.ts) is pretrained on real data exactly as
 * the diffusion task's generation 0 (same parameters, streams shared by every method), then
 * fine-tuned for `epochs` on the reward r(x) = −‖x − target‖, which favours one region of the
 * plane: a policy that maximizes it drags every class there (reward hacking) and loses modes
 * and recall, this protocol's collapse. Its own step axis (the epoch) and hook (`credit`) make
 * it a task of its own rather than a variant of `diffusion`.
 *
 * One epoch: `groups` prompts (class labels, uniform), `group_size` trajectories each from the
 * stochastic DDIM sampler of `sampler_steps` steps with the method's noise stds σ_i; rewards;
 * group-normalized advantages A = (r − mean_group)/(std_group + 1e-6); then `inner_epochs`
 * passes over the trajectories in `updates` shuffled minibatches, one Adam step each (DDPO's
 * loop: 4 gradient steps of a quarter of the epoch's samples, 1 inner epoch), on the method's
 * objective of the per-step log-probability ratios of the new to the sampling policy, for every
 * stochastic step i and trajectory n (CreditContext in harness/types.ts):
 *
 *   log ρ_i,n = −s_i·[w_i·Δε̂·z + ½‖w_i·Δε̂‖²]/d,  Δε̂ = ε̂_θ(x_i, τ_i, c) − ε̂_old,  w_i = C_i(σ_i)/σ_i,
 *
 * σ_i and the factor s_i (default 1) from the method's credit hook; d = 2 dimensions: like
 * DDPO's log_prob, the log-density is averaged over dimensions, so that a clip range (1e-4 in
 * DDPO) means the same per dimension here as on an image latent.
 *
 * The protocol is DDPO's regime (Black et al.; Stable Diffusion's scheduler): T = 1000 diffusion
 * steps of the DDPM β schedule (10⁻⁴ … 0.02) and the "leading" timestep spacing of diffusers'
 * DDIM (τ = 1 + k·⌊T/S⌋, so the last stochastic step lands on t = 1): there the native weights
 * w_i(σ_i^η=1) span 0.80 … 17.6 over the 19 stochastic steps (22×; Stable Diffusion's own
 * 50-step schedule: 0.37 … 3.3 by the same formula). The last DDIM step (t = 1 → 0, ᾱ = 1) is
 * deterministic and carries no ratio.
 *
 * Evaluation: every `eval_every` epochs (and at 0) the task samples `eval_samples` points with
 * the entry's own policy, the sampler with the σ its credit hook chose (the policy it trains
 * and acts through), and records the mean reward and the diversity metrics of diffusion; where
 * that σ is not the native one, also the native (η = 1) sampler's reward and recall
 * (`reward_native`, `recall_native`; equal to the main ones otherwise). Labels and noise of
 * every evaluation come from streams shared by all entries (common random numbers): entries
 * are compared on the same draws.
 */
import { z } from 'zod';
import type * as TF from '@tensorflow/tfjs';
import { defineTask, type CreditAssignment, type CreditContext, type TrainingContext, type TrainingOutput } from '../../harness/types.ts';
import { tfjs } from '../../harness/backend.ts';
import { dataset } from '../diffusion/data.ts';
import {
  createDenoiser,
  ddimCoefficient,
  ddimSchedule,
  ddimScheduleAt,
  ddimSigma,
  initDenoiser,
  sampleDdim,
  trainDenoiser,
  type DdimSchedule,
  type Schedule,
} from '../diffusion/ddpm.ts';
import { DENOISER_PARAMS, denoiserConfig, scheduleOf, uniformLabels } from '../diffusion/task.ts';
import { knnPrecisionRecall, mmd2, modeCoverage } from '../diffusion/metrics.ts';

const Params = z.object({
  dataset: z.enum(['ring', 'grid', 'spirals']).default('ring').describe('real distribution the model is pretrained on (see diffusion)'),
  real: z.number().int().min(16).max(1_000_000).default(1000).describe('real pretraining samples'),
  pretrain_steps: z.number().int().min(1).max(1_000_000).default(800).describe('Adam steps of pretraining'),
  batch: z.number().int().min(8).max(65_536).default(256).describe('pretraining minibatch size'),
  pretrain_learning_rate: z.number().positive().max(1).default(2e-3).describe('pretraining Adam step size'),
  ...DENOISER_PARAMS,
  // DDPO's (Stable Diffusion's) T = 1000: with β_t = (β_min + …)/T this is DDPM's 10⁻⁴ … 0.02.
  diffusion_steps: z.number().int().min(21).max(4000).default(1000).describe('diffusion steps T (1000, as Stable Diffusion in DDPO/PCPO)'),
  sampler_steps: z.number().int().min(2).max(1000).default(20).describe('steps of the stochastic DDIM sampler the policy acts through'),
  spacing: z
    .enum(['leading', 'uniform'])
    .default('leading')
    .describe(
      'DDIM timesteps: leading = diffusers’ τ = 1 + k·⌊T/S⌋ (DDPO/PCPO; last stochastic step lands on t = 1, native weights spread widely); uniform = τ = round(j·T/S)',
    ),
  target_x: z.number().default(2.5).describe('reward r(x) = −‖x − (target_x, target_y)‖'),
  target_y: z.number().default(0.5).describe('reward target, second coordinate'),
  epochs: z.number().int().min(1).max(10_000).default(45).describe('policy-gradient epochs'),
  groups: z.number().int().min(1).max(4096).default(16).describe('prompts (class labels) per epoch'),
  group_size: z.number().int().min(2).max(256).default(8).describe('trajectories per prompt; advantages are normalized within a group'),
  updates: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(4)
    .describe('minibatches per inner epoch, one Adam step each, over a shuffled split of the epoch’s trajectories (DDPO: 4)'),
  inner_epochs: z.number().int().min(1).max(100).default(1).describe('passes over the epoch’s trajectories (DDPO: 1)'),
  learning_rate: z.number().positive().max(1).default(3e-4).describe('fine-tuning Adam step size'),
  eval_every: z.number().int().min(1).max(10_000).default(3).describe('evaluate every this many epochs (and at epoch 0)'),
  eval_samples: z.number().int().min(50).max(20_000).default(1000).describe('generated and held-out real samples per evaluation'),
});
export type DiffusionAlignParams = z.infer<typeof Params>;

/** What a credit hook's `objective` receives at each update (beside its own CreditAssignment). */
export interface PolicyObjectiveContext {
  tf: typeof TF;
  /** log ρ_i,n, stochastic steps × trajectories (differentiable in the denoiser's weights). */
  logRatio: TF.Tensor2D;
  /** Group-normalized advantages, one per trajectory (constant). */
  advantages: TF.Tensor1D;
  epoch: number;
  update: number;
}

export default defineTask({
  id: 'diffusion-align',
  title: 'Diffusion reward fine-tuning',
  summary:
    'A class-conditional diffusion model pretrained on a 2-D mixture is fine-tuned by policy gradients through a ' +
    'stochastic DDIM sampler on a reward that favours one region. The reward rises while recall and modes are lost ' +
    '(reward hacking): the protocol compares how credit across sampler steps trades reward speed against diversity. ' +
    'Scores run from the pretrained model (0) to GRPO (1) on recall.',
  papers: [
    {
      title: 'PCPO: Proportionate Credit Policy Optimization for Aligning Image Generation Models',
      authors: 'Lee, Ye',
      year: 2025,
      url: 'https://arxiv.org/abs/2509.25774',
    },
    {
      title: 'Training Diffusion Models with Reinforcement Learning',
      authors: 'Black, Janner, Du, Kostrikov, Levine',
      year: 2024,
      url: 'https://arxiv.org/abs/2305.13301',
    },
    { title: 'Denoising Diffusion Implicit Models', authors: 'Song, Meng, Ermon', year: 2021, url: 'https://arxiv.org/abs/2010.02502' },
  ],
  stepAxis: 'epoch',
  params: Params,
  profiles: {
    quick: {},
    standard: { pretrain_steps: 1500, epochs: 150, eval_every: 5 },
    full: { pretrain_steps: 3000, hidden: 128, epochs: 300, groups: 32, eval_every: 5, eval_samples: 2000 },
  },
  metrics: [
    {
      name: 'recall',
      description:
        'k-NN recall (k = 5) of held-out real points under the samples of the entry’s own policy (the σ it trains through): the diversity the fine-tuning keeps',
      direction: 'higher',
      primary: true,
    },
    { name: 'reward', description: 'mean reward −‖x − target‖ of the samples of the entry’s own policy', direction: 'higher' },
    { name: 'precision', description: 'k-NN precision (k = 5) of the samples w.r.t. held-out real points', direction: 'higher' },
    { name: 'modes_covered', description: 'modes holding at least a quarter of their expected share of the samples', direction: 'higher' },
    { name: 'mmd', description: 'unbiased MMD² between samples and held-out real points (see diffusion)', direction: 'lower' },
    {
      name: 'reward_native',
      description:
        'secondary: mean reward of the same weights sampled with the native η = 1 stds (equals reward where the entry trains with them)',
      direction: 'higher',
    },
    { name: 'recall_native', description: 'secondary: recall of the same weights under the native η = 1 sampler', direction: 'higher' },
  ],
  hooks: ['credit'],
  tradeoff: { metric: 'reward' },
  scoreScale: { oracle: 'pretrained', reference: 'grpo' },
  engine: 'tfjs',
  kernels: 'beside-tfjs',
  training: (params, ctx) => train(Params.parse(params), ctx),
});

function train(p: DiffusionAlignParams, ctx: TrainingContext): TrainingOutput {
  const tf = tfjs();
  if (!ctx.credit) throw new Error(`method ${ctx.method} has no credit hook`);
  const data = dataset(p.dataset);
  const schedule = scheduleOf(p);
  const ddim = p.spacing === 'leading' ? leadingDdimSchedule(schedule, p.sampler_steps) : ddimSchedule(schedule, p.sampler_steps);
  const S = p.sampler_steps;

  // Pretraining and the held-out set come from streams shared by every method: the same model.
  const realRng = ctx.sharedRng('real');
  const real = { points: new Float32Array(p.real * 2), labels: new Int32Array(p.real) };
  data.sample(p.real, realRng, real.points, real.labels);
  const heldout = { points: new Float32Array(p.eval_samples * 2), labels: new Int32Array(p.eval_samples) };
  data.sample(p.eval_samples, ctx.sharedRng('heldout'), heldout.points, heldout.labels);
  const pretrained = trainDenoiser(
    initDenoiser(denoiserConfig(p, data.classes), ctx.sharedRng('init')),
    schedule,
    real,
    { steps: p.pretrain_steps, batch: p.batch, learningRate: p.pretrain_learning_rate, labelDropout: p.label_dropout },
    ctx.sharedRng('pretrain'),
  );

  // The sampler's steps: stochastic ones (σ > 0 natively) carry the policy's log-ratios.
  const nativeSigma = Float64Array.from({ length: S }, (_, i) => ddimSigma(ddim, i, 1));
  const policySteps = [...nativeSigma.keys()].filter((i) => nativeSigma[i] > 0);
  const maxSigma = Float64Array.from({ length: S }, (_, i) => Math.sqrt(Math.max(0, 1 - ddim.alphaBarPrev[i])));
  const creditCtx: CreditContext = {
    task: 'diffusion-align',
    taskParams: p,
    steps: S,
    nativeSigma,
    maxSigma,
    weight: (i, sigma) => ddimCoefficient(ddim, i, sigma) / sigma,
  };
  const credit = ctx.credit(creditCtx);
  checkCredit(credit, maxSigma, policySteps, ctx.method);

  const reward = (points: Float32Array, i: number) => -Math.hypot(points[2 * i] - p.target_x, points[2 * i + 1] - p.target_y);
  const evalRng = ctx.sharedRng('evaluate');
  const rolloutRng = ctx.rng('rollout');
  const names = ['recall', 'reward', 'precision', 'modes_covered', 'mmd', 'reward_native', 'recall_native'] as const;
  const steps: number[] = [];
  const metrics: Record<string, Float64Array[]> = Object.fromEntries(names.map((n) => [n, []]));

  const denoiser = createDenoiser(pretrained, schedule);
  const optimizer = tf.train.adam(p.learning_rate);
  // The entry's policy is the sampler with its own σ; the native one is a secondary view.
  const ownIsNative = credit.sigma.every((s, i) => s === nativeSigma[i]);
  const meanReward = (x0: Float32Array) => {
    let total = 0;
    for (let i = 0; i < p.eval_samples; i++) total += reward(x0, i);
    return total / p.eval_samples;
  };
  const evaluate = (epoch: number) => {
    const labels = uniformLabels(p.eval_samples, data.classes, evalRng.fork(`labels-${epoch}`));
    // Same labels and the same noise stream (x_T and every z) for every entry and both samplers.
    const sample = (sigma: Float64Array) => sampleDdim(denoiser.read(), schedule, ddim, sigma, labels, evalRng.fork(`sample-${epoch}`)).x0;
    const x0 = sample(credit.sigma);
    const { precision, recall } = knnPrecisionRecall(heldout.points, x0, 5);
    const own = meanReward(x0);
    const native = ownIsNative ? undefined : sample(nativeSigma);
    const values = {
      recall,
      reward: own,
      precision,
      modes_covered: modeCoverage(data, x0).covered,
      mmd: mmd2(x0, heldout.points),
      reward_native: native ? meanReward(native) : own,
      recall_native: native ? knnPrecisionRecall(heldout.points, native, 5).recall : recall,
    };
    steps.push(epoch);
    for (const name of names) metrics[name].push(Float64Array.of(values[name]));
  };

  evaluate(0);
  const N = p.groups * p.group_size;
  const P = policySteps.length;
  // Each policy step's weight w_i(σ_i) and factor s_i, one row per (step, trajectory): fixed
  // for the whole cell, since the credit is chosen once.
  const rowWeights = new Float32Array(P * N);
  const rowScales = new Float32Array(P * N);
  policySteps.forEach((i, k) => {
    rowWeights.fill(creditCtx.weight(i, credit.sigma[i]), k * N, (k + 1) * N);
    rowScales.fill(credit.scale?.[i] ?? 1, k * N, (k + 1) * N);
  });
  const credits = tf.tidy(() => ({ w: tf.tensor1d(rowWeights), scale: tf.tensor1d(rowScales) }));
  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    // Rollouts with the current (old) policy, recording every step's input, noise and ε̂.
    const labels = new Int32Array(N);
    for (let g = 0; g < p.groups; g++) labels.fill(rolloutRng.int(data.classes), g * p.group_size, (g + 1) * p.group_size);
    const { x0, trajectory } = sampleDdim(denoiser.read(), schedule, ddim, credit.sigma, labels, rolloutRng, true);
    const advantages = groupAdvantages(
      Float64Array.from({ length: N }, (_, n) => reward(x0, n)),
      p.group_size,
    );

    const x = new Float32Array(P * N * 2);
    const z = new Float32Array(P * N * 2);
    const epsOld = new Float32Array(P * N * 2);
    const t = new Float32Array(P * N);
    const rowLabels = new Int32Array(P * N);
    policySteps.forEach((i, k) => {
      x.set(trajectory!.x[i], k * N * 2);
      z.set(trajectory!.z[i], k * N * 2);
      epsOld.set(trajectory!.eps[i], k * N * 2);
      t.fill(ddim.steps[i], k * N, (k + 1) * N);
      rowLabels.set(labels, k * N);
    });
    const tensors = tf.tidy(() => ({
      x: tf.tensor2d(x, [P * N, 2]),
      z: tf.tensor2d(z, [P * N, 2]),
      epsOld: tf.tensor2d(epsOld, [P * N, 2]),
      t: tf.tensor1d(t),
      labels: tf.tensor1d(rowLabels, 'int32'),
    }));
    let update = 0;
    for (let inner = 0; inner < p.inner_epochs; inner++) {
      // DDPO: shuffle the trajectories, split them into `updates` minibatches, one step each.
      const order = shuffled(N, rolloutRng);
      for (let b = 0; b < p.updates; b++) {
        const members = order.slice(Math.floor((b * N) / p.updates), Math.floor(((b + 1) * N) / p.updates));
        const M = members.length;
        if (M === 0) continue;
        // Rows k·N + n of the trajectories n in this minibatch, step-major: logRatio is P × M.
        const rows = new Int32Array(P * M);
        for (let k = 0; k < P; k++) for (let m = 0; m < M; m++) rows[k * M + m] = k * N + members[m];
        const batch = tf.tidy(() => {
          const index = tf.tensor1d(rows, 'int32');
          return {
            x: tf.gather(tensors.x, index),
            z: tf.gather(tensors.z, index),
            epsOld: tf.gather(tensors.epsOld, index),
            t: tf.gather(tensors.t, index),
            labels: tf.gather(tensors.labels, index),
            w: tf.gather(credits.w, index),
            scale: tf.gather(credits.scale, index),
            advantages: tf.tensor1d(Float32Array.from(members, (n) => advantages[n])),
          };
        });
        const cost = optimizer.minimize(
          () => {
            const delta = tf.sub(denoiser.predict(batch.x, batch.t, batch.labels), batch.epsOld);
            const cross = tf.mul(batch.w, tf.sum(tf.mul(delta, batch.z), 1));
            const square = tf.mul(tf.mul(0.5, tf.square(batch.w)), tf.sum(tf.square(delta), 1));
            // Averaged over the d = 2 dimensions, as DDPO's log_prob (see the header).
            const logRatio = tf.reshape(tf.mul(tf.mul(batch.scale, 1 / DIMENSIONS), tf.neg(tf.add(cross, square))), [P, M]) as TF.Tensor2D;
            const objective = credit.objective({
              tf,
              logRatio,
              advantages: batch.advantages,
              epoch,
              update,
            } satisfies PolicyObjectiveContext) as TF.Scalar | undefined;
            // No objective: the method leaves the weights as they are (the pretrained reference).
            return objective ?? tf.mul(tf.sum(logRatio), 0);
          },
          true,
          denoiser.variables,
        );
        const value = cost!.dataSync()[0];
        cost!.dispose();
        tf.dispose(Object.values(batch));
        if (!Number.isFinite(value)) throw new Error(`policy objective is ${value} at epoch ${epoch} (method ${ctx.method})`);
        update++;
      }
    }
    tf.dispose(Object.values(tensors));
    if (epoch % p.eval_every === 0 || epoch === p.epochs) evaluate(epoch);
  }
  tf.dispose(Object.values(credits));
  denoiser.dispose();
  optimizer.dispose();
  return { steps, metrics };
}

/** The data dimension the log-density is averaged over. */
const DIMENSIONS = 2;

/** A random permutation of 0 … n−1 (Fisher–Yates on `rng`). */
function shuffled(n: number, rng: { int(n: number): number }): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * diffusers' DDIM "leading" spacing with steps_offset = 1 (Stable Diffusion's scheduler, as in
 * DDPO and PCPO): τ_k = 1 + (S − 1 − k)·⌊T/S⌋ in order of use, then t = 1 → 0 (ᾱ = 1,
 * deterministic).
 */
export function leadingDdimSchedule(schedule: Schedule, steps: number): DdimSchedule {
  const ratio = Math.floor(schedule.T / steps);
  if (!Number.isInteger(steps) || steps < 2 || ratio < 1)
    throw new Error(`sampler_steps = ${steps} must be an integer in 2 … diffusion_steps = ${schedule.T}`);
  return ddimScheduleAt(
    schedule,
    Array.from({ length: steps }, (_, k) => 1 + (steps - 1 - k) * ratio),
  );
}

/** A = (r − mean)/(std + 1e-6) within each consecutive group of `size` trajectories. */
export function groupAdvantages(rewards: Float64Array, size: number): Float64Array {
  const out = new Float64Array(rewards.length);
  for (let g = 0; g < rewards.length; g += size) {
    let mean = 0;
    for (let i = g; i < g + size; i++) mean += rewards[i] / size;
    let variance = 0;
    for (let i = g; i < g + size; i++) variance += (rewards[i] - mean) ** 2 / size;
    const sd = Math.sqrt(variance);
    for (let i = g; i < g + size; i++) out[i] = (rewards[i] - mean) / (sd + 1e-6);
  }
  return out;
}

/** A credit hook's answer, checked before any rollout: σ per step within (0, max], 0 on the deterministic last step; factors finite and ≥ 0. */
function checkCredit(credit: CreditAssignment, maxSigma: Float64Array, policySteps: number[], method: string): void {
  const { sigma, scale } = credit;
  if (!(sigma instanceof Float64Array) || sigma.length !== maxSigma.length)
    throw new Error(
      `credit hook of ${method} returned sigma of length ${sigma?.length}; expected ${maxSigma.length} (one per sampler step)`,
    );
  for (let i = 0; i < sigma.length; i++) {
    if (!policySteps.includes(i)) {
      if (sigma[i] !== 0)
        throw new Error(`credit hook of ${method}: sigma[${i}] = ${sigma[i]} must be 0 (the sampler's deterministic last step)`);
      continue;
    }
    if (!(sigma[i] > 0 && sigma[i] <= maxSigma[i] * (1 + 1e-12)))
      throw new Error(`credit hook of ${method}: sigma[${i}] = ${sigma[i]} is outside (0, ${maxSigma[i]}]`);
  }
  if (scale && (scale.length !== sigma.length || policySteps.some((i) => !(scale[i] >= 0 && Number.isFinite(scale[i]))))) {
    throw new Error(`credit hook of ${method} returned an invalid scale: expected ${sigma.length} finite factors ≥ 0`);
  }
}
