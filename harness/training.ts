/**
 * The training loop of trained (epoch-axis) tasks: the task runs its own training protocol and
 * asks the method's hooks (`loss`, `credit`) at each step; the harness checks and summarizes.
 */
import type { CreditContext, LossContext, TrainingContext, AnyMethod, AnyTrainedTask } from './types.ts';
import type { CellKey, MetricSeries } from './schema.ts';
import { rngFromKey } from './rng.ts';
import { summarize } from './stats.ts';
import { CellError, type CellOutput } from './outcome.ts';

/**
 * A trained (epoch-axis) task's cell: the task trains for its epochs and asks the method's
 * `loss` hook for the objective at each step; the harness checks and summarizes the metrics.
 * Streams are derived from the cell key per role, as in the generational loop.
 */
export function runTraining(task: AnyTrainedTask, method: AnyMethod, key: CellKey): CellOutput {
  const params = key.methodParams;
  const { loss: lossHook, credit: creditHook } = method.hooks;
  const ctx: TrainingContext = {
    rng: (role) => rngFromKey(key, role),
    sharedRng: (role) => rngFromKey({ task: key.task, taskParams: key.taskParams, seed: key.seed }, role),
    ...(lossHook && { loss: (c: LossContext) => lossHook(c, params) }),
    ...(creditHook && { credit: (c: CreditContext) => creditHook(c, params) }),
    options: method.training ? method.training(params) : {},
    method: method.id,
  };
  const out = task.training(key.taskParams, ctx);
  const metrics: Record<string, MetricSeries> = {};
  for (const [name, series] of Object.entries(out.metrics)) {
    if (series.length !== out.steps.length)
      throw new CellError(`metric ${name} has ${series.length} values for ${out.steps.length} ${task.stepAxis}s`);
    series.forEach((values, i) => {
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new CellError(`metric ${name} is ${values[bad]} at ${task.stepAxis} ${out.steps[i]} (replicate ${bad})`);
    });
    metrics[name] = summarize(series);
  }
  return { steps: out.steps, metrics, realSamplesPerChain: 0 };
}
