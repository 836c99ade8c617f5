/**
 * The generational loop: generation 0 is fit on real data; generation t ≥ 1 is fit on the pool the
 * method's `pool` (or `filter`) hook builds from the model of generation t−1 (and, where the
 * method asks, fresh real data). All replicates advance together (vectorized chains).
 */
import type {
  Batch,
  CellState,
  EstimateContext,
  Features,
  FilterContext,
  FitContext,
  FitOptions,
  Pool,
  PoolContext,
  PoolPart,
  AnyTask,
  AnyMethod,
} from './types.ts';
import type { CellKey, MetricSeries, Snapshot } from './schema.ts';
import { HEX_DIGEST, rngFromKey } from './rng.ts';
import { summarize } from './stats.ts';
import { densePool, drawMaskInto, poolWeightSums, subsetPicks } from './pool.ts';
import { CellError, type CellOutput } from './outcome.ts';

/** The pool of the no-mitigation regime: n_t fresh samples of the previous model only. */
export function replacePool<D>(ctx: PoolContext<D>): Pool<D> {
  return { parts: [{ batch: ctx.synthetic(ctx.size) }] };
}

export function runGenerational(task: AnyTask, method: AnyMethod, key: CellKey): CellOutput {
  // Independent streams per role, all derived from the cell key: adding a draw in one role
  // never shifts another's numbers. Setup, real data and sampling streams leave the method out
  // of the key (common random numbers): every method of a setting and seed starts from the
  // same generation-0 data and fit, so differences between methods are paired, not noise.
  if (task.stepAxis !== 'generation')
    throw new CellError(`task ${task.id} is not generational (step axis ${task.stepAxis}): run it with runCell`);
  const shared = { task: key.task, taskParams: key.taskParams, seed: key.seed };
  const sim = task.simulation(key.taskParams, rngFromKey(shared, 'setup'));
  const realRng = rngFromKey(shared, 'real');
  const sampleRng = rngFromKey(shared, 'sample');
  const methodRng = rngFromKey(key, 'method');
  const { pool: poolHook = replacePool, filter: filterHook, fit: fitHook, estimate: estimateHook } = method.hooks;
  if (method.hooks.pool && filterHook)
    throw new CellError(`method ${method.id} implements both pool and filter; a filter builds the pool itself`);
  if (filterHook && !sim.features) throw new CellError(`task ${task.id} exposes filter but its simulation has no features()`);
  const params = key.methodParams;
  // Features are a pure function of (batch, generation-0 model): computed once per batch.
  const features = new WeakMap<Batch<unknown>, Features>();

  const known = task.known ? Object.freeze(task.known.values(key.taskParams)) : {};
  const sampleSizes: number[] = [];
  const steps: number[] = [];
  const perMetric = new Map<string, Float64Array[]>();
  // Fresh real samples (drawn at t ≥ 1) that entered some pool with positive weight, per
  // replicate: a method may draw real candidates and keep only some of them.
  const used = new Map<Batch<unknown>, Uint8Array>();

  // Pictures of replicate 0 (real data, first, middle and last generation) on their own stream.
  const snapshotRng = rngFromKey(shared, 'snapshot'); // shared: every entry's pictures use the same draws
  const snapshotSteps = new Set([0, Math.floor(sim.generations / 2), sim.generations]);
  const snapshots: Snapshot[] = sim.snapshot ? [{ ...sim.snapshot(undefined, snapshotRng.fork('real')), step: null }] : [];

  const first = sim.real(sim.sampleSize(0), realRng, 0);
  // Every batch drawn, kept only for methods that read it: the others' memory stays what their pools hold.
  const keepHistory = method.needs?.history === true;
  const history: Batch<unknown>[] = [first];
  let pool: Pool<unknown> = { parts: [{ batch: first }] };
  // Parts already checked, and parts whose real samples are already counted: a pool that keeps
  // earlier rounds costs only its new parts.
  const checkedParts = new WeakSet<object>();
  // What ctx.history is for a method that did not declare it: any read fails the cell, saying why.
  const refusedHistory = new Proxy([] as Batch<unknown>[], {
    get: () => {
      throw new CellError(
        `method ${method.id} read ctx.history without declaring needs: { history: true } (the harness keeps every batch only for methods that declare it)`,
      );
    },
  });
  const countedParts = new WeakSet<object>();
  // Draws realized for a task that reads dense weights, one array per part for the whole cell (its per-part caches then hold).
  const realizedDraws = new WeakMap<PoolPart<unknown>, PoolPart<unknown>>();
  let model: unknown;
  let anchor: unknown;
  // What the method's prepare step builds once, after generation 0's fit (ctx.state in every hook).
  let state: unknown;
  const modelFamily = typeof task.modelFamily === 'function' ? task.modelFamily(key.taskParams) : task.modelFamily;

  for (let t = 0; t <= sim.generations; t++) {
    const size = sim.sampleSize(t);
    if (t > 0) {
      const previousModel = model;
      const ctx: PoolContext<unknown> & CellState<unknown> = {
        t,
        size,
        replicates: sim.replicates,
        previous: pool,
        initial: first,
        history: keepHistory ? history : refusedHistory,
        rng: methodRng,
        state,
        synthetic: (n) => remember(sim.sample(previousModel, checkCount(n, 'synthetic'), sampleRng, t - 1)),
        real: (n) => {
          const batch = remember(sim.real(checkCount(n, 'real'), realRng, t));
          used.set(batch, new Uint8Array(sim.replicates * n));
          return batch;
        },
      };
      if (filterHook) {
        const filterCtx: FilterContext<unknown> & CellState<unknown> = {
          ...ctx,
          features: (batch) => {
            let f = features.get(batch);
            if (!f) features.set(batch, (f = sim.features!(batch, anchor)));
            return f;
          },
        };
        pool = filterHook(filterCtx, params);
      } else {
        pool = poolHook(ctx, params);
      }
      checkPool(pool, sim.replicates, t, checkedParts);
      markUsed(pool, used, sim.replicates, countedParts);
    }
    sampleSizes.push(size);
    const fitCtx: FitContext & CellState<unknown> = {
      t,
      size,
      sampleSizes: sampleSizes.slice(),
      replicates: sim.replicates,
      task: task.id,
      taskParams: key.taskParams,
      known,
      rng: methodRng,
      state,
    };
    const options = fitHook ? checkFitOptions(task, method.id, fitHook(fitCtx, params), t) : {};
    model = sim.fit(sim.compactPools ? pool : densePool(pool, sim.replicates, realizedDraws), options);
    if (t === 0) {
      anchor = model;
      if (method.prepare) {
        const allSizes = Array.from({ length: sim.generations + 1 }, (_, g) => sim.sampleSize(g));
        state = method.prepare(
          {
            task: task.id,
            taskParams: key.taskParams,
            known,
            modelFamily,
            anchor,
            poolSize: poolWeightSums(pool, sim.replicates),
            sampleSizes: allSizes,
            replicates: sim.replicates,
            rng: methodRng,
          },
          params,
        );
      }
    }
    if (estimateHook) {
      const estimateCtx: EstimateContext & CellState<unknown> = {
        t,
        task: task.id,
        taskParams: key.taskParams,
        anchor,
        poolSize: poolWeightSums(pool, sim.replicates),
        rng: methodRng,
        state,
      };
      model = estimateHook(model, estimateCtx, params);
    }
    steps.push(t);
    if (sim.snapshot && snapshotSteps.has(t)) snapshots.push({ ...sim.snapshot(model, snapshotRng.fork(`step-${t}`)), step: t });
    for (const [name, values] of Object.entries(sim.evaluate(model))) {
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new CellError(`metric ${name} is ${values[bad]} at ${task.stepAxis} ${t} (replicate ${bad})`);
      if (!perMetric.has(name)) perMetric.set(name, []);
      perMetric.get(name)!.push(values);
    }
  }

  const metrics: Record<string, MetricSeries> = {};
  for (const [name, series] of perMetric) metrics[name] = summarize(series);
  let realSamples = 0;
  for (const mask of used.values()) for (let i = 0; i < mask.length; i++) realSamples += mask[i];
  return { steps, metrics, realSamplesPerChain: realSamples / sim.replicates, ...(snapshots.length && { snapshots }) };

  function remember<D>(batch: Batch<D>): Batch<D> {
    if (keepHistory) history.push(batch as Batch<unknown>);
    return batch;
  }
  function checkCount(n: number, what: string): number {
    if (!Number.isInteger(n) || n < 1) throw new CellError(`pool hook asked for ${n} ${what} samples; expected a positive integer`);
    return n;
  }
}

/** The fit hook's options, checked against the task's declared fit options (strictly). */
function checkFitOptions(task: AnyTask, method: string, options: FitOptions, t: number): FitOptions {
  if (!task.fitOptions) throw new CellError(`task ${task.id} exposes fit but declares no fitOptions`);
  const parsed = task.fitOptions.strict().safeParse(options);
  if (parsed.success) return options;
  const issue = parsed.error.issues[0];
  const where = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
  throw new CellError(
    `fit hook of ${method} at generation ${t}: invalid fit option ${where} for task ${task.id} (declares ${Object.keys(task.fitOptions.shape).join(', ')}): ${issue.message}`,
  );
}

/**
 * Marks the fresh real samples (drawn at t ≥ 1) that enter the pool with positive weight. A part
 * seen in an earlier pool (the same object) was counted then; a subset is realized afresh.
 */
function markUsed(pool: Pool<unknown>, used: Map<Batch<unknown>, Uint8Array>, replicates: number, seen: WeakSet<object>): void {
  if (!pool.parts.some((part) => used.has(part.batch))) return;
  if (pool.subset) {
    subsetPicks(pool, replicates, (r, part, index, count) => {
      for (let i = 0; i < count; i++) {
        const { batch } = pool.parts[part[i]];
        const mask = used.get(batch);
        if (mask) mask[r * batch.size + index[i]] = 1;
      }
    });
    return;
  }
  for (const part of pool.parts) {
    const mask = used.get(part.batch);
    if (!mask || seen.has(part)) continue;
    const { weights, draw } = part;
    // A draw streams its uniforms into the mask instead of realizing a weight per slot.
    if (draw) drawMaskInto(draw, mask);
    else if (!weights) mask.fill(1);
    else for (let i = 0; i < mask.length; i++) if (weights[i] > 0) mask[i] = 1;
    seen.add(part);
  }
}

/** Checks the parts not seen in an earlier pool (and remembers them), and the pool's subset. */
function checkPool(pool: Pool<unknown>, replicates: number, t: number, seen: WeakSet<object>): void {
  if (!pool || !Array.isArray(pool.parts) || pool.parts.length === 0) {
    throw new CellError(`pool hook returned an empty pool at generation ${t}`);
  }
  for (const [i, part] of pool.parts.entries()) {
    if (seen.has(part)) continue;
    const { weights, batch, draw } = part;
    if (weights !== undefined && draw !== undefined)
      throw new CellError(`pool part ${i} at generation ${t} has both weights and a draw; give one`);
    if (draw !== undefined) {
      const ok =
        draw.kind === 'bernoulli' &&
        typeof draw.seed === 'string' &&
        HEX_DIGEST.test(draw.seed) &&
        draw.p >= 0 &&
        draw.p <= 1 &&
        (draw.side === 'first' || draw.side === 'second') &&
        draw.weight >= 0 &&
        Number.isFinite(draw.weight);
      if (!ok)
        throw new CellError(
          `pool part ${i} at generation ${t} has an invalid draw (harness/types.ts BernoulliDraw: kind 'bernoulli', a 64-hex seed, p in [0, 1], side first or second, a finite weight ≥ 0)`,
        );
    }
    if (weights !== undefined) {
      if (weights.length !== replicates * batch.size) {
        throw new CellError(
          `pool part ${i} at generation ${t} has ${weights.length} weights; expected replicates × size = ${replicates * batch.size}`,
        );
      }
      for (let j = 0; j < weights.length; j++) {
        if (!(weights[j] >= 0) || !Number.isFinite(weights[j])) {
          throw new CellError(`pool part ${i} at generation ${t} has weight ${weights[j]}; weights must be finite and ≥ 0`);
        }
      }
    }
    seen.add(part);
  }
  const subset = pool.subset;
  if (subset !== undefined) {
    const total = pool.parts.reduce((s, p) => s + p.batch.size, 0);
    if (pool.parts.some((p) => p.weights !== undefined || p.draw !== undefined))
      throw new CellError(
        `the pool at generation ${t} has a subset over weighted parts; a subset needs plain parts (harness/pool.ts subsample weighs such pools itself)`,
      );
    if (
      !Number.isInteger(subset.size) ||
      subset.size < 1 ||
      subset.size > total ||
      typeof subset.seed !== 'string' ||
      !HEX_DIGEST.test(subset.seed)
    ) {
      throw new CellError(
        `the pool at generation ${t} has an invalid subset (size must be an integer in [1, ${total}], seed 64 hex digits)`,
      );
    }
  }
}
