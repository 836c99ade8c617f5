/** The four retraining regimes on the Gaussian chain: pool sizes, budgets and known orderings. */
import { describe, expect, it } from 'vitest';
import task from '../benchmarks/gaussian-chain/task.ts';
import replace from './replace/method.ts';
import accumulate from './accumulate/method.ts';
import accumulateSubsample from './accumulate-subsample/method.ts';
import realOnly from './real-only/method.ts';
import { runGenerational } from '../harness/generations.ts';
import type { AnyMethod } from '../harness/types.ts';

const params = task.params.parse({ samples: 10, generations: 12, replicates: 4000 });
function run(method: AnyMethod, overrides: Record<string, unknown> = {}) {
  const taskParams = { ...params, ...overrides };
  return runGenerational(task, method, { task: task.id, taskParams, method: method.id, methodParams: {}, seed: 1 });
}
/** Records the training-pool size (sum of weights) of replicate 0 at each generation. */
function poolSizes(method: AnyMethod): number[] {
  const sizes: number[] = [];
  const probe = {
    ...method,
    hooks: {
      ...method.hooks,
      estimate: (model: unknown, ctx: { poolSize: Float64Array }) => {
        sizes.push(ctx.poolSize[0]);
        return model;
      },
    },
  };
  run(probe);
  return sizes;
}

describe('pool sizes per generation', () => {
  it('replace, accumulate-subsample and real-only train on n_t samples; accumulate on (t+1)·n', () => {
    const constant = Array(13).fill(10);
    expect(poolSizes(replace)).toEqual(constant);
    expect(poolSizes(accumulateSubsample)).toEqual(constant);
    expect(poolSizes(realOnly)).toEqual(constant);
    expect(poolSizes(accumulate)).toEqual(constant.map((n, t) => n * (t + 1)));
  });
});

describe('real-data budget', () => {
  it('is zero without fresh data and Σ_{t≥1} n_t for real-only', () => {
    expect(run(replace).realSamplesPerChain).toBe(0);
    expect(run(accumulate).realSamplesPerChain).toBe(0);
    expect(run(realOnly).realSamplesPerChain).toBe(12 * 10);
    const growth = run(realOnly, { samples_growth: 1 });
    expect(growth.realSamplesPerChain).toBe(Array.from({ length: 12 }, (_, t) => 10 * (t + 2)).reduce((a, b) => a + b));
  });
});

describe('known behaviour', () => {
  const last = 12;
  const w2 = Object.fromEntries([replace, accumulate, accumulateSubsample, realOnly].map((m) => [m.id, run(m).metrics.w2]));

  it('real-only stays at its generation-0 error (fresh data each time)', () => {
    const { mean, se } = w2['real-only'];
    expect(Math.abs(mean[last] - mean[0])).toBeLessThan(3 * Math.hypot(se[last], se[0]));
  });

  it('orders final W₂² as real-only < accumulate < accumulate-subsample < replace, each by > 5 SE', () => {
    const order = ['real-only', 'accumulate', 'accumulate-subsample', 'replace'];
    for (let i = 1; i < order.length; i++) {
      const a = w2[order[i - 1]];
      const b = w2[order[i]];
      expect((b.mean[last] - a.mean[last]) / Math.hypot(a.se[last], b.se[last])).toBeGreaterThan(5);
    }
  });

  it('accumulate keeps ‖μ_t − μ‖² bounded (Gerstgrasser et al. 2024) while replace grows as (t+1)σ²/M', () => {
    // Known variance: μ_t = μ_{t−1} + ε_t/(t+1) with Var ε_t = σ²/M, so
    // E‖μ_t − μ‖² = (σ²/M)·Σ_{k=1}^{t+1} 1/k² < π²σ²/(6M), exactly.
    const acc = run(accumulate, { known_variance: true }).metrics.mean_sq_err;
    const expected = Array.from({ length: last + 1 }, (_, k) => 1 / (k + 1) ** 2).reduce((a, b) => a + b) / 10;
    expect(expected).toBeLessThan(Math.PI ** 2 / 6 / 10);
    expect(Math.abs(acc.mean[last] - expected) / acc.se[last]).toBeLessThan(3);
    const rep = run(replace).metrics.mean_sq_err;
    expect(Math.abs(rep.mean[last] - 13 / 10) / rep.se[last]).toBeLessThan(3);
  });
});
