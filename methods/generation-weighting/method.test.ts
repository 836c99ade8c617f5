/** generation-weighting: pool weights, budget, Amin et al.'s variance recursion and end to end on gaussian-chain. */
import { describe, expect, it } from 'vitest';
import method, { roundWeight, type GenerationWeightingParams } from './method.ts';
import { weightedMeanVariance } from './theory.ts';
import task from '../../benchmarks/gaussian-chain/task.ts';
import replace from '../../baselines/replace/method.ts';
import realOnly from '../../baselines/real-only/method.ts';
import { runGenerational } from '../../harness/generations.ts';
import { trapezoid } from '../../harness/scoring.ts';
import type { AnyMethod } from '../../harness/types.ts';

const params = (overrides: Partial<GenerationWeightingParams> = {}) => method.params.parse(overrides);

function run(taskOverrides: Record<string, unknown>, methodOverrides: Partial<GenerationWeightingParams> = {}, m: AnyMethod = method) {
  const taskParams = task.params.parse(taskOverrides);
  const methodParams = m.id === method.id ? params(methodOverrides) : {};
  return runGenerational(task, m, { task: task.id, taskParams, method: m.id, methodParams, seed: 1 });
}

/** Replicate 0's pool size Σw per generation, and the run's budget. */
function probe(taskOverrides: Record<string, unknown>, methodOverrides: Partial<GenerationWeightingParams>) {
  const sizes: number[] = [];
  const probed = {
    ...method,
    hooks: {
      ...method.hooks,
      estimate: (model: unknown, ctx: { poolSize: Float64Array }) => {
        sizes.push(ctx.poolSize[0]);
        return model;
      },
    },
  };
  const out = run(taskOverrides, methodOverrides, probed);
  return { sizes, budget: out.realSamplesPerChain };
}

/** |simulated − predicted| / SE of mean_sq_err at the given generations. */
function zScores(
  taskOverrides: Record<string, unknown>,
  methodOverrides: Partial<GenerationWeightingParams>,
  predicted: number[],
  steps: number[],
) {
  const { mean, se } = run(taskOverrides, methodOverrides).metrics.mean_sq_err;
  return steps.map((t) => ({ t, z: (mean[t] - predicted[t]) / se[t], simulated: mean[t], predicted: predicted[t] }));
}

describe('round weights w_s = s^gamma, s = generation + 1', () => {
  it('weights generation 0 by 1 and generation t by (t+1)^gamma', () => {
    expect(roundWeight(0, 2.5)).toBe(1);
    expect(roundWeight(3, 0)).toBe(1);
    expect(roundWeight(3, 2)).toBe(16);
  });

  it('accumulates: the pool of generation t has Σ_{s ≤ t+1} s^gamma·n weight (one sample per slot)', () => {
    const { sizes } = probe({ samples: 6, generations: 5, replicates: 50 }, { gamma: 1.5 });
    const expected = Array.from(
      { length: 6 },
      (_, t) => 6 * Array.from({ length: t + 1 }, (_, s) => (s + 1) ** 1.5).reduce((a, b) => a + b),
    );
    sizes.forEach((size, t) => {
      expect(size).toBeCloseTo(expected[t], 9);
    });
  });
});

describe('real-data budget', () => {
  const R = 4000;

  it('random split: (1 − contamination)·Σ_t n_t in expectation (within 3 binomial SE); exact: Σ_t (n_t − round(contamination·n_t))', () => {
    const overrides = { samples: 10, samples_growth: 1, generations: 8, replicates: R };
    const n = Array.from({ length: 8 }, (_, i) => 10 * (i + 2));
    const total = n.reduce((a, b) => a + b, 0);
    const random = probe(overrides, { contamination: 0.7 }).budget;
    expect(Math.abs(random - 0.3 * total) / Math.sqrt((0.3 * 0.7 * total) / R)).toBeLessThan(3);
    expect(probe(overrides, { contamination: 0.7, split: 'exact' }).budget).toBe(n.reduce((s, x) => s + x - Math.round(0.7 * x), 0));
    expect(probe(overrides, { contamination: 1 }).budget).toBe(0);
  });
});

describe('Amin et al.: variance of the mean estimate (gaussian-chain, known variance, d = 1)', () => {
  // Our generation t is the paper's round t+1: generation 0 (real only) is round 1 with v_1 = s².
  const sigma2 = 2;
  const n = 10;
  const G = 20;
  const taskOverrides = { samples: n, variance: sigma2, known_variance: true, generations: G, replicates: 12_000 };
  const steps = [0, 3, 10, 20];

  it('γ = 0, exact split: v_t = ((t−1+a)/t)²·v_{t−1} + s²/t² with a = contamination (the paper’s α), s² = σ²/n', () => {
    const a = 0.6; // exactly 6 of 10 slots synthetic
    const s2 = sigma2 / n;
    const paper = [s2]; // paper[t−1] = v_t
    for (let t = 2; t <= G + 1; t++) paper.push(((t - 1 + a) / t) ** 2 * paper[t - 2] + s2 / t ** 2);
    const zs = zScores(taskOverrides, { contamination: 0.6, gamma: 0, split: 'exact' }, paper, steps);
    for (const { t, z, simulated, predicted } of zs) expect(Math.abs(z), `generation ${t}: ${simulated} vs ${predicted}`).toBeLessThan(3);
    // The general recursion (theory.ts) is the same numbers.
    const general = weightedMeanVariance(
      { samples: n, variance: sigma2, generations: G },
      params({ contamination: 0.6, gamma: 0, split: 'exact' }),
    );
    general.forEach((v, t) => {
      expect(v).toBeCloseTo(paper[t], 14);
    });
  });

  it('γ = 0, random split: the same recursion plus the binomial term a(1−a)v_{t−1}/(n t²)', () => {
    const p = params({ contamination: 0.6, gamma: 0 });
    const predicted = weightedMeanVariance({ samples: n, variance: sigma2, generations: G }, p);
    for (const { t, z, simulated } of zScores(taskOverrides, p, predicted, steps))
      expect(Math.abs(z), `generation ${t}: ${simulated} vs ${predicted[t]}`).toBeLessThan(3);
  });

  it('γ = 2, random split: v_τ = ((W_{τ−1} + a·w_τ)/W_τ)²·v_{τ−1} + (w_τ/W_τ)²·Var U_τ', () => {
    const p = params({ contamination: 0.7, gamma: 2 });
    const predicted = weightedMeanVariance({ samples: n, variance: sigma2, generations: G }, p);
    for (const { t, z, simulated } of zScores(taskOverrides, p, predicted, steps))
      expect(Math.abs(z), `generation ${t}: ${simulated} vs ${predicted[t]}`).toBeLessThan(3);
  });

  it('a γ > 0 lowers the final mean error below ERM’s (γ = 0) when most of each round is synthetic', () => {
    const overrides = { samples: n, known_variance: true, generations: 40, replicates: 4000 };
    const erm = run(overrides, { contamination: 0.7, gamma: 0, split: 'exact' }).metrics.mean_sq_err;
    const weighted = run(overrides, { contamination: 0.7, gamma: 2, split: 'exact' }).metrics.mean_sq_err;
    const last = 40;
    expect((erm.mean[last] - weighted.mean[last]) / Math.hypot(erm.se[last], weighted.se[last])).toBeGreaterThan(4);
  });
});

describe('Amin et al.’s claims (README "Reproduction"), gaussian-chain, known variance, n = 20, exact split', () => {
  // τ·v_τ flat = the 1/τ rate. Predicted by the recursion (theory.ts) for τ = 16 → 61:
  // ERM at a = 0.75 ×2.17 (v ∝ τ^(−2(1−a)) = τ^(−0.5) asymptotically), γ* = 3 at a = 0.75 ×1.23
  // (→ 16 s², a 1/τ rate), ERM at a = 0.25 ×1.07.
  const overrides = { samples: 20, known_variance: true, generations: 60, replicates: 2000 };
  const growth = (v: number[]) => (61 * v[60]) / (16 * v[15]);

  it('ERM slows below the 1/τ rate under heavy contamination (a = 0.75) but not light (a = 0.25); γ* = a/(1−a) restores it', () => {
    const erm = run(overrides, { contamination: 0.75, gamma: 0, split: 'exact' }).metrics.mean_sq_err;
    const weighted = run(overrides, { contamination: 0.75, gamma: 3, split: 'exact' }).metrics.mean_sq_err;
    const light = run(overrides, { contamination: 0.25, gamma: 0, split: 'exact' }).metrics.mean_sq_err;
    console.log(
      `τ·v_τ growth τ = 16 → 61: ERM a=0.75 ${growth(erm.mean).toFixed(2)}, γ*=3 ${growth(weighted.mean).toFixed(2)}, ERM a=0.25 ${growth(light.mean).toFixed(2)}`,
    );
    expect(growth(erm.mean)).toBeGreaterThan(1.8);
    expect(growth(weighted.mean)).toBeLessThan(1.5);
    expect(growth(light.mean)).toBeLessThan(1.25);
    // And converges: ERM's variance still falls (the paper: ERM converges, only slowly).
    expect(erm.mean[60]).toBeLessThan(erm.mean[0] / 2);
    // Weighting beats ERM at the end (predicted ratio 0.73; the chains are paired).
    expect(weighted.mean[60] / erm.mean[60]).toBeLessThan(0.85);
  });
});

describe('end to end on gaussian-chain quick', () => {
  it('defaults lower the w2 collapse area far below replace', () => {
    const area = (out: ReturnType<typeof run>) => trapezoid(out.steps, out.metrics.w2.mean);
    const zero = area(run({}, {}, realOnly));
    const replaced = run({}, {}, replace);
    const weighted = run({});
    expect((area(weighted) - zero) / (area(replaced) - zero)).toBeLessThan(0.1);
    const last = weighted.steps.length - 1;
    const [a, b] = [replaced.metrics.w2, weighted.metrics.w2];
    expect((a.mean[last] - b.mean[last]) / Math.hypot(a.se[last], b.se[last])).toBeGreaterThan(10);
  });
});
