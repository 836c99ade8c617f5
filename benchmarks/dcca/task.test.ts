/**
 * dcca at the quick profile: plain DCCA's downstream R² falls from its peak while NR-DCCA's
 * stays near its own (He et al. 2024's qualitative finding); same seed and backend give the
 * same numbers; the early-stopping oracle is the running maximum of DCCA's curve; and the
 * baselines apply exactly where their hooks are exposed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import task from './task.ts';
import dcca from '../../baselines/dcca/method.ts';
import earlyStopping from '../../baselines/early-stopping/method.ts';
import nr from '../../methods/noise-regularization/method.ts';
import { loadBackend } from '../../harness/backend.ts';
import { runCell, type CellOutput } from '../../harness/loop.ts';
import { inapplicableReason, loadRegistry } from '../../harness/registry.ts';
import type { MethodDefinition } from '../../harness/types.ts';

beforeAll(async () => {
  await loadBackend('wasm');
});

const quick = task.params.parse(task.profiles.quick);
const run = (method: MethodDefinition<any>, seed = 0): CellOutput =>
  runCell(task, method, { task: task.id, taskParams: quick, method: method.id, methodParams: method.params.parse({}), seed });
const r2 = (out: CellOutput) => out.metrics.downstream_r2.mean;
const dropFromPeak = (curve: number[]) => Math.max(...curve) - curve[curve.length - 1];

let plain: CellOutput;

describe('dcca quick profile (seed 0, wasm backend)', () => {
  it('plain DCCA: downstream R² falls from its peak by more than 0.03 as training goes on', () => {
    plain = run(dcca);
    expect(plain.steps).toEqual(Array.from({ length: quick.epochs / quick.eval_every + 1 }, (_, i) => i * quick.eval_every));
    // Measured: peak 0.487 (epoch 10), final 0.448: a drop of 0.039; train_corr rises to ≈ out_dim.
    expect(dropFromPeak(r2(plain))).toBeGreaterThan(0.03);
    expect(plain.metrics.train_corr.mean.at(-1)!).toBeGreaterThan(0.9 * quick.out_dim);
  });

  it('NR-DCCA: downstream R² stays within 0.02 of its peak, above plain DCCA at the end', () => {
    const out = run(nr);
    // Measured: peak 0.571, final 0.558: a drop of 0.013.
    expect(dropFromPeak(r2(out))).toBeLessThan(0.02);
    expect(r2(out).at(-1)!).toBeGreaterThan(r2(plain).at(-1)! + 0.05);
  });

  it('same seed, same backend: identical numbers', () => {
    expect(run(dcca)).toEqual(plain);
  });

  it('the early-stopping oracle holds the best evaluation so far of the same DCCA run', () => {
    const oracle = r2(run(earlyStopping));
    let best = -Infinity;
    expect(oracle).toEqual(r2(plain).map((v) => (best = Math.max(best, v))));
  });
});

describe('applicability', () => {
  it('dcca baselines and NR apply only to dcca; generational baselines never to dcca', async () => {
    const registry = await loadRegistry();
    const ids = ['dcca', 'linear-cca', 'dcca-weight-decay', 'early-stopping', 'noise-regularization'];
    for (const { definition: t } of registry.tasks) {
      for (const { definition: m } of registry.methods) {
        const reason = inapplicableReason(t, m);
        if (ids.includes(m.id)) expect(reason === undefined, `${m.id} on ${t.id}`).toBe(t.id === 'dcca');
        else if (t.id === 'dcca') expect(reason, `${m.id} on dcca`).toMatch(/^task dcca does not expose hook/);
      }
    }
  });
});
