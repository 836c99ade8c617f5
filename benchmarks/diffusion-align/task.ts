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
 * group-normalized advantages A = (r − mean_group)/(std_group + 1e-6); then `updates` Adam steps
 * on the method's objective of the per-step log-probability ratios of the new to the sampling
 * policy, for every stochastic step i and trajectory n (CreditContext in harness/types.ts):
 *
 *   log ρ_i,n = −s_i·[w_i·Δε̂·z + ½‖w_i·Δε̂‖²],  Δε̂ = ε̂_θ(x_i, τ_i, c) − ε̂_old,  w_i = C_i(σ_i)/σ_i,
 *
 * σ_i and the factor s_i (default 1) from the method's credit hook.
 *
 * The last DDIM step (to t = 0, ᾱ = 1) is deterministic and carries no ratio. Every `eval_every`
 * epochs (and at 0) the task samples `eval_samples` points with the native sampler (η = 1, the
 * same for every method) and records the mean reward and the diversity metrics of diffusion.
 */
import { z } from 'zod';
import type * as TF from '@tensorflow/tfjs';
import { defineTask, type CreditAssignment, type CreditContext, type TrainingContext, type TrainingOutput } from '../../harness/types.ts';
import { tfjs } from '../../harness/backend.ts';
import { dataset } from '../diffusion/data.ts';
import { createDenoiser, ddimCoefficient, ddimSchedule, ddimSigma, initDenoiser, sampleDdim, trainDenoiser } from '../diffusion/ddpm.ts';
import { DENOISER_PARAMS, denoiserConfig, scheduleOf, uniformLabels } from '../diffusion/task.ts';
import { knnPrecisionRecall, mmd2, modeCoverage } from '../diffusion/metrics.ts';

const Params = z.object({
  dataset: z.enum(['ring', 'grid', 'spirals']).default('ring').describe('real distribution the model is pretrained on (see diffusion)'),
  real: z.number().int().min(16).max(1_000_000).default(1000).describe('real pretraining samples'),
  pretrain_steps: z.number().int().min(1).max(1_000_000).default(800).describe('Adam steps of pretraining'),
  batch: z.number().int().min(8).max(65_536).default(256).describe('pretraining minibatch size'),
  pretrain_learning_rate: z.number().positive().max(1).default(2e-3).describe('pretraining Adam step size'),
  ...DENOISER_PARAMS,
  sampler_steps: z.number().int().min(2).max(1000).default(20).describe('steps of the stochastic DDIM sampler the policy acts through'),
  target_x: z.number().default(2.5).describe('reward r(x) = −‖x − (target_x, target_y)‖'),
  target_y: z.number().default(0.5).describe('reward target, second coordinate'),
  epochs: z.number().int().min(1).max(10_000).default(45).describe('policy-gradient epochs'),
  groups: z.number().int().min(1).max(4096).default(16).describe('prompts (class labels) per epoch'),
  group_size: z.number().int().min(2).max(256).default(8).describe('trajectories per prompt; advantages are normalized within a group'),
  updates: z.number().int().min(1).max(100).default(2).describe('Adam steps per epoch on the epoch’s trajectories'),
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
    { title: 'PCPO: Proportionate Credit Policy Optimization for Aligning Image Generation Models', authors: 'Lee, Ye', year: 2025, url: 'https://arxiv.org/abs/2509.25774' },
    { title: 'Training Diffusion Models with Reinforcement Learning', authors: 'Black, Janner, Du, Kostrikov, Levine', year: 2024, url: 'https://arxiv.org/abs/2305.13301' },
    { title: 'Denoising Diffusion Implicit Models', authors: 'Song, Meng, Ermon', year: 2021, url: 'https://arxiv.org/abs/2010.02502' },
  ],
  stepAxis: 'epoch',
  params: Params,
  profiles: {
    quick: {},
    standard: { pretrain_steps: 1500, epochs: 90, eval_every: 3, eval_samples: 2000 },
    full: { pretrain_steps: 3000, hidden: 128, epochs: 150, groups: 32, eval_every: 5, eval_samples: 2000 },
  },
  metrics: [
    { name: 'recall', description: 'k-NN recall (k = 5) of held-out real points under the native sampler’s samples: the diversity the fine-tuning keeps', direction: 'higher', primary: true },
    { name: 'reward', description: 'mean reward −‖x − target‖ of the native sampler’s samples', direction: 'higher' },
    { name: 'precision', description: 'k-NN precision (k = 5) of the samples w.r.t. held-out real points', direction: 'higher' },
    { name: 'modes_covered', description: 'modes holding at least a quarter of their expected share of the samples', direction: 'higher' },
    { name: 'mmd', description: 'unbiased MMD² between samples and held-out real points (see diffusion)', direction: 'lower' },
  ],
  hooks: ['credit'],
  anchors: { oracle: 'pretrained', reference: 'grpo' },
  engine: 'tfjs',
  training: (params, ctx) => train(Params.parse(params), ctx),
});

function train(p: DiffusionAlignParams, ctx: TrainingContext): TrainingOutput {
  const tf = tfjs();
  if (!ctx.credit) throw new Error(`method ${ctx.method} has no credit hook`);
  const data = dataset(p.dataset);
  const schedule = scheduleOf(p);
  const ddim = ddimSchedule(schedule, p.sampler_steps);
  const S = p.sampler_steps;

  // Pretraining and the held-out set come from streams shared by every method: the same model.
  const realRng = ctx.sharedRng('real');
  const real = { points: new Float32Array(p.real * 2), labels: new Int32Array(p.real) };
  data.sample(p.real, realRng, real.points, real.labels);
  const heldout = { points: new Float32Array(p.eval_samples * 2), labels: new Int32Array(p.eval_samples) };
  data.sample(p.eval_samples, ctx.sharedRng('heldout'), heldout.points, heldout.labels);
  const pretrained = trainDenoiser(initDenoiser(denoiserConfig(p, data.classes), ctx.sharedRng('init')), schedule, real, { steps: p.pretrain_steps, batch: p.batch, learningRate: p.pretrain_learning_rate, labelDropout: p.label_dropout }, ctx.sharedRng('pretrain'));

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
  const names = ['recall', 'reward', 'precision', 'modes_covered', 'mmd'] as const;
  const steps: number[] = [];
  const metrics: Record<string, Float64Array[]> = Object.fromEntries(names.map((n) => [n, []]));

  const denoiser = createDenoiser(pretrained, schedule);
  const optimizer = tf.train.adam(p.learning_rate);
  const evaluate = (epoch: number) => {
    const labels = uniformLabels(p.eval_samples, data.classes, evalRng.fork(`labels-${epoch}`));
    const { x0 } = sampleDdim(denoiser.read(), schedule, ddim, nativeSigma, labels, evalRng.fork(`sample-${epoch}`));
    let total = 0;
    for (let i = 0; i < p.eval_samples; i++) total += reward(x0, i);
    const { precision, recall } = knnPrecisionRecall(heldout.points, x0, 5);
    const values = { recall, reward: total / p.eval_samples, precision, modes_covered: modeCoverage(data, x0).covered, mmd: mmd2(x0, heldout.points) };
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
    const advantages = groupAdvantages(Float64Array.from({ length: N }, (_, n) => reward(x0, n)), p.group_size);

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
      advantages: tf.tensor1d(Float32Array.from(advantages)),
    }));
    for (let update = 0; update < p.updates; update++) {
      const cost = optimizer.minimize(() => {
        const delta = tf.sub(denoiser.predict(tensors.x, tensors.t, tensors.labels), tensors.epsOld);
        const cross = tf.mul(credits.w, tf.sum(tf.mul(delta, tensors.z), 1));
        const square = tf.mul(tf.mul(0.5, tf.square(credits.w)), tf.sum(tf.square(delta), 1));
        const logRatio = tf.reshape(tf.mul(credits.scale, tf.neg(tf.add(cross, square))), [P, N]) as TF.Tensor2D;
        const objective = credit.objective({ tf, logRatio, advantages: tensors.advantages, epoch, update } satisfies PolicyObjectiveContext) as TF.Scalar | undefined;
        // No objective: the method leaves the weights as they are (the pretrained reference).
        return objective ?? tf.mul(tf.sum(logRatio), 0);
      }, true, denoiser.variables);
      const value = cost!.dataSync()[0];
      cost!.dispose();
      if (!Number.isFinite(value)) throw new Error(`policy objective is ${value} at epoch ${epoch} (method ${ctx.method})`);
    }
    tf.dispose(Object.values(tensors));
    if (epoch % p.eval_every === 0 || epoch === p.epochs) evaluate(epoch);
  }
  tf.dispose(Object.values(credits));
  denoiser.dispose();
  optimizer.dispose();
  return { steps, metrics };
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
  if (!(sigma instanceof Float64Array) || sigma.length !== maxSigma.length) throw new Error(`credit hook of ${method} returned sigma of length ${sigma?.length}; expected ${maxSigma.length} (one per sampler step)`);
  for (let i = 0; i < sigma.length; i++) {
    if (!policySteps.includes(i)) {
      if (sigma[i] !== 0) throw new Error(`credit hook of ${method}: sigma[${i}] = ${sigma[i]} must be 0 (the sampler's deterministic last step)`);
      continue;
    }
    if (!(sigma[i] > 0 && sigma[i] <= maxSigma[i] * (1 + 1e-12))) throw new Error(`credit hook of ${method}: sigma[${i}] = ${sigma[i]} is outside (0, ${maxSigma[i]}]`);
  }
  if (scale && (scale.length !== sigma.length || policySteps.some((i) => !(scale[i] >= 0 && Number.isFinite(scale[i]))))) {
    throw new Error(`credit hook of ${method} returned an invalid scale: expected ${sigma.length} finite factors ≥ 0`);
  }
}
