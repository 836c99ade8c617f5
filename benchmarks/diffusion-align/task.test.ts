/**
 * diffusion-align: group-normalized advantages; the log-ratio plumbing (exactly 0 at the first
 * update, when the policy still equals the sampling one; nonzero after a step); the pretrained
 * oracle never moves; invalid credit answers fail with the field named; determinism.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type * as TF from '@tensorflow/tfjs';
import task, { groupAdvantages, type PolicyObjectiveContext } from './task.ts';
import grpo from '../../baselines/grpo/method.ts';
import pretrained from '../../baselines/pretrained/method.ts';
import { loadBackend } from '../../harness/backend.ts';
import { runCell, type CellOutput } from '../../harness/loop.ts';
import { defineMethod, type CreditContext, type MethodDefinition } from '../../harness/types.ts';

beforeAll(async () => {
  await loadBackend('wasm');
});

/** Seconds per cell: a small model, few epochs and rollouts. */
const tiny = task.params.parse({ real: 300, pretrain_steps: 200, hidden: 32, epochs: 3, groups: 4, group_size: 4, eval_every: 1, eval_samples: 200 });
const run = (method: MethodDefinition<any>, seed = 0, methodParams = {}): CellOutput =>
  runCell(task, method, { task: task.id, taskParams: tiny, method: method.id, methodParams: method.params.parse(methodParams), seed });

/** A credit hook that records the log-ratios it is given and otherwise acts like grpo. */
function probe(record: number[][], sigma?: (ctx: CreditContext) => Float64Array) {
  return defineMethod({
    id: 'probe',
    title: 'probe',
    kind: 'method',
    summary: '',
    papers: [],
    params: z.object({}),
    hooks: {
      credit: (ctx) => ({
        sigma: sigma ? sigma(ctx) : Float64Array.from(ctx.nativeSigma),
        objective: (c: unknown) => {
          const { tf, logRatio, advantages, update } = c as PolicyObjectiveContext;
          if (update <= 1) record[update] = Array.from(logRatio.dataSync());
          return tf.neg(tf.mean(tf.mul(tf.exp(logRatio), advantages))) as TF.Scalar;
        },
      }),
    },
  });
}

describe('diffusion-align', () => {
  it('normalizes advantages within each group (mean 0, sd 1)', () => {
    const a = groupAdvantages(Float64Array.of(1, 2, 3, 4, 10, 10, 10, 10), 4);
    expect(a[0] + a[1] + a[2] + a[3]).toBeCloseTo(0, 12);
    expect((a[0] ** 2 + a[1] ** 2 + a[2] ** 2 + a[3] ** 2) / 4).toBeCloseTo(1, 5);
    // A group with equal rewards carries no signal.
    expect(Array.from(a.subarray(4))).toEqual([0, 0, 0, 0]);
  });

  it('log ρ is exactly 0 at the first update of an epoch and moves after one Adam step', () => {
    const record: number[][] = [];
    run(probe(record), 0);
    const P = tiny.sampler_steps - 1;
    const N = tiny.groups * tiny.group_size;
    expect(record[0].length).toBe(P * N);
    expect(Math.max(...record[0].map(Math.abs))).toBe(0);
    expect(Math.max(...record[1].map(Math.abs))).toBeGreaterThan(1e-6);
  });

  it('an objective of undefined (the pretrained oracle) never moves the weights: log ρ stays 0', () => {
    const record: number[][] = [];
    const frozen = probe(record);
    const credit = frozen.hooks.credit!;
    frozen.hooks.credit = (ctx, params) => {
      const inner = credit(ctx, params);
      return { ...inner, objective: (c: unknown) => void inner.objective(c) };
    };
    run(frozen);
    expect(Math.max(...record[1].map(Math.abs))).toBe(0);
    const out = run(pretrained);
    expect(out.steps).toEqual([0, 1, 2, 3]);
    expect(Object.keys(out.metrics).sort()).toEqual(task.metrics.map((m) => m.name).sort());
    // Epoch 0 is the same pretrained model and evaluation for every method.
    expect(run(grpo).metrics.recall.mean[0]).toBe(out.metrics.recall.mean[0]);
  });

  it('grpo: same seed, same backend → identical numbers; another seed differs', () => {
    const a = run(grpo, 1);
    expect(run(grpo, 1)).toEqual(a);
    expect(run(grpo, 2).metrics.reward.mean).not.toEqual(a.metrics.reward.mean);
  });

  it('rejects a σ outside (0, √(1 − ᾱ_prev)] or nonzero on the deterministic last step, naming the step', () => {
    expect(() => run(probe([], (ctx) => Float64Array.from(ctx.maxSigma, (m) => 2 * m)))).toThrow(/credit hook of probe: sigma\[0\] = .* is outside \(0, /);
    expect(() => run(probe([], (ctx) => Float64Array.from(ctx.nativeSigma, (s) => s || 0.1)))).toThrow(`credit hook of probe: sigma[${tiny.sampler_steps - 1}] = 0.1 must be 0 (the sampler's deterministic last step)`);
  });
});

describe('matched-reward reading of the curves', () => {
  it('interpolates the first crossing of a target and the value there', async () => {
    const { firstCrossing, valueAt } = await import('./matched.ts');
    expect(firstCrossing([0, 3, 6, 9], [-3, -2, -1, -1.2], -1.5)).toBeCloseTo(4.5, 12);
    expect(firstCrossing([0, 3], [-3, -2], -1.5)).toBeUndefined();
    expect(firstCrossing([0, 3], [-1, -2], -1.5)).toBe(0);
    expect(valueAt([0, 3, 6], [1, 0.4, 0.1], 4.5)).toBeCloseTo(0.25, 12);
  });
});
