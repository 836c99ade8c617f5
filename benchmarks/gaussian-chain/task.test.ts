import { describe, expect, it } from 'vitest';
import task from './task.ts';
import replace from '../../baselines/replace/method.ts';
import { runGenerational } from '../../harness/generations.ts';
import type { CellKey } from '../../harness/schema.ts';
import { rngFromKey } from '../../harness/rng.ts';
import { bernoulliSplit, densePool, scaleWeights, subsample, wholePool } from '../../harness/pool.ts';

/** Runs `replace` on the Gaussian chain and returns the simulation with its closed forms. */
function simulate(overrides: Record<string, number | string | boolean>) {
  const taskParams = task.params.parse(overrides);
  const key: CellKey = { task: task.id, taskParams, method: 'replace', methodParams: {}, seed: 0 };
  return { output: runGenerational(task, replace, key), theory: task.theory!(taskParams) };
}

/**
 * |simulated − predicted| ≤ 3 SE at the chosen steps. Steps of one chain are correlated,
 * so we check a few well-separated steps rather than every step.
 */
function expectMatches(overrides: Record<string, number | string | boolean>, metrics: string[], steps: number[]) {
  const { output, theory } = simulate(overrides);
  for (const metric of metrics) {
    const curve = theory.find((c) => c.metric === metric);
    expect(curve, `theory for ${metric}`).toBeDefined();
    for (const t of steps) {
      const { mean, se } = output.metrics[metric];
      const z = (mean[t] - curve!.values[t]) / se[t];
      expect(Math.abs(z), `${metric} at generation ${t}: simulated ${mean[t]} vs theory ${curve!.values[t]} (SE ${se[t]})`).toBeLessThan(3);
    }
  }
}

const all = ['var_ratio', 'mean_sq_err', 'log_var_ratio', 'w2'];

describe('gaussian-chain reproduces its closed forms (d = 1, replace)', () => {
  it('MLE, M = 10: E[σ²_n] = σ²(1−1/M)^n and E[(μ_n−μ)²] = σ²(1−(1−1/M)^n)', () => {
    expectMatches({ dim: 1, samples: 10, estimator: 'mle', generations: 10, replicates: 20_000 }, all, [0, 4, 9]);
  });

  it('MLE, M = 4, long chain (n = 30 fits): variance has shrunk to (3/4)^30 ≈ 2e-4', () => {
    const { theory } = simulate({ dim: 1, samples: 4, estimator: 'mle', generations: 29, replicates: 100 });
    expect(theory.find((c) => c.metric === 'var_ratio')!.values[29]).toBeCloseTo(0.75 ** 30, 12);
    // σ²_t is a product of t+1 independent χ² ratios: far into the chain its mean is carried by
    // rare large values, so the Monte-Carlo mean of σ²_t (and of W₂², ‖μ_t−μ‖², which contain it)
    // is unreliable there; its log is a sum of i.i.d. terms and is checked at every depth.
    expectMatches({ dim: 1, samples: 4, estimator: 'mle', generations: 29, replicates: 20_000 }, ['log_var_ratio'], [14, 29]);
    expectMatches({ dim: 1, samples: 4, estimator: 'mle', generations: 29, replicates: 20_000 }, all, [2]);
  });

  it('unbiased, M = 5 and M = 50: E[σ²_n] = σ², E[log σ²_n/σ²] = n[ψ((M−1)/2) + ln(2/(M−1))], E[(μ_n−μ)²] = nσ²/M', () => {
    expectMatches(
      { dim: 1, samples: 5, estimator: 'unbiased', generations: 12, replicates: 20_000 },
      ['mean_sq_err', 'log_var_ratio', 'w2'],
      [3, 12],
    );
    expectMatches({ dim: 1, samples: 50, estimator: 'unbiased', generations: 20, replicates: 20_000, variance: 2.5 }, all, [5, 20]);
  });

  it('sample-size growth n_t = M(t+1)^g: E[(μ_T−μ)²] = σ² Σ_t 1/n_t', () => {
    const overrides = { dim: 1, samples: 6, estimator: 'unbiased', samples_growth: 1, generations: 15, replicates: 20_000 };
    const { theory } = simulate({ ...overrides, replicates: 100 });
    const expected = Array.from({ length: 16 }, (_, t) => 1 / (6 * (t + 1))).reduce((a, b) => a + b);
    expect(theory.find((c) => c.metric === 'mean_sq_err')!.values[15]).toBeCloseTo(expected, 12);
    expectMatches(overrides, all, [5, 15]);
  });

  it('d = 3 with correlation: trace forms of E[tr Σ_t] and E‖μ_t − μ‖² (MLE)', () => {
    expectMatches(
      { dim: 3, rho: 0.6, samples: 8, estimator: 'mle', generations: 8, replicates: 20_000 },
      ['var_ratio', 'mean_sq_err'],
      [0, 8],
    );
  });
});

describe('gaussian-chain metrics', () => {
  it('w2 in d = 2 equals ‖μ̂‖² + Σ(√λᵢ − 1)² against the identity (λ eigenvalues of Σ̂)', () => {
    const sim = task.simulation(task.params.parse({ dim: 2, replicates: 2, estimator: 'mle' }), rngFromKey('w2', 'test'));
    // Four points per replicate; replicate 1 is replicate 0 stretched along (1, 1).
    const data = Float64Array.from([1, 2, -1, 0, 3, 1, 0, -2, 2, 3, -1, 1, 4, 2, 1, -3]);
    const model = sim.fit({ parts: [{ batch: { origin: 'real', generation: 0, size: 4, data } }] }, {});
    const w2 = sim.evaluate(model).w2;
    for (let r = 0; r < 2; r++) {
      const x = Array.from(data.subarray(r * 8, r * 8 + 8));
      const mx = (x[0] + x[2] + x[4] + x[6]) / 4;
      const my = (x[1] + x[3] + x[5] + x[7]) / 4;
      let sxx = 0,
        syy = 0,
        sxy = 0;
      for (let i = 0; i < 4; i++) {
        sxx += (x[2 * i] - mx) ** 2 / 4;
        syy += (x[2 * i + 1] - my) ** 2 / 4;
        sxy += ((x[2 * i] - mx) * (x[2 * i + 1] - my)) / 4;
      }
      const half = Math.sqrt(((sxx - syy) / 2) ** 2 + sxy ** 2);
      const lambdas = [(sxx + syy) / 2 + half, (sxx + syy) / 2 - half];
      const expected = mx ** 2 + my ** 2 + lambdas.reduce((s, l) => s + (Math.sqrt(l) - 1) ** 2, 0);
      expect(w2[r]).toBeCloseTo(expected, 12);
    }
  });

  it('the same cell key gives bit-identical metrics', () => {
    const a = simulate({ dim: 2, rho: 0.3, samples: 10, generations: 5, replicates: 300 }).output;
    const b = simulate({ dim: 2, rho: 0.3, samples: 10, generations: 5, replicates: 300 }).output;
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});

describe('gaussian-chain options', () => {
  it('known_variance refits only the mean: E‖μ_t − μ‖² = (t+1)σ²/M, variance exact', () => {
    const { output, theory } = simulate({ dim: 1, samples: 8, known_variance: true, generations: 9, replicates: 20_000 });
    expect(output.metrics.var_ratio.mean.every((v) => v === 1)).toBe(true);
    const mse = theory.find((c) => c.metric === 'mean_sq_err')!.values;
    expect(mse[9]).toBeCloseTo(10 / 8, 12);
    const { mean, se } = output.metrics.mean_sq_err;
    expect(Math.abs(mean[9] - mse[9]) / se[9]).toBeLessThan(3);
  });

  it('fit option shrinkage pulls the covariance towards the generation-0 fit', () => {
    const sim = task.simulation(task.params.parse({ replicates: 2 }), rngFromKey('shrink', 'test'));
    // The same samples in both replicates.
    const batch = (data: number[]) => ({
      parts: [{ batch: { origin: 'real' as const, generation: 0, size: data.length, data: Float64Array.from([...data, ...data]) } }],
    });
    const anchor = sim.fit(batch([-2, 0, 2]), {}); // unbiased variance 4
    const half = sim.fit(batch([-1, 0, 1]), { shrinkage: 0.5 }); // variance 1 → (1 + 4) / 2
    expect(anchor.cov[0]).toBe(4);
    expect(half.cov[0]).toBe(2.5);
    expect(() => sim.fit(batch([0, 1]), { shrinkage: 2 })).toThrow('fit option shrinkage must be in [0, 1], got 2');
  });
});

describe('gaussian-chain fits compact pools (subsets, draws) as their dense weights', () => {
  it.each([1, 3])('d = %i: a subsampled history and Bernoulli-drawn parts give the dense fit (to rounding)', (dim) => {
    const params = task.params.parse({ dim, rho: dim > 1 ? 0.4 : 0, samples: 7, replicates: 50 });
    const rng = rngFromKey('gaussian-chain-compact', `d${dim}`);
    const compactSim = task.simulation!(params, rng.fork('setup'));
    const denseSim = task.simulation!(params, rng.fork('setup'));
    const batches = [compactSim.real(7, rng.fork('a'), 0), compactSim.real(5, rng.fork('b'), 1), compactSim.real(9, rng.fork('c'), 2)];
    const [first, second] = bernoulliSplit(batches[0], compactSim.real(7, rng.fork('d'), 3), 0.3, 50, rng.fork('split'));
    const pools = [
      subsample(wholePool(batches), 50, 11, rng.fork('subset')),
      { parts: [scaleWeights(first, 2, 50), second, { batch: batches[2] }] },
    ];
    for (const pool of pools) {
      const a = compactSim.fit(pool, {}) as { mean: Float64Array; cov: Float64Array };
      const b = denseSim.fit(densePool(pool, 50), {}) as { mean: Float64Array; cov: Float64Array };
      a.mean.forEach((v, i) => {
        expect(v).toBeCloseTo(b.mean[i], 12);
      });
      a.cov.forEach((v, i) => {
        expect(v).toBeCloseTo(b.cov[i], 12);
      });
    }
  });
});
