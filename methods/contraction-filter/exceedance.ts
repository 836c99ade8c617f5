/**
 * Han et al.'s claim, measured: the tail probability P(‖e_t‖ > δ) over generations at a
 * constant sample size. The paper (abstract, arXiv:2512.00757) states that under the learned
 * contraction condition limsup_{t→∞} P(‖e_t‖ > δ) = 0 for every δ > 0 even at constant sample
 * size, where `replace` lets it grow like a random walk's.
 *
 * Two errors per replicate, both from the cell's own numbers (no random numbers are drawn here):
 * - to the truth: ‖e_t‖ = √(primary metric), a squared distance to the truth (gaussian-chain:
 *   w2 = W₂²; recursive-lm: l2_err = mean over contexts of ‖p̂ − p*‖²). This is the paper's e_t.
 * - to the anchor (gaussian-chain only): the Fisher-coordinate error of the fit relative to the
 *   generation-0 fit, the e the filter contracts (gaussian.ts; ‖e‖² ≈ 2·KL). It separates the
 *   drift the filter controls from the anchor's own estimation error, which no filter towards the
 *   anchor can remove.
 * Records keep only per-step means, so this runs the cell's loop in this process with the task's
 * `evaluate` wrapped to keep per-replicate values.
 *
 * As a script (see README "Reproduction"):
 *   npx tsx methods/contraction-filter/exceedance.ts [task] [--set k=v]… [--seeds N]
 *       [--deltas a,b] [--at t1,t2] [--method id]…
 * prints, per method, δ and generation, the share of chains with ‖e_t‖ > δ pooled over seeds
 * (seeds × replicates independent chains) with a 95% Wilson interval, for both errors.
 * Defaults: gaussian-chain quick profile, 3 seeds, δ = 0.5, 1, methods replace, accumulate,
 * real-only, contraction-filter (COLLAPSE_BENCH_BACKEND picks the TF.js backend).
 */
import { pathToFileURL } from 'node:url';
import type { GenerationalSimulation, AnyMethod, AnyGenerationalTask } from '../../harness/types.ts';
import type { CellKey } from '../../harness/schema.ts';
import { runGenerational } from '../../harness/generations.ts';
import type { CellOutput } from '../../harness/outcome.ts';
import { choleskyFactors, errorDim, toErrors, type GaussianModel } from './gaussian.ts';

export interface ExceedanceCurves {
  steps: number[];
  deltas: number[];
  /** fraction[i][t]: share of replicates with ‖e_t‖ > deltas[i], e_t the error to the truth. */
  fraction: number[][];
  /** gaussian-chain only: the same for the Fisher-coordinate error relative to the anchor (generation-0 fit). */
  anchorFraction?: number[][];
  /** Replicates per step (the denominator of every fraction). */
  replicates: number;
  /** The cell's usual output (as in its record). */
  output: CellOutput;
}

/** P(‖e_t‖ > δ) per step for one cell, for each δ in `deltas`; ‖e_t‖ = √(primary metric). */
export function exceedance(task: AnyGenerationalTask, method: AnyMethod, key: CellKey, deltas: number[]): ExceedanceCurves {
  const metric = task.metrics.find((m) => m.primary)!.name;
  const values: Float64Array[] = [];
  const anchorNorms: Float64Array[] = [];
  const gaussian = task.modelFamily === 'gaussian';
  let anchor: { model: GaussianModel; factors: Float64Array; R: number; d: number } | undefined;
  const recording: AnyGenerationalTask = {
    ...task,
    simulation(params, rng) {
      const sim: GenerationalSimulation<unknown, unknown> = task.simulation(params, rng);
      return {
        ...sim,
        evaluate(model) {
          const out = sim.evaluate(model);
          values.push(Float64Array.from(out[metric]));
          if (gaussian) {
            const m = model as GaussianModel;
            const d = params.dim as number;
            const R = m.mean.length / d;
            // The first evaluated model is generation 0's fit: the anchor every method starts from.
            anchor ??= { model: { mean: m.mean.slice(), cov: m.cov.slice() }, factors: choleskyFactors(m.cov, R, d, 'anchor'), R, d };
            const e = toErrors(m, anchor.model, anchor.factors, R, d);
            const p = errorDim(d);
            anchorNorms.push(Float64Array.from({ length: R }, (_, r) => Math.hypot(...e.subarray(r * p, (r + 1) * p))));
          }
          return out;
        },
      };
    },
  };
  const output = runGenerational(recording, method, key);
  const share = (v: Float64Array, delta: number) => v.reduce((s, x) => s + (x > delta ? 1 : 0), 0) / v.length;
  const fraction = deltas.map((delta) => values.map((v) => share(v.map(Math.sqrt), delta)));
  const anchorFraction = gaussian ? deltas.map((delta) => anchorNorms.map((v) => share(v, delta))) : undefined;
  return { steps: output.steps, deltas, fraction, anchorFraction, replicates: values[0].length, output };
}

/** 95% Wilson interval of a binomial share p observed on n trials. */
export function wilson(p: number, n: number, z = 1.959964): [number, number] {
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

// ---------------------------------------------------------------------------------------
// Script: pooled shares over seeds, with intervals.

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { loadRegistry } = await import('../../harness/registry.ts');
  const { pickBackend } = await import('../../harness/backend.ts');
  const args = process.argv.slice(2);
  const flag = (name: string) => args.flatMap((a, i) => (a === name ? [args[i + 1]] : []));
  const id = args[0] && !args[0].startsWith('--') ? args[0] : 'gaussian-chain';
  const registry = await loadRegistry();
  const backend = await pickBackend({ backend: process.env.COLLAPSE_BENCH_BACKEND });
  const task = registry.tasks.find((t) => t.definition.id === id)!.definition as AnyGenerationalTask;
  const overrides = Object.fromEntries(
    flag('--set')
      .map((s) => s.split('='))
      .map(([k, v]) => [k, v === 'true' ? true : v === 'false' ? false : Number.isNaN(Number(v)) ? v : Number(v)]),
  );
  const taskParams = task.params.parse({ ...task.profiles.quick, ...overrides });
  const deltas = (flag('--deltas')[0] ?? '0.5,1').split(',').map(Number);
  const seeds = Number(flag('--seeds')[0] ?? 3);
  const G = taskParams.generations as number;
  const at = (flag('--at')[0] ?? `0,1,${Math.round(G / 4)},${Math.round(G / 2)},${G}`).split(',').map(Number);
  const methods = flag('--method').length > 0 ? flag('--method') : ['replace', 'accumulate', 'real-only', 'contraction-filter'];
  console.log(`${id} ${JSON.stringify(overrides)} (quick profile otherwise), ${seeds} seeds, backend ${backend.name}`);
  console.log(`P(‖e_t‖ > δ) pooled over seeds × replicates, [95% Wilson interval]; generations ${at.join(', ')}`);
  for (const methodId of methods) {
    const method = registry.methods.find((m) => m.definition.id === methodId)!.definition;
    const methodParams = method.params.parse({});
    const sums = { truth: deltas.map(() => new Float64Array(G + 1)), anchor: deltas.map(() => new Float64Array(G + 1)) };
    let n = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const c = exceedance(task, method, { task: task.id, taskParams, method: methodId, methodParams, seed }, deltas);
      n += c.replicates;
      c.fraction.forEach((f, i) => {
        f.forEach((v, t) => {
          sums.truth[i][t] += v * c.replicates;
        });
      });
      c.anchorFraction?.forEach((f, i) => {
        f.forEach((v, t) => {
          sums.anchor[i][t] += v * c.replicates;
        });
      });
    }
    for (const kind of task.modelFamily === 'gaussian' ? (['truth', 'anchor'] as const) : (['truth'] as const)) {
      deltas.forEach((delta, i) => {
        const cells = at.map((t) => {
          const p = sums[kind][i][t] / n;
          const [lo, hi] = wilson(p, n);
          return `${p.toFixed(3)} [${lo.toFixed(3)}, ${hi.toFixed(3)}]`;
        });
        console.log(`${methodId.padEnd(19)} to ${kind.padEnd(6)} δ=${delta}: ${cells.join('  ')}`);
      });
    }
  }
}
