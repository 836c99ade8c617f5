/**
 * The contraction filter's success criterion (Han et al. 2025): the tail probability
 * P(‖e_t‖ > δ) of the error relative to the truth stays bounded over generations at a constant
 * sample size, where `replace` lets it grow like a random walk's.
 *
 * ‖e_t‖ here is the square root of the task's primary metric, a squared distance to the truth
 * per replicate (gaussian-chain: w2 = W₂²; recursive-lm: l2_err = mean over contexts of
 * ‖p̂ − p*‖²), so the criterion needs no task internals. Records keep only per-step means, so
 * this runs the cell's loop in this process with the task's `evaluate` wrapped to keep the
 * per-replicate values (no random numbers are drawn: the numbers are the cell's).
 *
 * As a script: `npx tsx methods/contraction-filter/exceedance.ts [task] [key=value …]` prints
 * the curves of replace, accumulate, real-only and contraction-filter at the quick profile
 * (3 seeds; COLLAPSE_BENCH_BACKEND picks the TF.js backend).
 */
import { pathToFileURL } from 'node:url';
import type { GenerationalSimulation, GenerationalTask, MethodDefinition } from '../../harness/types.ts';
import type { CellKey } from '../../harness/schema.ts';
import { runGenerational, type CellOutput } from '../../harness/loop.ts';

export interface ExceedanceCurves {
  steps: number[];
  deltas: number[];
  /** fraction[i][t]: share of replicates with ‖e_t‖ > deltas[i]. */
  fraction: number[][];
  /** The cell's usual output (as in its record). */
  output: CellOutput;
}

/** P(‖e_t‖ > δ) per step for one cell, for each δ in `deltas`; ‖e_t‖ = √(primary metric). */
export function exceedance(task: GenerationalTask<any>, method: MethodDefinition<any>, key: CellKey, deltas: number[]): ExceedanceCurves {
  const metric = task.metrics.find((m) => m.primary)!.name;
  const values: Float64Array[] = [];
  const recording: GenerationalTask<any> = {
    ...task,
    simulation(params, rng) {
      const sim: GenerationalSimulation<unknown, unknown> = task.simulation(params, rng);
      return {
        ...sim,
        evaluate(model) {
          const out = sim.evaluate(model);
          values.push(Float64Array.from(out[metric]));
          return out;
        },
      };
    },
  };
  const output = runGenerational(recording, method, key);
  const fraction = deltas.map((delta) => values.map((v) => v.reduce((s, x) => s + (Math.sqrt(x) > delta ? 1 : 0), 0) / v.length));
  return { steps: output.steps, deltas, fraction, output };
}

// ---------------------------------------------------------------------------------------
// Script: curves at the quick profile, averaged over seeds.

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { loadRegistry } = await import('../../harness/registry.ts');
  const { pickBackend } = await import('../../harness/backend.ts');
  const registry = await loadRegistry();
  const backend = await pickBackend({ backend: process.env.COLLAPSE_BENCH_BACKEND });
  const [id = 'gaussian-chain', ...sets] = process.argv.slice(2);
  const task = registry.tasks.find((t) => t.definition.id === id)!.definition as GenerationalTask<any>;
  const overrides = Object.fromEntries(sets.map((s) => s.split('=')).map(([k, v]) => [k, Number.isNaN(Number(v)) ? v : Number(v)]));
  const taskParams = task.params.parse({ ...task.profiles.quick, ...overrides });
  const deltas = id === 'gaussian-chain' ? [0.5, 1] : [0.3, 0.5];
  const seeds = 3;
  console.log(`${id} quick ${JSON.stringify(overrides)}, ${seeds} seeds, backend ${backend.name}: P(‖e_t‖ > δ), ‖e_t‖ = √${task.metrics.find((m) => m.primary)!.name}`);
  for (const methodId of ['replace', 'accumulate', 'real-only', 'contraction-filter']) {
    const method = registry.methods.find((m) => m.definition.id === methodId)!.definition;
    const methodParams = method.params.parse({});
    const mean = deltas.map(() => new Float64Array(taskParams.generations + 1));
    for (let seed = 0; seed < seeds; seed++) {
      const curves = exceedance(task, method, { task: task.id, taskParams, method: methodId, methodParams, seed }, deltas);
      curves.fraction.forEach((f, i) => f.forEach((v, t) => (mean[i][t] += v / seeds)));
    }
    deltas.forEach((delta, i) => console.log(`${methodId.padEnd(20)} δ=${delta}: ${Array.from(mean[i], (v) => v.toFixed(3)).join(' ')}`));
  }
}
