/**
 * diffusion-align: group-normalized advantages; the protocol's timesteps (diffusers' leading
 * spacing) and the spread of its native weights; the log-ratio plumbing (exactly 0 at the first
 * update, when the policy still equals the sampling one; nonzero after a step; every trajectory
 * in exactly one minibatch per inner epoch); evaluation with the entry's own σ on draws common
 * to all entries; the pretrained oracle never moves; invalid credit answers fail with the field
 * named; determinism; the paired summary of matched.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type * as TF from '@tensorflow/tfjs';
import task, { groupAdvantages, leadingDdimSchedule, type PolicyObjectiveContext } from './task.ts';
import grpo from '../../baselines/grpo/method.ts';
import pretrained from '../../baselines/pretrained/method.ts';
import { loadBackend } from '../../harness/backend.ts';
import { runCell } from '../../harness/cell.ts';
import type { CellOutput } from '../../harness/outcome.ts';
import { defineMethod, type CreditContext, type AnyMethod } from '../../harness/types.ts';
import { ddimCoefficient, ddimSigma, linearSchedule } from '../diffusion/ddpm.ts';
import { rngFromKey } from '../../harness/rng.ts';

beforeAll(async () => {
  await loadBackend('wasm');
});

/** Seconds per cell: a small model, few epochs and rollouts. */
const tiny = task.params.parse({
  real: 300,
  pretrain_steps: 200,
  hidden: 32,
  epochs: 3,
  groups: 4,
  group_size: 4,
  eval_every: 1,
  eval_samples: 200,
});
const run = (method: AnyMethod, seed = 0, methodParams = {}): CellOutput =>
  runCell(task, method, { task: task.id, taskParams: tiny, method: method.id, methodParams: method.params.parse(methodParams), seed });

/** A credit hook that records the log-ratios it is given (and their shapes) and otherwise acts like grpo. */
function probe(record: number[][], sigma?: (ctx: CreditContext) => Float64Array, shapes: number[][] = []) {
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
          shapes.push(logRatio.shape);
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

  it('uses diffusers’ leading DDIM timesteps, whose native weights spread over more than an order of magnitude', () => {
    const p = task.params.parse({});
    const ddim = leadingDdimSchedule(linearSchedule(p.diffusion_steps, p.beta_min, p.beta_max), p.sampler_steps);
    expect(ddim.steps).toEqual(Array.from({ length: 20 }, (_, k) => 951 - 50 * k));
    expect(ddim.alphaBarPrev[19]).toBe(1);
    const w = Array.from({ length: 19 }, (_, i) => ddimCoefficient(ddim, i, ddimSigma(ddim, i, 1)) / ddimSigma(ddim, i, 1));
    // The README's numbers: 0.80 … 17.6 (22×), the largest on the last stochastic step (51 → 1).
    expect(Math.min(...w)).toBeCloseTo(0.804, 3);
    expect(Math.max(...w)).toBeCloseTo(17.57, 2);
    expect(w.indexOf(Math.max(...w))).toBe(18);
    expect(Math.max(...w) / Math.min(...w)).toBeGreaterThan(20);
  });

  it('log ρ is exactly 0 at the first update of an epoch and moves after one Adam step; each inner epoch visits every trajectory once', () => {
    const record: number[][] = [];
    const shapes: number[][] = [];
    run(probe(record, undefined, shapes), 0);
    const P = tiny.sampler_steps - 1;
    const N = tiny.groups * tiny.group_size;
    const M = N / tiny.updates;
    expect(record[0].length).toBe(P * M);
    expect(Math.max(...record[0].map(Math.abs))).toBe(0);
    expect(Math.max(...record[1].map(Math.abs))).toBeGreaterThan(1e-6);
    // `updates` minibatches per epoch, P × M each: the epoch's N trajectories once.
    expect(shapes).toEqual(Array.from({ length: tiny.epochs * tiny.updates }, () => [P, M]));
  });

  it('DDPO’s clip range binds: after an epoch’s first minibatch most terms have |ρ − 1| > 1e-4 (the first one sees ρ = 1)', () => {
    const counts = { first: [0, 0], later: [0, 0] };
    const clipped = grpo.hooks.credit!;
    const recorder = {
      ...grpo,
      hooks: {
        credit: (ctx: CreditContext, params: { clip: number }) => {
          const inner = clipped(ctx, params);
          return {
            ...inner,
            objective: (c: unknown) => {
              const { logRatio, update } = c as PolicyObjectiveContext;
              const bucket = update % tiny.updates === 0 ? counts.first : counts.later;
              for (const l of logRatio.dataSync()) {
                bucket[0] += Math.abs(Math.exp(l) - 1) > params.clip ? 1 : 0;
                bucket[1]++;
              }
              return inner.objective(c);
            },
          };
        },
      },
    };
    run(recorder as typeof grpo);
    expect(counts.first[0]).toBe(0);
    expect(counts.later[0] / counts.later[1]).toBeGreaterThan(0.5);
  });

  it('evaluates each entry with the σ it trains through, on draws shared by every entry; the native sampler is the secondary view', () => {
    // σ/2 at every stochastic step, and no update: the weights stay the pretrained ones.
    const frozenHalf = probe([], (ctx) => Float64Array.from(ctx.nativeSigma, (s) => s / 2));
    const credit = frozenHalf.hooks.credit!;
    frozenHalf.hooks.credit = (ctx, params) => ({ ...credit(ctx, params), objective: () => undefined });
    const own = run(frozenHalf);
    const base = run(pretrained);
    // Same weights (neither moves): the native view is the pretrained model's, draw for draw…
    expect(own.metrics.reward_native.mean).toEqual(base.metrics.reward.mean);
    expect(own.metrics.recall_native.mean).toEqual(base.metrics.recall.mean);
    // …while the entry's own metrics come from its own sampler (σ/2): different numbers.
    expect(own.metrics.reward.mean[0]).not.toBe(base.metrics.reward.mean[0]);
    // An entry with native σ reports the same number twice.
    expect(base.metrics.reward_native.mean).toEqual(base.metrics.reward.mean);
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
    expect(() => run(probe([], (ctx) => Float64Array.from(ctx.maxSigma, (m) => 2 * m)))).toThrow(
      /credit hook of probe: sigma\[0\] = .* is outside \(0, /,
    );
    expect(() => run(probe([], (ctx) => Float64Array.from(ctx.nativeSigma, (s) => s || 0.1)))).toThrow(
      `credit hook of probe: sigma[${tiny.sampler_steps - 1}] = 0.1 must be 0 (the sampler's deterministic last step)`,
    );
  });
});

describe('matched-reward reading of the curves', () => {
  it('pairs seeds: mean difference and relative change with bootstrap intervals that cover them', async () => {
    const { pairedSummary } = await import('./matched.ts');
    const entry = [8, 9, 10, 11, 12];
    const reference = [10, 12, 12, 13, 13];
    const s = pairedSummary(entry, reference, rngFromKey('test', 'paired'), 2000);
    expect(s.difference).toBeCloseTo(-2, 12);
    expect(s.relative).toBeCloseTo(50 / 60 - 1, 12);
    expect(s.entryLower).toBe(5);
    // Differences are −2, −3, −2, −2, −1: every resample's mean lies in [−3, −1].
    expect(s.differenceInterval[0]).toBeGreaterThanOrEqual(-3);
    expect(s.differenceInterval[1]).toBeLessThanOrEqual(-1);
    expect(s.differenceInterval[0]).toBeLessThan(-2);
    expect(s.differenceInterval[1]).toBeGreaterThan(-2);
    expect(pairedSummary(entry, reference, rngFromKey('test', 'paired'), 2000)).toEqual(s);
    expect(() => pairedSummary([1], [1, 2], rngFromKey('test', 'paired'))).toThrow(/equal, nonempty/);
  });

  it('interpolates the first crossing of a target and the value there', async () => {
    const { firstCrossing, valueAt } = await import('./matched.ts');
    expect(firstCrossing([0, 3, 6, 9], [-3, -2, -1, -1.2], -1.5)).toBeCloseTo(4.5, 12);
    expect(firstCrossing([0, 3], [-3, -2], -1.5)).toBeUndefined();
    expect(firstCrossing([0, 3], [-1, -2], -1.5)).toBe(0);
    expect(valueAt([0, 3, 6], [1, 0.4, 0.1], 4.5)).toBeCloseTo(0.25, 12);
  });
});
