import { describe, expect, it } from 'vitest';
import { Matrix, inverse, pseudoInverse, solve } from 'ml-matrix';
import task, { type RegressionData, type RegressionModel } from './task.ts';
import { GCV_GRID } from './solvers.ts';
import { conditionalExcess } from './theory.ts';
import replace from '../../baselines/replace/method.ts';
import accumulate from '../../baselines/accumulate/method.ts';
import { runGenerational } from '../../harness/generations.ts';
import type { CellKey } from '../../harness/schema.ts';
import { rngFromKey } from '../../harness/rng.ts';
import type { Batch, FitOptions, GenerationalSimulation, Pool, AnyMethod } from '../../harness/types.ts';
import { poolWeightSums } from '../../harness/pool.ts';

type Overrides = Record<string, number | string | boolean>;

function simulate(overrides: Overrides, method: AnyMethod = replace, seed = 0) {
  const taskParams = task.params.parse(overrides);
  const key: CellKey = { task: task.id, taskParams, method: method.id, methodParams: {}, seed };
  return { output: runGenerational(task, method, key), theory: task.theory!(taskParams) };
}

/**
 * |simulated − predicted| ≤ 3 SE at a few well-separated steps (steps of one chain are
 * correlated), against the first theory curve of each metric whose label starts with `regime`.
 */
function expectMatches(overrides: Overrides, steps: number[], method: AnyMethod = replace) {
  const { output, theory } = simulate(overrides, method);
  const zs: string[] = [];
  for (const metric of ['excess_risk', 'test_mse']) {
    const curve = theory.find((c) => c.metric === metric && c.label.startsWith(method.id));
    expect(curve, `${method.id} theory for ${metric}`).toBeDefined();
    for (const t of steps) {
      const { mean, se } = output.metrics[metric];
      const z = (mean[t] - curve!.values[t]) / se[t];
      zs.push(`${metric}@${t}: ${z.toFixed(2)}`);
      expect(Math.abs(z), `${metric} at generation ${t}: simulated ${mean[t]} vs theory ${curve!.values[t]} (SE ${se[t]})`).toBeLessThan(3);
    }
  }
  return { output, theory, zs };
}

/** A simulation plus one real batch of n points, for direct fit tests. */
function setup(overrides: Overrides, n: number, label = 'fit') {
  const sim = task.simulation(task.params.parse(overrides), rngFromKey(label, 'setup')) as GenerationalSimulation<
    RegressionData,
    RegressionModel
  >;
  const batch = sim.real(n, rngFromKey(label, 'real'), 0);
  return { sim, batch };
}

const fitPool = (
  sim: GenerationalSimulation<RegressionData, RegressionModel>,
  parts: Pool<RegressionData>['parts'],
  options: FitOptions = {},
) => sim.fit({ parts }, options);

/** Replicate r's rows as ml-matrix objects. */
function rows(batch: Batch<RegressionData>, r: number, d: number) {
  const n = batch.size;
  const X = new Matrix(n, d);
  const y = new Matrix(n, 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) X.set(i, j, batch.data.X[(r * n + i) * d + j]);
    y.set(i, 0, batch.data.y[r * n + i]);
  }
  return { X, y };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('regression reproduces its closed forms (replace, OLS)', () => {
  it('fresh design, Σ = I: E[excess_t] = (t+1)σ²d/(T−d−1), E[test_mse_t] = that + σ² (d = 5, T = 20; d = 10, T = 50)', () => {
    const { theory } = expectMatches({ dim: 5, samples: 20, generations: 15, replicates: 4000 }, [0, 5, 15]);
    expect(theory[0].values[15]).toBeCloseTo((16 * 5) / 14, 12);
    expectMatches({ dim: 10, samples: 50, generations: 20, replicates: 1500 }, [0, 10, 20]);
  });

  it('power-law spectrum, σ = 0.5, σ₀ = 2σ: the OLS form does not depend on Σ', () => {
    const overrides = {
      dim: 8,
      samples: 30,
      spectrum: 'power',
      spectrum_decay: 1.5,
      noise: 0.5,
      synthetic_noise_scale: 2,
      generations: 8,
      replicates: 4000,
    };
    const { theory } = expectMatches(overrides, [0, 8]);
    expect(theory[0].values[8]).toBeCloseTo(8 * (0.25 / 21 + 8 * (1 / 21)), 12);
  });

  it('sample-size growth n_t = T(t+1): E[excess_t] = σ²d Σ_s 1/(n_s−d−1)', () => {
    const overrides = { dim: 4, samples: 10, samples_growth: 1, generations: 10, replicates: 4000 };
    const { theory } = expectMatches(overrides, [0, 4, 10]);
    const expected = Array.from({ length: 11 }, (_, s) => 4 / (10 * (s + 1) - 5)).reduce((a, b) => a + b);
    expect(theory[0].values[10]).toBeCloseTo(expected, 12);
  });

  it('fixed design: the same expectation over Gaussian designs', () => {
    expectMatches({ dim: 5, samples: 15, design: 'fixed', generations: 10, replicates: 4000 }, [0, 10]);
  });

  it('fixed design, conditional on X: E[excess_t | X] = (σ² + tσ₀²)·tr((XᵀX)⁻¹)', () => {
    // Per replicate excess_t / tr((XᵀX)⁻¹) has mean σ² + tσ₀² exactly, whatever the design.
    const d = 4;
    const T = 12;
    const R = 2000;
    const { sim, batch } = setup({ dim: d, samples: T, design: 'fixed', replicates: R, synthetic_noise_scale: 0.5 }, T, 'conditional');
    const trace = new Float64Array(R);
    for (let r = 0; r < R; r++) {
      const { X } = rows(batch, r, d);
      trace[r] = inverse(X.transpose().mmul(X)).trace();
    }
    const sampleRng = rngFromKey('conditional', 'sample');
    let model = fitPool(sim, [{ batch }]);
    for (let t = 0; t <= 6; t++) {
      if (t > 0) model = fitPool(sim, [{ batch: sim.sample(model, T, sampleRng, t - 1) }]);
      if (t % 3 !== 0) continue;
      const ratio = sim.evaluate(model).excess_risk.map((v, r) => v / trace[r]);
      const mean = ratio.reduce((a, b) => a + b) / R;
      const se = Math.sqrt(ratio.reduce((a, v) => a + (v - mean) ** 2, 0) / (R - 1) / R);
      const expected = conditionalExcess({ trace: 1, t, regime: 'replace', noise: 1, syntheticNoise: 0.5 });
      expect(expected).toBe(1 + t * 0.25);
      expect(Math.abs(mean - expected) / se, `generation ${t}: ${mean} vs ${expected} (SE ${se})`).toBeLessThan(3);
    }
  });

  it('returns no curves where the expectation is infinite (some n_t ≤ d + 1)', () => {
    expect(task.theory!(task.params.parse({ dim: 10, samples: 11 }))).toEqual([]);
    // replace's excess and test MSE, and the oracle shrinkage of the learner (Σ = I, labeller = ols).
    expect(task.theory!(task.params.parse({ dim: 10, samples: 12 })).map((c) => c.label.split(':')[0])).toEqual([
      'replace, OLS',
      'replace, OLS',
      'oracle scalar shrinkage of the OLS learner',
    ]);
    expect(task.theory!(task.params.parse({ dim: 10, samples: 12, labeller: 'learner' }))).toHaveLength(2);
    expect(task.theory!(task.params.parse({ dim: 10, samples: 12, spectrum: 'power' }))).toHaveLength(2);
  });

  it('the oracle curve is r²V_t/(r² + V_t), V_t the replace curve', () => {
    const [replaceCurve, , oracle] = task.theory!(task.params.parse({ dim: 10, samples: 200, generations: 10 }));
    expect(replaceCurve.values[10]).toBeCloseTo((11 * 10) / 189, 12);
    expect(oracle.values[10]).toBeCloseTo(110 / 189 / (1 + 110 / 189), 12);
  });
});

describe('accumulate keeps the excess risk bounded (Gerstgrasser et al.)', () => {
  it('fixed design: E[excess_t] = d/(T−d−1)·Σ_{s≤t} 1/(s+1)², below π²/6 × generation 0', () => {
    const overrides = { dim: 5, samples: 20, design: 'fixed', generations: 30, replicates: 3000 };
    const { output, theory } = expectMatches(overrides, [1, 10, 30], accumulate);
    const curve = theory.find((c) => c.metric === 'excess_risk' && c.label.startsWith('accumulate'))!.values;
    expect(curve[30] / curve[0]).toBeCloseTo(
      Array.from({ length: 31 }, (_, s) => 1 / (s + 1) ** 2).reduce((a, b) => a + b),
      12,
    );
    const { mean, se } = output.metrics.excess_risk;
    for (let t = 0; t <= 30; t++) expect(mean[t]).toBeLessThan((Math.PI ** 2 / 6) * mean[0] + 3 * se[t]);
    const replaced = simulate({ ...overrides, replicates: 500 }).output.metrics.excess_risk.mean;
    expect(replaced[30]).toBeGreaterThan(10 * mean[30]);
  });

  it('fresh design: accumulate stays within 2× generation 0 while replace grows linearly', () => {
    const overrides = { dim: 5, samples: 20, generations: 20, replicates: 800 };
    const acc = simulate(overrides, accumulate).output.metrics.excess_risk.mean;
    const rep = simulate(overrides).output.metrics.excess_risk.mean;
    expect(Math.max(...acc)).toBeLessThan(2 * acc[0]);
    expect(rep[20]).toBeGreaterThan(15 * rep[0]);
    expect(rep[20]).toBeGreaterThan(10 * acc[20]);
  });
});

describe('regression fit: least squares and ridge', () => {
  const d = 6;
  const n = 15;
  const R = 8;
  const { sim, batch } = setup({ dim: d, replicates: R, noise: 0.7 }, n);

  it('ridge = 0 is ordinary least squares (against ml-matrix)', () => {
    const ols = fitPool(sim, [{ batch }]);
    const zero = fitPool(sim, [{ batch }], { ridge: 0 });
    expect(Array.from(zero.w)).toEqual(Array.from(ols.w));
    for (let r = 0; r < R; r++) {
      const { X, y } = rows(batch, r, d);
      const reference = solve(X.transpose().mmul(X), X.transpose().mmul(y)).getColumn(0);
      expect(maxAbsDiff(ols.w.subarray(r * d, r * d + d), reference)).toBeLessThan(1e-10);
    }
  });

  it('ridge λ solves (XᵀX/n + λI)w = Xᵀy/n, and λ → ∞ gives ŵ → 0', () => {
    const lambda = 0.3;
    const model = fitPool(sim, [{ batch }], { ridge: lambda });
    for (let r = 0; r < R; r++) {
      const { X, y } = rows(batch, r, d);
      const A = X.transpose().mmul(X).div(n).add(Matrix.eye(d).mul(lambda));
      const reference = solve(A, X.transpose().mmul(y).div(n)).getColumn(0);
      expect(maxAbsDiff(model.w.subarray(r * d, r * d + d), reference)).toBeLessThan(1e-10);
    }
    expect(Array.from(model.lambda)).toEqual(new Array(R).fill(lambda));
    const huge = fitPool(sim, [{ batch }], { ridge: 1e12 });
    expect(Math.max(...huge.w.map(Math.abs))).toBeLessThan(1e-9);
  });

  it('fewer samples than dimensions: λ = 0 gives the minimum-norm least-squares solution', () => {
    const small = setup({ dim: d, replicates: 3 }, 4, 'min-norm');
    const model = fitPool(small.sim, [{ batch: small.batch }]);
    for (let r = 0; r < 3; r++) {
      const { X, y } = rows(small.batch, r, d);
      const reference = pseudoInverse(X).mmul(y).getColumn(0);
      expect(maxAbsDiff(model.w.subarray(r * d, r * d + d), reference)).toBeLessThan(1e-9);
    }
  });

  it.each([
    [6, 15],
    [1, 5],
    [2, 6],
    [6, 4], // fewer samples than dimensions: λ = 0 is off the grid and GCV is flat as λ → 0
  ])('ridge_gcv picks the grid λ minimizing GCV(λ) = (RSS/n)/(1 − tr H/n)², by brute force (d = %i, n = %i)', (dim, size) => {
    const { sim: s, batch: b } = setup({ dim, replicates: R, noise: 0.7 }, size, `gcv-${dim}-${size}`);
    const model = fitPool(s, [{ batch: b }], { ridge_gcv: 1 });
    for (let r = 0; r < R; r++) {
      const { X, y } = rows(b, r, dim);
      const gram = X.transpose().mmul(X).div(size);
      const gcv = (lambda: number) => {
        const H = X.mmul(inverse(gram.clone().add(Matrix.eye(dim).mul(lambda))))
          .mmul(X.transpose())
          .div(size);
        const df = H.trace();
        return df >= size ? Infinity : Matrix.sub(y, H.mmul(y)).norm() ** 2 / size / (1 - df / size) ** 2;
      };
      const grid = size > dim ? [0] : [];
      for (let k = GCV_GRID.kMin; k <= GCV_GRID.kMax; k++) grid.push((gram.trace() / dim) * 10 ** (k / GCV_GRID.perDecade));
      const scores = grid.map(gcv);
      const best = Math.min(...scores);
      if (size > dim) expect(model.lambda[r]).toBeCloseTo(grid[scores.indexOf(best)], 12);
      else expect(gcv(model.lambda[r]) / best - 1).toBeLessThan(1e-3);
      const A = gram.clone().add(Matrix.eye(dim).mul(model.lambda[r]));
      const reference = solve(A, X.transpose().mmul(y).div(size)).getColumn(0);
      expect(maxAbsDiff(model.w.subarray(r * dim, r * dim + dim), reference)).toBeLessThan(1e-9);
    }
  });

  it('ridge_gcv beats least squares on a noisy high-dimensional problem (d = 40, n = 50, σ = 3)', () => {
    const noisy = setup({ dim: 40, replicates: 200, noise: 3 }, 50, 'gcv-noisy');
    const risk = (options: FitOptions) => {
      const values = noisy.sim.evaluate(fitPool(noisy.sim, [{ batch: noisy.batch }], options)).excess_risk;
      return values.reduce((a, b) => a + b) / values.length;
    };
    const ols = risk({});
    const gcv = risk({ ridge_gcv: 1 });
    expect(ols).toBeGreaterThan(20); // E = σ²d/(n−d−1) = 40
    expect(gcv).toBeLessThan(2); // predicting 0 scores ‖w₀‖² = 1
    expect(fitPool(noisy.sim, [{ batch: noisy.batch }], { ridge_gcv: 1 }).lambda.every((l) => l > 0)).toBe(true);
  });
});

describe('regression fit: weights', () => {
  const d = 4;
  const n = 10;
  const R = 5;
  const { sim, batch } = setup({ dim: d, replicates: R }, n, 'weights');
  const options: FitOptions[] = [{}, { ridge: 0.2 }, { ridge_gcv: 1 }];

  /** The batch with sample `extra` (per replicate) appended `copies` times. */
  function withCopies(copies: number, extra = 0): Batch<RegressionData> {
    const size = n + copies;
    const X = new Float64Array(R * size * d);
    const y = new Float64Array(R * size);
    for (let r = 0; r < R; r++) {
      for (let i = 0; i < size; i++) {
        const from = r * n + (i < n ? i : extra);
        X.set(batch.data.X.subarray(from * d, from * d + d), (r * size + i) * d);
        y[r * size + i] = batch.data.y[from];
      }
    }
    return { ...batch, size, data: { X, y } };
  }

  /** The batch with each replicate's samples listed twice. */
  function twice(): Batch<RegressionData> {
    const X = new Float64Array(2 * R * n * d);
    const y = new Float64Array(2 * R * n);
    for (let r = 0; r < R; r++) {
      for (let k = 0; k < 2; k++) {
        X.set(batch.data.X.subarray(r * n * d, (r + 1) * n * d), (2 * r + k) * n * d);
        y.set(batch.data.y.subarray(r * n, (r + 1) * n), (2 * r + k) * n);
      }
    }
    return { ...batch, size: 2 * n, data: { X, y } };
  }

  it('a weight-0 sample changes nothing', () => {
    // An extra sample that would pull the fit hard, but carries weight 0.
    const outlier = withCopies(1);
    for (let r = 0; r < R; r++) outlier.data.y[r * (n + 1) + n] = 1e6;
    const weights = new Float64Array(R * (n + 1)).fill(1);
    for (let r = 0; r < R; r++) weights[r * (n + 1) + n] = 0;
    for (const o of options) {
      const plain = fitPool(sim, [{ batch }], o);
      const masked = fitPool(sim, [{ batch: outlier, weights }], o);
      expect(maxAbsDiff(masked.w, plain.w), JSON.stringify(o)).toBeLessThan(1e-12);
      expect(maxAbsDiff(masked.lambda, plain.lambda)).toBeLessThan(1e-12);
    }
    expect(Array.from(poolWeightSums({ parts: [{ batch: outlier, weights }] }, R))).toEqual(new Array(R).fill(n));
  });

  it('integer weights equal duplicated samples (OLS, ridge and GCV)', () => {
    // Sample 0 of each replicate with weight 3 ≡ the batch with two more copies of sample 0.
    const weights = new Float64Array(R * n).fill(1);
    for (let r = 0; r < R; r++) weights[r * n] = 3;
    const duplicated = withCopies(2);
    for (const o of options) {
      const weighted = fitPool(sim, [{ batch, weights }], o);
      const copies = fitPool(sim, [{ batch: duplicated }], o);
      expect(maxAbsDiff(weighted.w, copies.w), JSON.stringify(o)).toBeLessThan(1e-10);
      expect(maxAbsDiff(weighted.lambda, copies.lambda)).toBeLessThan(1e-12);
    }
  });

  it('a part weighted by one constant per replicate (generation weighting) is that many copies', () => {
    // Replicate 0 weighs the whole batch 2 (the cached-moments path), the others 2 except one
    // sample at 1 (the gathered-rows path): both must equal the matching copies.
    const weights = new Float64Array(R * n).fill(2);
    for (let r = 1; r < R; r++) weights[r * n + 3] = 1;
    const copies = twice();
    const reference = new Float64Array(R * 2 * n).fill(1);
    for (let r = 1; r < R; r++) reference[r * 2 * n + n + 3] = 0;
    for (const o of options) {
      const weighted = fitPool(sim, [{ batch, weights }], o);
      const expected = fitPool(sim, [{ batch: copies, weights: reference }], o);
      expect(maxAbsDiff(weighted.w, expected.w), JSON.stringify(o)).toBeLessThan(1e-10);
      expect(maxAbsDiff(weighted.lambda, expected.lambda)).toBeLessThan(1e-12);
    }
  });

  it('a weighted part carried into later pools gives the same fit, and weights changed in place are seen', () => {
    const weights = new Float64Array(R * n).fill(1);
    for (let r = 0; r < R; r++) weights[r * n + 2] = 0.5;
    const parts = [{ batch, weights }, { batch: twice() }];
    // First sight adds directly, the second computes and caches, the third reuses the cache.
    const fits = [0, 1, 2].map(() => fitPool(sim, parts, { ridge: 0.1 }).w);
    expect(maxAbsDiff(fits[1], fits[0])).toBeLessThan(1e-12);
    expect(maxAbsDiff(fits[2], fits[0])).toBeLessThan(1e-12);
    weights.fill(1);
    const changed = fitPool(sim, parts, { ridge: 0.1 }).w;
    expect(maxAbsDiff(changed, fitPool(sim, [{ batch }, { batch: twice() }], { ridge: 0.1 }).w)).toBeLessThan(1e-12);
    expect(maxAbsDiff(changed, fits[0])).toBeGreaterThan(1e-6);
  });

  it('a pool of two parts is the fit on their union', () => {
    const parts = fitPool(sim, [{ batch }, { batch }], { ridge: 0.1 });
    expect(maxAbsDiff(parts.w, fitPool(sim, [{ batch: twice() }], { ridge: 0.1 }).w)).toBeLessThan(1e-12);
  });
});

describe('regression data', () => {
  it('fixed design: every batch of n rows reuses the chain’s first n rows; fresh design draws new rows', () => {
    const { sim, batch } = setup({ dim: 3, samples: 6, design: 'fixed', replicates: 4 }, 6, 'design');
    const rng = rngFromKey('design', 'sample');
    const model = fitPool(sim, [{ batch }]);
    expect(sim.sample(model, 6, rng, 0).data.X).toBe(batch.data.X);
    const longer = sim.sample(model, 9, rng, 0).data.X;
    for (let r = 0; r < 4; r++)
      expect(Array.from(longer.subarray(r * 27, r * 27 + 18))).toEqual(Array.from(batch.data.X.subarray(r * 18, r * 18 + 18)));
    const fresh = setup({ dim: 3, samples: 6, replicates: 4 }, 6, 'design');
    expect(fresh.sim.real(6, rng, 1).data.X).not.toEqual(fresh.batch.data.X);
  });

  it('the same cell key gives bit-identical metrics; another seed does not', () => {
    const overrides = { dim: 4, samples: 12, generations: 4, replicates: 200, design: 'fixed', spectrum: 'power' };
    const a = simulate(overrides, accumulate).output;
    const b = simulate(overrides, accumulate).output;
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(simulate(overrides, accumulate, 1).output.metrics.excess_risk.mean).not.toEqual(a.metrics.excess_risk.mean);
  });
});

describe('generator and learner (labeller)', () => {
  type Generation = RegressionModel & { generator?: Float64Array };
  const ridgeOf = (labeller: string, options: FitOptions) => {
    const { sim, batch } = setup({ dim: 4, replicates: 3, labeller }, 30, 'labeller');
    return { model: fitPool(sim, [{ batch }], options) as Generation, ols: fitPool(sim, [{ batch }]), sim };
  };

  it('labeller=ols: fit options shape the learner; the next data are labelled by least squares on the same pool', () => {
    const { model, ols, sim } = ridgeOf('ols', { ridge: 5 });
    expect(Array.from(model.generator!)).toEqual(Array.from(ols.w));
    expect(model.w[0]).not.toBeCloseTo(ols.w[0], 3);
    // Same stream, same covariates and noise: the labels are those of the OLS model.
    const a = sim.sample(model, 7, rngFromKey('labels', 'sample'), 0);
    const b = sim.sample(ols, 7, rngFromKey('labels', 'sample'), 0);
    expect(Array.from(a.data.y)).toEqual(Array.from(b.data.y));
  });

  it('labeller=learner: the regularized model labels the next generation; without options both regimes keep one model', () => {
    expect(ridgeOf('learner', { ridge: 5 }).model.generator).toBeUndefined();
    expect(ridgeOf('ols', {}).model.generator).toBeUndefined();
    expect(ridgeOf('ols', { ridge: 0 }).model.generator).toBeUndefined();
  });
});

describe('regression fit options: errors', () => {
  const { sim, batch } = setup({ dim: 3, replicates: 2 }, 8, 'errors');
  const attempt = (options: FitOptions) => () => fitPool(sim, [{ batch }], options);

  it('names the option and the fix', () => {
    expect(attempt({ shrinkage: 0.5 })).toThrow('unknown fit option shrinkage (task regression knows ridge, ridge_gcv)');
    expect(attempt({ ridge: -1 })).toThrow('fit option ridge must be a finite number >= 0, got -1');
    expect(attempt({ ridge: Infinity })).toThrow('fit option ridge must be a finite number >= 0, got Infinity');
    expect(attempt({ ridge_gcv: 2 })).toThrow('fit option ridge_gcv must be 0 or 1, got 2');
    expect(attempt({ ridge: 0.5, ridge_gcv: 1 })).toThrow(
      'fit options ridge and ridge_gcv exclude each other: got ridge 0.5 with ridge_gcv 1',
    );
    expect(attempt({ ridge: 0.5, ridge_gcv: 0 })).not.toThrow();
  });

  it('a replicate whose pool has no positive weight is an error', () => {
    const weights = new Float64Array(2 * 8).fill(1);
    weights.fill(0, 8);
    expect(() => fitPool(sim, [{ batch, weights }])).toThrow('regression fit: replicate 1 has no samples of positive weight in its pool');
  });
});
