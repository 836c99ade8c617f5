/**
 * The contracts every task, baseline and method builds on. Read this file first.
 *
 * A **task** is a standardized protocol (benchmarks/<id>/task.ts). A **method** or
 * **baseline** (methods/<id>/method.ts, baselines/<id>/method.ts) implements some of the
 * **hooks** a task exposes. A **cell** is one (task, params, method, params, seed) run.
 */
import type { z } from 'zod';
import type { Rng } from './rng.ts';
import type { Snapshot } from './schema.ts';

/** How a task's models use the fused kernels (TaskDefinition.kernels). */
export type KernelUse = 'instead-of-tfjs' | 'beside-tfjs';

/** The profiles every task defines; `quick` is the default and runs in seconds. */
export type Profile = 'quick' | 'standard' | 'full';
export const PROFILES: readonly Profile[] = ['quick', 'standard', 'full'];

/**
 * Extension points. A method applies to a task when the task exposes every hook the
 * method implements.
 * - `pool`: build generation t's training pool (which batches, with which per-sample weights).
 * - `filter`: build the pool by selecting among candidates, given task-provided features
 *   (FilterContext); a method implements `pool` or `filter`, not both.
 * - `fit`: regularization or loss terms at fit time (task-specific fit options).
 * - `estimate`: correct a fitted parametric estimate.
 * - `credit`: per-timestep weights (and the objective) in policy-gradient fine-tuning.
 * - `loss`: the training objective of a trained (epoch-axis) task, e.g. DCCA: the method turns
 *   the task's objective terms at one training step into the scalar to minimize, and may pick
 *   training options (encoder kind, which checkpoint is reported). Exposed only by
 *   `training` tasks, so methods that implement it never apply to generational ones.
 */
export type HookName = 'pool' | 'filter' | 'fit' | 'estimate' | 'credit' | 'loss';
export const HOOK_NAMES: readonly HookName[] = ['pool', 'filter', 'fit', 'estimate', 'credit', 'loss'];

export interface Paper {
  title: string;
  authors: string;
  year: number;
  url?: string;
}

export interface MetricSpec {
  name: string;
  description: string;
  /** Which way is better; `target`: closest to `target` is best (e.g. a variance ratio of 1). */
  direction: 'lower' | 'higher' | 'target';
  /** The ideal value when `direction` is `target`. */
  target?: number;
  /** Exactly one metric per task is primary (with direction lower or higher): it drives the scores. */
  primary?: boolean;
  /**
   * Steps-to-collapse is the first step whose (mean) value is past this threshold
   * (above it when lower is better, below it when higher is better).
   */
  collapseThreshold?: number;
}

/** "lower is better", "higher is better" or "best at 1", for labels. */
export function directionLabel(metric: Pick<MetricSpec, 'direction' | 'target'>): string {
  return metric.direction === 'target' ? `best at ${metric.target}` : `${metric.direction} is better`;
}

/** A closed-form reference curve, aligned with the task's steps. */
export interface TheoryCurve {
  metric: string;
  steps: number[];
  values: number[];
  /** Where the formula comes from, e.g. "MLE: E[σ²_t] = σ²(1−1/M)^(t+1)". */
  label: string;
}

// ---------------------------------------------------------------------------------------
// Data flowing through the generational loop. Every array holds all replicates at once
// (vectorized chains): a batch of `size` samples per replicate.

/**
 * Samples for all replicates, produced at one generation from one source. Samples within a
 * replicate are i.i.d. in storage order, so any fixed subset (e.g. the first k) is a valid
 * random subsample: tasks must not sort or group them. A batch is never modified after it is
 * drawn (pool hooks express selection through weights), so tasks may cache per-batch statistics.
 */
export interface Batch<D> {
  origin: 'real' | 'synthetic';
  /** Generation whose model produced it (synthetic), or at which it was drawn (real). */
  generation: number;
  /** Samples per replicate. */
  size: number;
  data: D;
}

/** One part of a training pool: a batch and optional per-sample weights. */
export interface PoolPart<D> {
  batch: Batch<D>;
  /**
   * Per-sample weights, replicate-major (`weights[r * size + i]`); 0 excludes a sample.
   * Omitted (and no `draw`) means weight 1 for every sample.
   */
  weights?: Float64Array;
  /**
   * Instead of `weights`: weights drawn by a recipe the harness realizes on demand
   * (harness/pool.ts `bernoulliSplit`, `partWeights`), so that a pool keeping many rounds costs
   * memory per round, not per sample.
   */
  draw?: BernoulliDraw;
}

/**
 * A part's weights as one random 0/w mask: slot i of replicate r (index j = r·size + i) weighs
 * `weight` when u_j < p (side `first`) or u_j ≥ p (side `second`), else 0, where u_j is the
 * j-th value of `new Rng(seed).fillUniform(new Float64Array(replicates × size))`. Two parts of
 * one split share the seed, so every slot is taken by exactly one side.
 */
export interface BernoulliDraw {
  kind: 'bernoulli';
  /** An Rng seed (64 hex digits). */
  seed: string;
  p: number;
  side: 'first' | 'second';
  weight: number;
}

export interface Pool<D> {
  parts: PoolPart<D>[];
  /**
   * The fit sees, independently in each replicate, a uniform random subset of `size` of the
   * parts' samples (every part unweighted, no draws); harness/pool.ts `subsample` makes it and
   * `subsetPicks` realizes it. Without it, the fit sees every part whole.
   */
  subset?: PoolSubset;
}

/**
 * Which samples a subsampled pool keeps: per replicate r in order, a uniform `size`-subset
 * (Floyd's algorithm on `new Rng(seed)`, harness/pool.ts subsetPicks) of the N samples of the
 * parts, numbered part by part. A task may realize it in law instead (recursive-lm draws counts
 * from the union's counts); the real-data budget is counted on subsetPicks' realization, which has
 * the same law (no method today puts fresh real data under a subset).
 */
export interface PoolSubset {
  size: number;
  /** An Rng seed (64 hex digits). */
  seed: string;
}

/** What a `pool` hook sees when building generation t's training pool (t ≥ 1). */
export interface PoolContext<D> {
  /** The generation being fit. */
  t: number;
  /** The task's per-generation sample size n_t. */
  size: number;
  replicates: number;
  /** The pool generation t−1 was fit on. */
  previous: Pool<D>;
  /** The real generation-0 batch. */
  initial: Batch<D>;
  /**
   * Every batch drawn so far (real generation-0 data first), in order. Kept only for methods
   * that declare `needs: { history: true }` (reading it otherwise fails the cell), so that the
   * others' memory stays flat: the harness holds what their pools hold, nothing more.
   */
  history: Batch<D>[];
  /** Draws n fresh samples per replicate from the model of generation t−1. */
  synthetic(n: number): Batch<D>;
  /**
   * Draws n fresh real samples per replicate. The cell's real-data budget counts those that
   * enter a pool with positive weight (once each), so drawing candidates and keeping some is fair.
   */
  real(n: number): Batch<D>;
  /** The method's own random stream (derived from the cell key). */
  rng: Rng;
}

/**
 * Per-sample features a task provides to `filter` hooks (e.g. diffusion: hidden activations
 * of the generation-0 denoiser, which saw real data only), replicate-major like batches.
 */
export interface Features {
  /** Feature dimension. */
  dim: number;
  /** `values[(r * size + i) * dim + j]`: feature j of sample i of replicate r. */
  values: Float32Array;
  /** The class each sample was drawn for (class-conditional tasks), `labels[r * size + i]`. */
  labels: Int32Array;
  classes: number;
}

/**
 * What a `filter` hook sees: everything a pool hook sees, plus the task's features of any
 * batch (computed once per batch and cached). A filter builds the pool by selection (weights).
 */
export interface FilterContext<D> extends PoolContext<D> {
  features(batch: Batch<D>): Features;
}

/**
 * What a `credit` hook sees in policy-gradient fine-tuning of a diffusion sampler
 * (benchmarks/diffusion-align): the stochastic sampler's steps. Step i moves x from timestep
 * τ_i to τ_{i−1} as x' = x/√α_i − C_i(σ)·ε̂ + σ·z, so the log-probability ratio of a new policy
 * to the sampling one at step i, per dimension (the log-density averaged over the d dimensions,
 * as DDPO's), is −s_i·[w_i·Δε̂·z + ½‖w_i·Δε̂‖²]/d with w_i(σ) = C_i(σ)/σ and s_i the
 * assignment's optional factor: the weight σ gives that step's credit. Each entry is evaluated
 * with the sampler whose σ it chose.
 */
export interface CreditContext {
  task: string;
  taskParams: Record<string, unknown>;
  /** Sampler steps. */
  steps: number;
  /** The sampler's native noise std per step (DDIM with η = 1). */
  nativeSigma: Float64Array;
  /** The largest valid σ per step (σ² ≤ 1 − ᾱ_{τ_{i−1}}). */
  maxSigma: Float64Array;
  /** w_i(σ) = C_i(σ)/σ. */
  weight(step: number, sigma: number): number;
}

/**
 * A `credit` hook's answer: the noise std per sampler step (which sets each step's weight), an
 * optional per-step factor on the log-ratio,
 * and the policy objective to minimize given the task's per-step terms (TF.js tensors typed
 * `unknown` here; benchmarks/diffusion-align's `PolicyObjectiveContext` says what they hold).
 */
export interface CreditAssignment {
  sigma: Float64Array;
  /**
   * Per-step factor on the log-ratio (default 1): the gradient credit of step i at the
   * sampling policy is scale_i·w_i(σ_i).
   */
  scale?: Float64Array;
  // Method syntax (bivariant parameters): a hook may declare the task's richer context type.
  objective(ctx: unknown): unknown;
}

/**
 * What a `fit` hook returns: options of the task's fit, declared by the task as a zod object
 * (TaskBase.fitOptions, e.g. `{ ridge: 0.1 }` for regression). The loop rejects options the
 * task does not declare, naming them.
 */
export type FitOptions = Record<string, number>;

/**
 * Quantities a task's protocol fixes and lets a `fit` hook read (TaskBase.known), e.g. the
 * label-noise variance and signal strength of regression: what a paper's rule for a constant
 * may use instead of a value tuned on the benchmark.
 */
export type KnownQuantities = Readonly<Record<string, number>>;

export interface FitContext {
  t: number;
  size: number;
  /** The task's per-generation sample sizes n_0 … n_t (the last one is `size`). */
  sampleSizes: readonly number[];
  replicates: number;
  /** The task id, for error messages (a method never branches on it: see TaskBase.fitOptions). */
  task: string;
  /** The task's fully resolved parameters (dimension, noise, vocabulary, …). */
  taskParams: Record<string, unknown>;
  /** The task's known quantities for these parameters (TaskBase.known), {} when it declares none. */
  known: KnownQuantities;
  /** The method's own random stream (derived from the cell key), the same one its pool hook sees. */
  rng: Rng;
}

export interface EstimateContext {
  t: number;
  task: string;
  /** The task's fully resolved parameters. */
  taskParams: Record<string, unknown>;
  /** The raw generation-0 fit (on real data only): the anchor some corrections pull towards. */
  anchor: unknown;
  /** Per-replicate training-pool size (sum of weights), for sample-size corrections. */
  poolSize: Float64Array;
  /** The method's own random stream (derived from the cell key), the same one its pool hook sees. */
  rng: Rng;
}

/**
 * What a `loss` hook sees at one training step of an epoch-axis task. The tensors are
 * TensorFlow.js tensors (typed `unknown` here so that the contracts never load TF.js; each
 * task's README and its exported context type, e.g. benchmarks/dcca's `DccaLossContext`,
 * say what they hold). The hook runs inside the optimizer's closure: whatever it returns
 * is differentiated with respect to the task's trainable weights.
 */
export interface LossContext {
  task: string;
  /** The task's fully resolved parameters. */
  taskParams: Record<string, unknown>;
  /** The epoch being trained (1-based) and the step within it (0-based). */
  epoch: number;
  step: number;
  /** The method's own random stream (derived from the cell key). */
  rng: Rng;
}

/**
 * Training options a method fixes for a trained task (MethodDefinition.training), documented
 * in the task's README (for dcca: `encoder`, `checkpoint`, `weight_decay`).
 */
export type TrainingOptions = Record<string, string | number>;

/**
 * What the `prepare` step of a method sees, once per cell of a generational task, right after
 * generation 0's fit on real data (and before generation 0's `estimate` hook): enough to build
 * what the hooks then reuse for the whole cell.
 */
export interface PrepareContext {
  /** The task id, for error messages (a method never branches on it). */
  task: string;
  /** The task's fully resolved parameters. */
  taskParams: Record<string, unknown>;
  /** The task's known quantities for these parameters (TaskBase.known), {} when it declares none. */
  known: KnownQuantities;
  /** The parametric family of the task's model for these parameters (TaskBase.modelFamily), if it declares one. */
  modelFamily: ModelFamily | undefined;
  /** The raw generation-0 fit (real data only), the `anchor` later estimate hooks see. */
  anchor: unknown;
  /** Per-replicate size (sum of weights) of the generation-0 pool the anchor was fit on. */
  poolSize: Float64Array;
  /** The task's per-generation sample sizes n_0 … n_T. */
  sampleSizes: readonly number[];
  replicates: number;
  /** The method's own random stream (derived from the cell key), the one its hooks see. */
  rng: Rng;
}

/**
 * What every hook context of a method with a `prepare` step also carries: the value `prepare`
 * returned for this cell (undefined in generation 0's `fit` hook, which runs before it, and for
 * a method without `prepare`).
 */
export interface CellState<S> {
  state: S;
}

/**
 * Hook implementations. Each is optional; a method applies where its hooks are exposed. `S` is
 * the type of the method's per-cell state (MethodDefinition.prepare), `ctx.state` in every hook.
 */
// biome-ignore lint/suspicious/noExplicitAny: a method's state type is its own; hooks are checked against it through defineMethod
export interface Hooks<P, S = any> {
  pool?: (ctx: PoolContext<unknown> & CellState<S>, params: P) => Pool<unknown>;
  /** Builds the pool by selecting among candidates with the task's features (instead of `pool`). */
  filter?: (ctx: FilterContext<unknown> & CellState<S>, params: P) => Pool<unknown>;
  fit?: (ctx: FitContext & CellState<S>, params: P) => FitOptions;
  estimate?: (model: unknown, ctx: EstimateContext & CellState<S>, params: P) => unknown;
  /**
   * The training objective at one step of an epoch-axis task: returns the scalar loss to
   * minimize (a TF.js scalar) built from the task-specific context (for dcca, the DCCA
   * objective, the encoders and the minibatch: benchmarks/dcca/task.ts `DccaLossContext`).
   */
  // Method syntax (bivariant parameters): a hook may declare the task's richer context type.
  loss?(ctx: LossContext, params: P): unknown;
  /** Per-step credit and objective of policy-gradient fine-tuning (see CreditContext). */
  credit?: (ctx: CreditContext, params: P) => CreditAssignment;
}

// ---------------------------------------------------------------------------------------
// Tasks

/** What a task or method computes with beyond float64 JavaScript (ARCHITECTURE.md "Compute"). */
export type Engine = 'tfjs';

/**
 * A generational task: generation 0 is fit on real data; each later generation on the pool
 * a baseline's or method's `pool` hook builds. The harness runs the loop (harness/generations.ts).
 */
export interface GenerationalSimulation<D, M> {
  replicates: number;
  generations: number;
  /** Per-generation sample size n_t, t = 0 … generations. */
  sampleSize(t: number): number;
  /** n fresh real samples per replicate. */
  real(n: number, rng: Rng, generation: number): Batch<D>;
  /**
   * Fits one model per replicate on the weighted pool. Unless `compactPools` is set, the harness
   * first makes every part plain: a subset or a draw becomes dense weights.
   */
  fit(pool: Pool<D>, options: FitOptions): M;
  /**
   * `fit` reads pools as built (a `subset`, parts with a `draw`) and realizes them itself, by
   * harness/pool.ts's helpers or in law (e.g. counts for a count model), in less than a dense
   * weight per sample.
   */
  compactPools?: boolean;
  /** n samples per replicate from the fitted model. */
  sample(model: M, n: number, rng: Rng, generation: number): Batch<D>;
  /** Per-replicate metric values (length `replicates` each) for the fitted model. */
  evaluate(model: M): Record<string, Float64Array>;
  /**
   * Per-sample features for `filter` hooks, from the generation-0 model `anchor` (required
   * when the task exposes `filter`).
   */
  features?(batch: Batch<D>, anchor: M): Features;
  /**
   * A small picture of replicate 0 for the site (points, a few lines of text, a fitted
   * density), drawn with its own stream `rng` so that it never changes a metric: of the
   * fitted `model`, or of the real data when `model` is undefined. The loop takes one at the
   * first, middle and last generation.
   */
  snapshot?(model: M | undefined, rng: Rng): SnapshotPicture;
}

/** A {@link Snapshot} without its step (the loop adds it). */
export type SnapshotPicture = DistributiveOmit<Snapshot, 'step'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What a cell produces: the step axis values and per-metric series (mean, se, n per step). */
export interface TrainingOutput {
  steps: number[];
  /** Per metric, per step: the values over replicates (length ≥ 1 each). */
  metrics: Record<string, Float64Array[]>;
}

/**
 * A trained (non-generational) task, step axis `epoch`: the task trains its own model for a
 * number of epochs, evaluating every few, and asks the method's `loss` hook for the objective
 * at each step. No pool and no real-data budget: the data are fixed.
 */
export type TrainingProtocol<P> = (params: P, ctx: TrainingContext) => TrainingOutput;

export interface TrainingContext {
  /** Cell-key-derived streams: `rng(role)` gives an independent stream per role. */
  rng(role: string): Rng;
  /**
   * Streams shared by every method of a setting and seed (derived from the cell key without
   * the method): data and initial weights, so that methods compare on the same draws
   * (common random numbers) and an oracle that only selects checkpoints sees the same run.
   */
  sharedRng(role: string): Rng;
  /** The method's `loss` hook bound to its parameters, or undefined (the task's plain objective). */
  loss?: (ctx: LossContext) => unknown;
  /** The method's `credit` hook bound to its parameters, or undefined. */
  credit?: (ctx: CreditContext) => CreditAssignment;
  /** The method's fixed training options (MethodDefinition.training), {} when none. */
  options: TrainingOptions;
  /** Method id, for error messages. */
  method: string;
}

/**
 * The parametric family of a task's fitted model, for methods that work in its parameter
 * coordinates (e.g. contraction-filter). The model (what `fit` returns, and `estimate` hooks
 * receive) then has this layout, replicate-major:
 * - `gaussian`: `{ mean: Float64Array (R × d), cov: Float64Array (R × d × d) }`, the Gaussian MLE;
 * - `categorical`: a Float64Array of R × C × V probabilities, a categorical distribution over V
 *   outcomes for each of C contexts (each row sums to 1).
 */
export type ModelFamily = 'gaussian' | 'categorical';

/** What every task declares; a task is generational (`simulation`) or trained (`training`). */
export interface TaskBase<P extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  title: string;
  /** One paragraph: the protocol in plain words. */
  summary: string;
  papers: Paper[];
  /** Parameter schema; every field has a default and a description. */
  params: z.ZodType<P>;
  /** Overrides of the defaults per profile (quick = the defaults unless given). */
  profiles: Record<Profile, Partial<P>>;
  metrics: MetricSpec[];
  /**
   * The primary metric's name for these parameters, when it depends on them (a variant with
   * its own metric, e.g. recursive-lm's char variant scores bits_per_char). Default: the
   * metric flagged `primary`.
   */
  primaryFor?: (params: P) => string;
  /** Hooks this task lets methods implement. */
  hooks: HookName[];
  /**
   * The options a `fit` hook may return (required when `hooks` has `fit`): a zod object whose
   * fields are optional numbers, each described. Options outside it fail the cell; a method
   * that returns some option applies only to tasks that declare it (MethodDefinition.needs).
   */
  fitOptions?: z.ZodObject<Record<string, z.ZodOptional<z.ZodNumber>>>;
  /**
   * Quantities the protocol fixes that a fit rule may use (FitContext.known): `schema` names
   * and describes them (numbers), `values` gives them for resolved parameters.
   */
  known?: { schema: z.ZodObject<Record<string, z.ZodNumber>>; values: (params: P) => KnownQuantities };
  /**
   * The parametric family of the fitted model (see ModelFamily), when it is one; a function
   * decides per resolved parameters (recursive-lm: its `char` variant's model is a network).
   */
  modelFamily?: ModelFamily | ((params: P) => ModelFamily | undefined);
  /** Closed-form reference curves for these parameters (empty when none apply). */
  theory?: (params: P) => TheoryCurve[];
  /**
   * The scale of this task's normalized score: the entry scoring 0 (`oracle`) and the one
   * scoring 1 (`reference`). Omitted: `real-only` and `replace` (harness/scoring.ts).
   */
  scoreScale?: { oracle: string; reference: string };
  /**
   * What one unit of `budget.realSamplesPerChain` is for these parameters (a Gaussian vector,
   * a 2-D point, a token, a labelled row), so budgets are shown in the task's own unit and never
   * summed across tasks. Omitted: `samples`.
   */
  budgetUnit?: string | ((params: P) => string);
  /**
   * A second metric the primary one is traded against (diffusion-align: recall against the
   * reward being optimized). Scoring then also reports each entry's primary value where its
   * seed-averaged `metric` first reaches a target every trained entry reaches (recall at
   * matched reward), so an entry that never optimizes cannot win by standing still.
   */
  tradeoff?: { metric: string };
  /**
   * `tfjs`: the task computes with TensorFlow.js (harness/backend.ts): the harness starts the
   * backend before its cells run and records it. Omitted: float64 JavaScript only. A function
   * decides per resolved parameters (e.g. recursive-lm: only its `char` variant uses TF.js).
   */
  engine?: Engine | ((params: P) => Engine | undefined);
  /**
   * The task's models have fused CPU kernels (kernels/), used instead of TensorFlow.js when the
   * run chooses them (`--kernels fused`, the default; harness/kernels.ts). `instead-of-tfjs`: with
   * the kernels on, the task computes nothing with TF.js (its cells do not start a backend unless
   * the method uses one; records say `kernels`); `beside-tfjs`: it still does (`kernels+tfjs-wasm`).
   */
  kernels?: KernelUse | ((params: P) => KernelUse | undefined);
}

/** A generational task: the harness runs the loop of harness/generations.ts over `simulation`. */
export interface GenerationalTask<P extends Record<string, unknown> = Record<string, unknown>> extends TaskBase<P> {
  stepAxis: 'generation';
  /** Builds the simulation for one cell. */
  // biome-ignore lint/suspicious/noExplicitAny: the data and model types are the task's own (its simulation is typed where it is written)
  simulation: (params: P, rng: Rng) => GenerationalSimulation<any, any>;
  training?: undefined;
}

/** A trained task (step axis `epoch`, e.g. dcca): the task runs its own training protocol. */
export interface TrainedTask<P extends Record<string, unknown> = Record<string, unknown>> extends TaskBase<P> {
  stepAxis: 'epoch';
  /** Runs one cell (see TrainingProtocol). */
  training: TrainingProtocol<P>;
  simulation?: undefined;
}

export type TaskDefinition<P extends Record<string, unknown> = Record<string, unknown>> = GenerationalTask<P> | TrainedTask<P>;

/**
 * Some task, of whatever parameter type: what the registry, the runner and the site hold side by
 * side. `any` is the honest type argument here (P appears in parameters and results, so no
 * single type, `unknown` included, accepts every task).
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AnyTask = TaskDefinition<any>;
/** Some generational task (see AnyTask). */
export type AnyGenerationalTask = Extract<AnyTask, { stepAxis: 'generation' }>;
/** Some trained (epoch-axis) task (see AnyTask). */
export type AnyTrainedTask = Extract<AnyTask, { stepAxis: 'epoch' }>;

// ---------------------------------------------------------------------------------------
// Methods and baselines

// biome-ignore lint/suspicious/noExplicitAny: as for Hooks
export interface MethodDefinition<P extends Record<string, unknown> = Record<string, unknown>, S = any> {
  id: string;
  title: string;
  /** `baseline`: a retraining regime without mitigation; `method`: a mitigation. */
  kind: 'baseline' | 'method';
  summary: string;
  papers: Paper[];
  /** Parameter schema; every field has a default and a description. */
  params: z.ZodType<P>;
  hooks: Hooks<P, S>;
  /**
   * Once per cell of a generational task, after generation 0's fit on real data: builds what
   * the hooks reuse for the whole cell (e.g. a filter trained for the anchor's dimension), and
   * returns it as the hooks' `ctx.state`. State lives here, not in module variables, so every
   * cell starts from its own. A method with `prepare` applies to generational tasks only.
   */
  prepare?: (ctx: PrepareContext, params: P) => S;
  /** `tfjs`: the hooks compute with TensorFlow.js (see TaskDefinition.engine). */
  engine?: Engine;
  /**
   * What the hooks rely on beyond the hooks themselves: the fit options the `fit` hook returns
   * and the known quantities it reads. The method applies only to tasks that declare them all
   * (TaskBase.fitOptions, TaskBase.known): applicability stays derived, never a switch on task ids.
   * `history: true`: its `pool` or `filter` hook reads `ctx.history` (every batch so far), which
   * the harness then keeps for the whole cell. `modelFamily`: the parametric families of the
   * task's model its hooks know how to work with (TaskBase.modelFamily); the method applies
   * only where the task's model is one of them.
   */
  needs?: { fitOptions?: readonly string[]; known?: readonly string[]; history?: boolean; modelFamily?: readonly ModelFamily[] };
  /**
   * Fixed training options for trained (epoch-axis) tasks, read once per cell beside the
   * `loss` hook (e.g. `{ checkpoint: 'best' }`). Not a hook: it never changes applicability,
   * and generational tasks ignore it.
   */
  training?: (params: P) => TrainingOptions;
  /**
   * Optional finer applicability check, benchopt-style: return a reason to skip this task
   * (e.g. "estimate hook only knows gaussian-chain"), or undefined to run. `taskParams` are
   * the cell's resolved task parameters (absent when asked about the task in general, e.g.
   * for the applicability matrix), so a method can skip one variant of a task.
   */
  skip?: (task: AnyTask, taskParams?: Record<string, unknown>) => string | undefined;
}

/** Some method or baseline, of whatever parameter and state types (see AnyTask). */
// biome-ignore lint/suspicious/noExplicitAny: as for AnyTask
export type AnyMethod = MethodDefinition<any>;

/** Identity helpers that keep each definition's parameter type. */
export function defineTask<P extends Record<string, unknown>>(task: GenerationalTask<P>): GenerationalTask<P>;
export function defineTask<P extends Record<string, unknown>>(task: TrainedTask<P>): TrainedTask<P>;
export function defineTask<P extends Record<string, unknown>>(task: TaskDefinition<P>): TaskDefinition<P> {
  return task;
}
export function defineMethod<P extends Record<string, unknown>, S = undefined>(method: MethodDefinition<P, S>): MethodDefinition<P, S> {
  return method;
}
