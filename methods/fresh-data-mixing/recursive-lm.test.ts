/**
 * fresh-data-mixing on recursive-lm (markov variant): with mode=fresh and split=random each
 * context's n_t tokens are i.i.d. draws from q_t = α_t·p* + (1−α_t)·p̂_{t−1}, the mixture the
 * task's closed form assumes:
 *   e_t = (1−α_t)²(1 − 1/n_t)·e_{t−1} + (1 − ‖p*‖²)/n_t,   e_t = E‖p̂_t − p*‖²,
 * with α_t and n_t those of generation t's pool (the task's `l2ErrorRecursion` indexing).
 */
import { describe, expect, it } from 'vitest';
import method, { realFraction, type FreshDataMixingParams } from './method.ts';
import task from '../../benchmarks/recursive-lm/task.ts';
import replace from '../../baselines/replace/method.ts';
import { l2ErrorRecursion, sqNorm, zipfPmf } from '../../benchmarks/recursive-lm/theory.ts';
import { runGenerational } from '../../harness/generations.ts';
import type { AnyMethod } from '../../harness/types.ts';

function run(taskOverrides: Record<string, unknown>, methodOverrides: Partial<FreshDataMixingParams>, m: AnyMethod = method) {
  const taskParams = task.params.parse(taskOverrides);
  const methodParams = m.id === method.id ? method.params.parse(methodOverrides) : {};
  return { taskParams, out: runGenerational(task, m, { task: task.id, taskParams, method: m.id, methodParams, seed: 1 }) };
}

function expectRecursion(taskOverrides: Record<string, unknown>, methodOverrides: Partial<FreshDataMixingParams>, steps: number[]) {
  const { taskParams: p, out } = run(taskOverrides, methodOverrides);
  const params = method.params.parse(methodOverrides);
  const gens = Array.from({ length: p.generations + 1 }, (_, t) => t);
  const n = gens.map((t) => Math.round(p.samples * (t + 1) ** p.samples_growth));
  const alpha = gens.map((t) => (t === 0 ? 1 : realFraction(params, t)));
  const predicted = l2ErrorRecursion(sqNorm(zipfPmf(p.vocab, p.zipf)), n, alpha);
  const { mean, se } = out.metrics.l2_err;
  for (const t of steps) {
    const z = (mean[t] - predicted[t]) / se[t];
    expect(Math.abs(z), `l2_err at generation ${t}: simulated ${mean[t]} ± ${se[t]}, predicted ${predicted[t]}`).toBeLessThan(3);
  }
  // Budget: every context draws Binomial(n_t, α_t) fresh tokens at generation t ≥ 1.
  const C = p.contexts;
  const expected = gens.slice(1).reduce((s, t) => s + alpha[t] * C * n[t], 0);
  const budgetSe = Math.sqrt(gens.slice(1).reduce((s, t) => s + alpha[t] * (1 - alpha[t]) * C * n[t], 0) / p.replicates);
  expect(Math.abs(out.realSamplesPerChain - expected) / budgetSe).toBeLessThan(3);
  return out;
}

describe('recursive-lm (markov, count MLE) with fresh real tokens mixed in, |z| < 3', () => {
  it('constant α = 0.2, constant n: e_t → (1−‖p*‖²)/(n(1 − (1−α)²(1−1/n)))', () => {
    const out = expectRecursion({ samples: 30, generations: 15, replicates: 500 }, { alpha: 0.2 }, [1, 5, 15]);
    // Replace drifts towards 1 − ‖p*‖²; fresh data holds the error near its fixed point.
    const rep = run({ samples: 30, generations: 15, replicates: 500 }, {}, replace).out.metrics.l2_err;
    expect(rep.mean[15] - out.metrics.l2_err.mean[15]).toBeGreaterThan(10 * Math.hypot(rep.se[15], out.metrics.l2_err.se[15]));
  });

  // Bakshi & Chakraborty: a decaying real share still recovers p* when n_t grows fast enough.
  // e_t ≈ (1 − ‖p*‖²)/(2α_t n_t) for small α_t: with α_t = 0.5·t^(−0.5) and n_t = 20(t+1) it falls
  // like t^(−1/2), while replace at the same n_t still drifts upwards (like Σ 1/n_t).
  it('decaying α_t = 0.5·t^(−0.5) with n_t = 20(t+1): the error falls towards 0 (recovers p*); replace’s grows', () => {
    const overrides = { samples: 20, samples_growth: 1, generations: 15, replicates: 200 };
    const mixed = expectRecursion(overrides, { alpha: 0.5, alpha_decay: 0.5 }, [1, 5, 15]).metrics.l2_err;
    const rep = run(overrides, {}, replace).out.metrics.l2_err;
    expect((mixed.mean[1] - mixed.mean[15]) / Math.hypot(mixed.se[1], mixed.se[15])).toBeGreaterThan(5);
    expect(mixed.mean[15]).toBeLessThan(mixed.mean[0] / 2);
    expect((rep.mean[15] - rep.mean[1]) / Math.hypot(rep.se[1], rep.se[15])).toBeGreaterThan(5);
  });

  it('decaying α_t = 0.9·t^(−0.7) with growing n_t = round(30·(t+1)^0.3)', () => {
    expectRecursion({ samples: 30, samples_growth: 0.3, generations: 15, replicates: 500 }, { alpha: 0.9, alpha_decay: 0.7 }, [1, 5, 15]);
  });
});
