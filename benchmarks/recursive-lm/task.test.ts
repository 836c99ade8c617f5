import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import task from './task.ts';
import { BINOMIAL_ROW_FACTOR, countTokens, looSmoothing, SMOOTHING_GRID, TokenData, trueDistributions } from './markov.ts';
import { l2ErrorRecursion, sqNorm, supportExpectation, zipfPmf } from './theory.ts';
import replace from '../../baselines/replace/method.ts';
import freshDataMixing from '../../methods/fresh-data-mixing/method.ts';
import { runGenerational } from '../../harness/generations.ts';
import { rngFromKey } from '../../harness/rng.ts';
import type { CellKey } from '../../harness/schema.ts';
import { defineMethod, type Batch, type Pool, type PoolPart, type AnyMethod } from '../../harness/types.ts';
import { bernoulliSplit, densePool, poolWeightSums, scaleWeights, subsample, wholePool } from '../../harness/pool.ts';
import { meanAndSe } from '../../harness/stats.ts';

type Overrides = Record<string, number | string | boolean>;

/**
 * Test-local pool hook: each slot of the pool is real with probability α_t, else synthetic,
 * independently, so every token is an exact draw from q_t = α_t p* + (1−α_t) p̂_{t−1} and every
 * context keeps exactly n_t tokens. It draws n_t real and n_t synthetic tokens per context
 * (slot j is the same context in both batches) and gives them complementary 0/1 weights.
 * α_t = alpha·t^(−decay) for t ≥ 1.
 */
const mixture = defineMethod({
  id: 'test-mixture',
  title: 'Fresh-data mixture (test)',
  kind: 'method',
  summary: 'Each pool slot is real with probability α_t.',
  papers: [],
  params: z.object({ alpha: z.number().default(0.3), decay: z.number().default(0) }),
  hooks: {
    pool(ctx, { alpha, decay }) {
      const a = alpha * ctx.t ** -decay;
      const real = ctx.real(ctx.size);
      const synthetic = ctx.synthetic(ctx.size);
      const u = ctx.rng.fillUniform(new Float64Array(ctx.replicates * ctx.size));
      const wReal = new Float64Array(u.length);
      const wSynthetic = new Float64Array(u.length);
      for (let i = 0; i < u.length; i++) {
        wReal[i] = u[i] < a ? 1 : 0;
        wSynthetic[i] = 1 - wReal[i];
      }
      return {
        parts: [
          { batch: real, weights: wReal },
          { batch: synthetic, weights: wSynthetic },
        ],
      };
    },
  },
});
const alphaCurve = (generations: number, alpha: number, decay: number) =>
  Array.from({ length: generations + 1 }, (_, t) => (t === 0 ? 1 : alpha * t ** -decay));

function run(overrides: Overrides, method: AnyMethod = replace, methodParams: Record<string, unknown> = {}, seed = 0) {
  const taskParams = task.params.parse(overrides);
  const key: CellKey = {
    task: task.id,
    taskParams,
    method: method.id,
    methodParams: method.params.parse(methodParams) as CellKey['methodParams'],
    seed,
  };
  return { params: taskParams, output: runGenerational(task, method, key) };
}

/** |simulated − predicted| < 3 SE at the given steps (well separated: steps of one chain are correlated). */
function expectWithin3Se(output: ReturnType<typeof run>['output'], metric: string, predicted: number[], steps: number[]) {
  const { mean, se } = output.metrics[metric];
  for (const t of steps) {
    const z = (mean[t] - predicted[t]) / se[t];
    expect(Math.abs(z), `${metric} at generation ${t}: simulated ${mean[t]} ± ${se[t]} vs theory ${predicted[t]}`).toBeLessThan(3);
  }
}

const sizes = (p: { samples: number; samples_growth: number; generations: number }) =>
  Array.from({ length: p.generations + 1 }, (_, t) => Math.round(p.samples * (t + 1) ** p.samples_growth));

describe('recursive-lm (markov) reproduces e_{t+1} = (1−α_t)²(1−1/n_t)e_t + (1−‖p*‖²)/n_t', () => {
  it('replace, V = 50, n = 40: l2_err and the support curve of theory(params)', () => {
    const { params, output } = run({ vocab: 50, contexts: 10, samples: 40, generations: 12, replicates: 1500 });
    const theory = task.theory!(params);
    const l2 = theory.find((c) => c.metric === 'l2_err')!.values;
    const norm = sqNorm(zipfPmf(50, 1));
    expect(l2[12]).toBeCloseTo((1 - norm) * (1 - (1 - 1 / 40) ** 13), 12);
    expectWithin3Se(output, 'l2_err', l2, [0, 5, 12]);
    expectWithin3Se(output, 'support', theory.find((c) => c.metric === 'support')!.values, [0, 5, 12]);
  });

  it('replace, V = 8, n = 6, Zipf 1.5: fast absorption', () => {
    const { params, output } = run({ vocab: 8, contexts: 5, zipf: 1.5, samples: 6, generations: 15, replicates: 3000 });
    const theory = task.theory!(params);
    expectWithin3Se(output, 'l2_err', theory.find((c) => c.metric === 'l2_err')!.values, [1, 6, 15]);
    expectWithin3Se(output, 'support', theory.find((c) => c.metric === 'support')!.values, [1, 6, 15]);
  });

  it('growing sample size n_t = round(8·(t+1))', () => {
    const { params, output } = run({ vocab: 20, contexts: 5, samples: 8, samples_growth: 1, generations: 10, replicates: 2000 });
    const n = sizes(params);
    expect(n[10]).toBe(88);
    const l2 = l2ErrorRecursion(sqNorm(zipfPmf(20, 1)), n, alphaCurve(10, 0, 0));
    expect(task.theory!(params)[0].values).toEqual(l2);
    expectWithin3Se(output, 'l2_err', l2, [2, 10]);
  });

  it('constant real fraction α = 0.3 (fresh-data mixture): the error stays bounded', () => {
    const { params, output } = run({ vocab: 20, contexts: 5, samples: 15, generations: 12, replicates: 2000 }, mixture, {
      alpha: 0.3,
      decay: 0,
    });
    const alpha = alphaCurve(12, 0.3, 0);
    const p = zipfPmf(20, 1);
    const n = sizes(params);
    const l2 = l2ErrorRecursion(sqNorm(p), n, alpha);
    // The fixed point (1−‖p*‖²)/n / (1 − (1−α)²(1−1/n)).
    expect(l2[12]).toBeLessThan((1 - sqNorm(p)) / 15 / (1 - 0.49 * (1 - 1 / 15)));
    expectWithin3Se(output, 'l2_err', l2, [3, 12]);
    expectWithin3Se(output, 'support', supportExpectation(p, n, alpha), [3, 12]);
    // Each of the R·C·n = 2000·5·15 slots of generations 1…12 is real with probability 0.3,
    // independently (u < α in the hook above), so the real count over the cell is
    // K ~ Binomial(N, 0.3), N = 2000·5·15·12 = 1.8e6, and realSamplesPerChain = K/2000: K is an
    // integer and the real fraction K/N has standard error √(0.3·0.7/N) ≈ 3.4e-4. Within 3 SE.
    const slots = params.replicates * 5 * 15 * 12;
    const realCount = output.realSamplesPerChain * params.replicates;
    expect(Math.abs(realCount - Math.round(realCount))).toBeLessThan(1e-6);
    const fraction = Math.round(realCount) / slots;
    expect(Math.abs(fraction - 0.3), `real fraction ${fraction}`).toBeLessThanOrEqual(3 * Math.sqrt((0.3 * 0.7) / slots));
  });

  it('decaying real fraction α_t = 0.6·t^(−1)', () => {
    const { params, output } = run({ vocab: 20, contexts: 5, samples: 15, generations: 12, replicates: 2000 }, mixture, {
      alpha: 0.6,
      decay: 1,
    });
    const alpha = alphaCurve(12, 0.6, 1);
    const l2 = l2ErrorRecursion(sqNorm(zipfPmf(20, 1)), sizes(params), alpha);
    expectWithin3Se(output, 'l2_err', l2, [2, 12]);
  });

  it('additive smoothing β = 0.5: the mean/second-moment recursion', () => {
    const { params, output } = run({ vocab: 20, contexts: 5, samples: 15, smoothing: 0.5, generations: 10, replicates: 2000 });
    const theory = task.theory!(params);
    expect(theory.map((c) => c.metric)).toEqual(['l2_err']); // no support curve: smoothing keeps every token
    expectWithin3Se(output, 'l2_err', theory[0].values, [0, 4, 10]);
    expect(output.metrics.support.mean.every((s) => s === 1)).toBe(true);
  });

  it('with β = 0 the smoothing form is the plain recursion', () => {
    const n = [10, 20, 30, 5];
    const alpha = [1, 0.2, 0, 0.7];
    const plain = l2ErrorRecursion(0.1, n, alpha);
    const smoothed = l2ErrorRecursion(0.1, n, alpha, { vocab: 12, beta: 0 });
    expect(smoothed).toEqual(plain);
    expect(plain[1]).toBeCloseTo(0.8 ** 2 * (1 - 1 / 20) * (0.9 / 10) + 0.9 / 20, 15);
    expect(() => l2ErrorRecursion(0.1, n, [1])).toThrow('l2ErrorRecursion: alpha has 1 entries; expected one per fit (4)');
  });
});

describe('recursive-lm metrics', () => {
  it('exact values on a hand-made model', () => {
    const params = task.params.parse({ vocab: 4, contexts: 2, replicates: 2, zipf: 1 });
    const sim = task.simulation(params, rngFromKey('metrics', 'setup'));
    const pStar = trueDistributions(params, rngFromKey('metrics', 'setup'));
    const truth = [Array.from(pStar.subarray(0, 4)), Array.from(pStar.subarray(4, 8))];
    // Replicate 0: context 0 exact, context 1 a point mass. Replicate 1: uniform, and an
    // unnormalized row (×2) with a tiny entry (the q < 10⁻³ branch of the entropy).
    const rows = [truth[0], [0, 0, 1, 0], [0.25, 0.25, 0.25, 0.25], [2e-5, 1, 0.5, 0.5 - 2e-5]];
    const model = Float64Array.from(rows.flat());
    const m = sim.evaluate(model);
    const H = (p: number[]) => -p.reduce((s, x) => s + (x > 0 ? x * Math.log(x) : 0), 0);
    const hStar = H(truth[0]);
    expect(H(truth[1])).toBeCloseTo(hStar, 14);
    for (let r = 0; r < 2; r++) {
      let l2 = 0,
        kl = 0,
        alive = 0,
        h = 0;
      for (let c = 0; c < 2; c++) {
        const raw = rows[r * 2 + c];
        const q = raw.map((x) => x / raw.reduce((a, b) => a + b));
        const p = truth[c];
        l2 += p.reduce((s, x, v) => s + (q[v] - x) ** 2, 0) / 2;
        kl += p.reduce((s, x, v) => s + x * Math.log(x / ((q[v] + 1e-6) / (1 + 4e-6))), 0) / 2;
        alive += q.filter((x) => x > 0).length / 8;
        h += H(q) / 2;
      }
      expect(m.l2_err[r]).toBeCloseTo(l2, 14);
      expect(m.kl[r]).toBeCloseTo(kl, 12);
      expect(m.support[r]).toBe(alive);
      expect(m.entropy_ratio[r]).toBeCloseTo(h / hStar, 14);
    }
    expect(Array.from(m.support)).toEqual([5 / 8, 1]);
    expect(m.entropy_ratio[0]).toBeCloseTo(0.5, 14);
  });

  it('the same cell key gives bit-identical metrics', () => {
    const a = run({ generations: 4, replicates: 50 }).output;
    const b = run({ generations: 4, replicates: 50 }).output;
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('support never increases under replace without smoothing: a lost token never comes back', () => {
    const params = task.params.parse({ vocab: 10, contexts: 4, samples: 8, replicates: 200 });
    const sim = task.simulation(params, rngFromKey('support', 'setup'));
    const rng = rngFromKey('support', 'sample');
    let model = sim.fit({ parts: [{ batch: sim.real(sim.sampleSize(0), rng, 0) }] }, {});
    let support = sim.evaluate(model).support;
    for (let t = 1; t <= 15; t++) {
      model = sim.fit({ parts: [{ batch: sim.sample(model, sim.sampleSize(t), rng, t - 1) }] }, {});
      const next = sim.evaluate(model).support;
      for (let r = 0; r < params.replicates; r++) expect(next[r]).toBeLessThanOrEqual(support[r]);
      support = next;
    }
    // And the mean support after 15 generations is theory's E[support], within 3 standard
    // errors of the mean over the 200 replicates (SE from their spread).
    const expected = task.theory!({ ...params, generations: 15 }).find((c) => c.metric === 'support')!.values[15];
    const { mean: simulated, se } = meanAndSe(support);
    expect(expected).toBeLessThan(0.5);
    expect(Math.abs(simulated - expected), `support ${simulated} ± ${se} vs theory ${expected}`).toBeLessThan(3 * se);
  });
});

describe('recursive-lm batches', () => {
  const params = task.params.parse({ vocab: 6, contexts: 3, replicates: 2 });
  const sim = task.simulation(params, rngFromKey('layout', 'setup'));
  const rng = rngFromKey('layout', 'sample');

  it('sample j of a replicate belongs to context j mod C, for any n', () => {
    // Context c is a point mass on token 2c (replicate 0) or 2c + 1 (replicate 1).
    const model = new Float64Array(2 * 3 * 6);
    for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) model[(r * 3 + c) * 6 + 2 * c + r] = 1;
    const batch = sim.sample(model, 7, rng, 0) as Batch<TokenData>;
    expect(batch.size).toBe(7);
    expect(Array.from(batch.data.tokens)).toEqual([0, 2, 4, 0, 2, 4, 0, 1, 3, 5, 1, 3, 5, 1]);
  });

  it('sampling follows each row exactly: frequencies within 4 SE, zero-probability tokens never', () => {
    const rows = [
      [0, 0.5, 1e-3, 0, 0.299, 0.2],
      [1, 1, 1, 1, 1, 1], // unnormalized uniform
      [0, 0, 0, 0, 0, 2], // a point mass
    ];
    const model = Float64Array.from([...rows, ...rows].flat());
    const n = 3 * 200_000;
    const { tokens } = (sim.sample(model, n, rng, 0) as Batch<TokenData>).data;
    for (let c = 0; c < 3; c++) {
      const total = rows[c].reduce((a, b) => a + b);
      const counts = new Array(6).fill(0);
      for (let j = c; j < 2 * n; j += 3) counts[tokens[j]]++;
      for (let v = 0; v < 6; v++) {
        const p = rows[c][v] / total;
        const m = 2 * 200_000;
        if (p === 0) expect(counts[v], `context ${c} token ${v}`).toBe(0);
        else expect(Math.abs(counts[v] / m - p), `context ${c} token ${v}`).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / m));
      }
    }
  });

  it('tokens within a context are i.i.d. in storage order, not sorted', () => {
    const uniform = new Float64Array(2 * 3 * 6).fill(1 / 6);
    const { tokens } = (sim.sample(uniform, 3 * 200, rng, 0) as Batch<TokenData>).data;
    let descents = 0;
    for (let j = 3; j < 600; j++) if (tokens[j] < tokens[j - 3]) descents++;
    // For i.i.d. uniform tokens on 6 values, each of the 199 lag-3 comparisons per context is a
    // descent with p = 15/36; neighbouring comparisons share a token, Cov = P(X₃ < X₂ < X₁) − p²
    // = 20/216 − (15/36)², others are independent. Per context Var = 199·p(1−p) + 2·198·Cov
    // ≈ 16.28, so over the 3 contexts mean 597·15/36 = 248.75 and SD ≈ 6.99 (sorted tokens: 0).
    const p = 15 / 36;
    const sd = Math.sqrt(3 * (199 * p * (1 - p) + 2 * 198 * (20 / 216 - p * p)));
    expect(Math.abs(descents - 597 * p), `${descents} descents, SD ${sd}`).toBeLessThanOrEqual(3 * sd);
  });

  it('weights count per token; a context without pool weight is uniform', () => {
    const data = TokenData.fromTokens(Int32Array.from([1, 2, 3, 1, 2, 3, 5, 5, 5, 0, 0, 0]), { replicates: 2, contexts: 3, vocab: 6 });
    const batch: Batch<TokenData> = { origin: 'real', generation: 0, size: 6, data };
    const weights = Float64Array.from([0, 1, 1, 0, 3, 1, 1, 1, 1, 1, 1, 1]);
    const pool: Pool<TokenData> = { parts: [{ batch, weights }] };
    const { counts, totals } = countTokens(pool, 2, 3, 6);
    expect(Array.from(totals)).toEqual([0, 4, 2, 2, 2, 2]);
    const model = sim.fit(pool, {});
    expect(Array.from(model.subarray(0, 6))).toEqual(Array(6).fill(1 / 6)); // context 0: weight 0 only
    expect(Array.from(model.subarray(6, 12))).toEqual([0, 0, 1, 0, 0, 0]); // context 1: token 2, weight 1 + 3
    expect(counts[6 + 2]).toBe(4);
    expect(Array.from(model.subarray(18, 24))).toEqual([0.5, 0, 0, 0, 0, 0.5]); // replicate 1, context 0
    expect(Array.from(poolWeightSums(pool, 2))).toEqual([6, 6]);
  });

  it('a fit that reuses the counts of the previous pool’s batches equals a fresh count', () => {
    const p = task.params.parse({ vocab: 7, contexts: 3, replicates: 5 });
    const reusing = task.simulation(p, rngFromKey('reuse', 'setup'));
    const draw = rngFromKey('reuse', 'real');
    const b = [0, 1, 2, 3].map((g) => reusing.real(3 * (g + 2), draw, g));
    const w = new Float64Array(5 * b[3].size).fill(0.5);
    const pools: Pool<TokenData>[] = [
      { parts: [{ batch: b[0] }] },
      { parts: [{ batch: b[0] }, { batch: b[1] }] }, // accumulate: one new batch
      { parts: [{ batch: b[0] }, { batch: b[1] }, { batch: b[2] }, { batch: b[3], weights: w }] },
      { parts: [{ batch: b[0] }, { batch: b[2] }] }, // not a continuation
      { parts: [{ batch: b[1] }] }, // replace
    ];
    for (const pool of pools) {
      const fresh = task.simulation(p, rngFromKey('reuse', 'setup')).fit(pool, {});
      expect(Array.from(reusing.fit(pool, {}))).toEqual(Array.from(fresh));
    }
  });
});

describe('recursive-lm fit options', () => {
  const params = task.params.parse({ vocab: 50, contexts: 10, samples: 5, replicates: 100 });
  const sim = task.simulation(params, rngFromKey('options', 'setup'));
  const pool = { parts: [{ batch: sim.real(sim.sampleSize(0), rngFromKey('options', 'real'), 0) }] };
  const mean = (a: Float64Array) => a.reduce((s, x) => s + x, 0) / a.length;

  it('smoothing replaces the task parameter; β → ∞ gives the uniform distribution', () => {
    const smoothedSim = task.simulation(task.params.parse({ ...params, smoothing: 1 }), rngFromKey('options', 'setup'));
    expect(Array.from(smoothedSim.fit(pool, { smoothing: 0 }))).toEqual(Array.from(sim.fit(pool, {})));
    expect(Array.from(smoothedSim.fit(pool, {}))).toEqual(Array.from(sim.fit(pool, { smoothing: 1 })));
    const flat = sim.fit(pool, { smoothing: 1e12 });
    for (const x of flat) expect(Math.abs(x - 1 / 50)).toBeLessThan(1e-12);
  });

  it('smoothing_cv picks β > 0 on sparse data (5 tokens per context over 50), which lowers KL', () => {
    const { counts, totals } = countTokens(pool, 100, 10, 50);
    const beta = looSmoothing(counts, totals, 100, 10, 50);
    expect(Math.min(...beta)).toBeGreaterThan(0);
    const klMle = mean(sim.evaluate(sim.fit(pool, {})).kl);
    const klCv = mean(sim.evaluate(sim.fit(pool, { smoothing_cv: 1 })).kl);
    expect(klCv).toBeLessThan(klMle / 2);
    // The fit uses exactly the chosen β: p̂ = (n_v + β)/(N + Vβ).
    const cv = sim.fit(pool, { smoothing_cv: 1 });
    expect(cv[0]).toBeCloseTo((counts[0] + beta[0]) / (totals[0] + 50 * beta[0]), 15);
  });

  it('smoothing_cv maximizes the brute-force leave-one-out log-likelihood over the grid', () => {
    // Two replicates, two contexts, three tokens: hold out each token in turn.
    const counts = Float64Array.from([3, 1, 0, 2, 2, 2, 7, 0, 0, 1, 1, 1]);
    const totals = Float64Array.from([4, 6, 7, 3]);
    const loo = (r: number, b: number) => {
      let s = 0;
      for (let c = 0; c < 2; c++) {
        for (let v = 0; v < 3; v++) {
          const n = counts[(r * 2 + c) * 3 + v];
          for (let i = 0; i < n; i++) s += Math.log((n - 1 + b) / (totals[r * 2 + c] - 1 + 3 * b));
        }
      }
      return s;
    };
    const best = (r: number) => SMOOTHING_GRID.reduce((a, b) => (loo(r, b) > loo(r, a) ? b : a));
    expect(Array.from(looSmoothing(counts, totals, 2, 2, 3))).toEqual([best(0), best(1)]);
    expect(best(0)).toBeGreaterThan(0); // a singleton makes β = 0 score −∞
  });

  it('invalid fit options are errors that name the option', () => {
    expect(() => sim.fit(pool, { smoothing: -1 })).toThrow('fit option smoothing must be a finite number >= 0, got -1');
    expect(() => sim.fit(pool, { smoothing_cv: 2 })).toThrow('fit option smoothing_cv must be 0 or 1, got 2');
    expect(() => sim.fit(pool, { shrinkage: 0.5 })).toThrow(
      'unknown fit option shrinkage for recursive-lm (known: smoothing, smoothing_cv)',
    );
    expect(() => sim.fit(pool, { smoothing: 1, smoothing_cv: 1 })).toThrow(
      'fit options smoothing and smoothing_cv cannot be combined: smoothing_cv = 1 chooses β itself',
    );
  });

  it('a malformed model (e.g. from an estimate hook) is an error that says what is expected', () => {
    expect(() => sim.evaluate(new Float64Array(3))).toThrow(
      'recursive-lm model must be a Float64Array of replicates × contexts × vocab = 50000 probabilities, got a Float64Array of length 3',
    );
    const bad = sim.fit(pool, {});
    bad[7] = -0.5;
    const message = 'invalid recursive-lm model: replicate 0 context 0 has probability -0.5 for token 7 (must be finite and >= 0)';
    expect(() => sim.sample(bad, 10, rngFromKey('options', 'sample'), 0)).toThrow(message);
    expect(() => sim.evaluate(bad)).toThrow(message);
    expect(() => sim.evaluate(new Float64Array(50_000))).toThrow(
      'invalid recursive-lm model: replicate 0 context 0 has probabilities summing to 0',
    );
  });
});

describe('recursive-lm counts and tokens', () => {
  /** Moments over replicates of one column of an R × k matrix (row-major). */
  function moments(x: Float64Array, R: number, k: number, col: number) {
    let mean = 0;
    for (let r = 0; r < R; r++) mean += x[r * k + col] / R;
    let m2 = 0;
    let m4 = 0;
    for (let r = 0; r < R; r++) {
      const d = x[r * k + col] - mean;
      m2 += (d * d) / R;
      m4 += (d * d * d * d) / R;
    }
    const variance = (m2 * R) / (R - 1);
    // SE of the mean, and of the sample variance (√((μ₄ − σ⁴)/R) to first order).
    return { mean, variance, seMean: Math.sqrt(variance / R), seVariance: Math.sqrt(Math.max(m4 - m2 * m2, 0) / R) };
  }

  /**
   * Per replicate: the counts of `row`'s tokens and Pearson's X² = Σ_{p_v > 0} (c_v − n p_v)²/(n p_v),
   * whose mean under Multinomial(n, p) is exactly (positive entries − 1). Columns 0 … V−1 are
   * the counts, column V is X².
   */
  function countTable(counts: (r: number, v: number) => number, R: number, p: number[], n: number): Float64Array {
    const V = p.length;
    const table = new Float64Array(R * (V + 1));
    for (let r = 0; r < R; r++) {
      let x2 = 0;
      for (let v = 0; v < V; v++) {
        const c = counts(r, v);
        table[r * (V + 1) + v] = c;
        if (p[v] > 0) x2 += (c - n * p[v]) ** 2 / (n * p[v]);
      }
      table[r * (V + 1) + V] = x2;
    }
    return table;
  }

  it('counts are Multinomial(n_c, p) by binomials (many trials per token) and by alias draws (few), like token-level draws', () => {
    const R = 4000;
    const rows = [[0, 0.5, 0.1, 0, 0.25, 0.15], [1, 1, 1, 1, 1, 1].map((x) => x / 6)];
    const params = task.params.parse({ vocab: 6, contexts: 2, replicates: R });
    const sim = task.simulation(params, rngFromKey('multinomial', 'setup'));
    const model = new Float64Array(R * 2 * 6);
    for (let r = 0; r < R; r++) model.set(rows.flat(), r * 12);
    const reference = rngFromKey('multinomial', 'reference');
    // n_c = 12 trials per context: alias draws (12 ≤ 8 × positive entries); 200: conditional binomials.
    for (const perContext of [12, 200]) {
      const data = (sim.sample(model, 2 * perContext, rngFromKey('multinomial', `sample ${perContext}`), 0) as Batch<TokenData>).data;
      expect(perContext > BINOMIAL_ROW_FACTOR * 6).toBe(perContext === 200);
      for (let c = 0; c < 2; c++) {
        const p = rows[c];
        const ours = countTable((r, v) => data.counts[(r * 2 + c) * 6 + v], R, p, perContext);
        // Token-level reference: perContext i.i.d. categorical tokens per replicate, counted.
        const tokens = new Float64Array(R * 6);
        for (let r = 0; r < R; r++) for (let i = 0; i < perContext; i++) tokens[r * 6 + reference.categorical(p)]++;
        const theirs = countTable((r, v) => tokens[r * 6 + v], R, p, perContext);
        const what = (v: number) => `n_c = ${perContext}, context ${c}, ${v < 6 ? `token ${v}` : 'Pearson X²'}`;
        for (let r = 0; r < R; r++) {
          let total = 0;
          for (let v = 0; v < 6; v++) total += ours[r * 7 + v];
          expect(total).toBe(perContext);
        }
        for (let v = 0; v <= 6; v++) {
          const a = moments(ours, R, 7, v);
          const b = moments(theirs, R, 7, v);
          if (v < 6 && p[v] === 0) {
            expect(a.mean + a.variance, what(v)).toBe(0);
            continue;
          }
          // Exact moments: E c_v = n p_v, Var c_v = n p_v (1 − p_v); E X² = positive entries − 1.
          const mean = v < 6 ? perContext * p[v] : p.filter((x) => x > 0).length - 1;
          expect(Math.abs(a.mean - mean), `${what(v)} mean ${a.mean} vs ${mean}`).toBeLessThan(4 * a.seMean);
          expect(Math.abs(b.mean - mean), `${what(v)} reference mean ${b.mean} vs ${mean}`).toBeLessThan(4 * b.seMean);
          expect(Math.abs(a.mean - b.mean), what(v)).toBeLessThan(4 * Math.hypot(a.seMean, b.seMean));
          expect(Math.abs(a.variance - b.variance), `${what(v)} variance ${a.variance} vs ${b.variance}`).toBeLessThan(
            4 * Math.hypot(a.seVariance, b.seVariance),
          );
          if (v < 6) {
            const variance = perContext * p[v] * (1 - p[v]);
            expect(Math.abs(a.variance - variance), `${what(v)} variance ${a.variance} vs ${variance}`).toBeLessThan(4 * a.seVariance);
          }
        }
      }
    }
  });

  it('tokens are a uniform arrangement of the counts, made on first read and kept, the same from the same key', () => {
    const params = task.params.parse({ vocab: 6, contexts: 3, replicates: 4 });
    const draw = () =>
      task.simulation(params, rngFromKey('arrange', 'setup')).real(20, rngFromKey('arrange', 'real'), 0) as Batch<TokenData>;
    const { data } = draw();
    // Walking or cloning the data (as harness/guard.ts does) sees only `contexts` and never materializes.
    expect(Object.keys(data)).toEqual(['contexts']);
    expect(structuredClone(data)).toEqual({ contexts: 3 });
    expect(data.arrangements).toBe(0);
    const tokens = data.tokens;
    expect(data.arrangements).toBe(1);
    // Kept: the same array on every later read, arranged once.
    const again = data.tokens;
    expect(again).toBe(tokens);
    expect(data.arrangements).toBe(1);
    expect(again).toEqual(tokens);
    expect(TokenData.fromTokens(tokens, { replicates: 4, contexts: 3, vocab: 6 }).counts).toEqual(data.counts);
    expect(draw().data.tokens).toEqual(tokens);
    // The counts are the batch's own: another key gives other tokens.
    const other = task.simulation(params, rngFromKey('arrange', 'setup')).real(20, rngFromKey('arrange', 'other'), 0) as Batch<TokenData>;
    expect(other.data.tokens).not.toEqual(tokens);
  });

  it('one context: tokens are i.i.d. in storage order (lag-1 descents of a uniform row)', () => {
    const params = task.params.parse({ vocab: 6, contexts: 1, replicates: 3 });
    const sim = task.simulation(params, rngFromKey('iid', 'setup'));
    const uniform = new Float64Array(3 * 6).fill(1 / 6);
    // 2000 tokens per replicate: conditional binomials draw the counts, the shuffle the order.
    const { tokens } = (sim.sample(uniform, 2000, rngFromKey('iid', 'sample'), 0) as Batch<TokenData>).data;
    let descents = 0;
    for (let r = 0; r < 3; r++) for (let j = 1; j < 2000; j++) if (tokens[r * 2000 + j] < tokens[r * 2000 + j - 1]) descents++;
    // As in the round-robin test above: 1999 comparisons per replicate, p = 15/36, neighbours
    // covary by 20/216 − p² (sorted tokens would give 0 descents).
    const p = 15 / 36;
    const sd = Math.sqrt(3 * (1999 * p * (1 - p) + 2 * 1998 * (20 / 216 - p * p)));
    expect(Math.abs(descents - 3 * 1999 * p), `${descents} descents, SD ${sd}`).toBeLessThanOrEqual(3 * sd);
  });

  describe('weighted pools fit as their tokens, weight by weight', () => {
    const R = 50;
    const C = 3;
    const V = 7;
    const params = task.params.parse({ vocab: V, contexts: C, replicates: R });
    const setup = () => task.simulation(params, rngFromKey('weighted', 'setup'));
    const sim = setup();
    const draw = rngFromKey('weighted', 'draw');
    const model = sim.fit({ parts: [{ batch: sim.real(C * 8, draw, 0) }] }, {});
    const batches = () => [sim.real(C * 40, draw, 1), sim.sample(model, C * 40, draw, 1)] as Batch<TokenData>[];

    /** Σ of weights per (replicate, context, token), from the materialized tokens (draws realized as the harness does, densePool). */
    function tokenCounts(pool: Pool<TokenData>): Float64Array {
      const counts = new Float64Array(R * C * V);
      for (const { batch, weights } of densePool(pool, R).parts) {
        const n = batch.size;
        const { tokens } = batch.data;
        for (let r = 0; r < R; r++)
          for (let j = 0; j < n; j++) counts[(r * C + (j % C)) * V + tokens[r * n + j]] += weights ? weights[r * n + j] : 1;
      }
      return counts;
    }

    /** The fit's counts equal the tokens' exactly, and p̂ (β = 0) is their normalization. */
    function expectTokenFit(pool: Pool<TokenData>) {
      const fit = setup().fit(pool, {});
      const counts = tokenCounts(pool);
      expect(Array.from(countTokens(pool, R, C, V).counts)).toEqual(Array.from(counts));
      for (let row = 0; row < R * C; row++) {
        let total = 0;
        for (let v = 0; v < V; v++) total += counts[row * V + v];
        for (let v = 0; v < V; v++) expect(fit[row * V + v]).toBeCloseTo(total > 0 ? counts[row * V + v] / total : 1 / V, 15);
      }
    }

    it('unweighted and constant-weight parts (scaleWeights) use the counts and never make tokens', () => {
      const [a, b] = batches();
      const pool: Pool<TokenData> = { parts: [{ batch: a }, scaleWeights({ batch: b }, 2.5, R)] };
      setup().fit(pool, {});
      expect(a.data.arrangements + b.data.arrangements).toBe(0);
      expectTokenFit(pool);
    });

    it('weights varying per token: arranged for the read, not kept; bernoulliSplit draws never arranged', () => {
      const [a, b] = batches();
      const rng = rngFromKey('weighted', 'method');
      const varying = new Float64Array(R * a.size);
      for (let i = 0; i < varying.length; i++) varying[i] = (i % 5) * 0.25;
      const pools: Pool<TokenData>[] = [
        { parts: bernoulliSplit(a, b, 0.3, R, rng) },
        { parts: [{ batch: a, weights: varying }, { batch: b }] },
      ];
      for (const pool of pools) {
        const before = [a.data.arrangements, b.data.arrangements];
        setup().fit(pool, {});
        setup().fit(pool, {});
        // Arranged once per fit that reads the part token by token, and dropped (two fits: twice);
        // draws are realized in law from the counts (DrawReader).
        expect([a.data.arrangements - before[0], b.data.arrangements - before[1]]).toEqual(pool === pools[0] ? [0, 0] : [2, 0]);
      }
      // Tokens a reader keeps (the getter) are used as they are: no further arrangement.
      const kept = [a.data.tokens, b.data.tokens];
      const arranged = [a.data.arrangements, b.data.arrangements];
      expectTokenFit(pools[1]);
      expect([a.data.arrangements, b.data.arrangements]).toEqual(arranged);
      expect(a.data.arrangedTokens()).toBe(kept[0]);
    });
  });

  describe('compact pools (compactPools: the fit reads draws and subsets as built)', () => {
    const R = 40;
    const C = 3;
    const V = 5;
    const params = task.params.parse({ vocab: V, contexts: C, replicates: R });
    const setup = () => task.simulation(params, rngFromKey('compact', 'setup'));
    const sim = setup();
    const draw = rngFromKey('compact', 'draw');
    const model = sim.fit({ parts: [{ batch: sim.real(C * 6, draw, 0) }] }, {});

    it('the markov simulation declares compactPools', () => {
      expect(sim.compactPools).toBe(true);
    });

    it('draw parts (bernoulliSplit, scaled): the slots taken per (replicate, context) are exactly the harness mask’s, the counts the same per seed, no token arranged', () => {
      const rng = rngFromKey('compact', 'method');
      const real = sim.real(C * 10 + 1, draw, 1);
      const synthetic = sim.sample(model, C * 10 + 1, draw, 1);
      const split = bernoulliSplit(real, synthetic, 0.35, R, rng).map((part) => scaleWeights(part, 1.5, R));
      const n = real.size;
      for (const part of split) {
        const { counts, totals } = countTokens({ parts: [part] }, R, C, V);
        // The harness's mask (partWeights, as the budget counts it) summed per context: K_{r,c}·w.
        const mask = densePool({ parts: [part] }, R).parts[0].weights!;
        const perContext = new Float64Array(R * C);
        for (let r = 0; r < R; r++) for (let j = 0; j < n; j++) perContext[r * C + (j % C)] += mask[r * n + j];
        expect(Array.from(totals)).toEqual(Array.from(perContext));
        // Each count is w × an integer within the batch's own count of that token.
        const source = part.batch.data.counts;
        for (let i = 0; i < counts.length; i++) {
          const k = counts[i] / 1.5;
          expect(Number.isInteger(k) && k >= 0 && k <= source[i], `cell ${i}: ${counts[i]}`).toBe(true);
        }
        expect(Array.from(countTokens({ parts: [part] }, R, C, V).counts)).toEqual(Array.from(counts));
      }
      const pool: Pool<TokenData> = { parts: [{ batch: sim.real(C * 6, draw, 0) }, ...split] };
      expect(Array.from(setup().fit(pool, {}))).toEqual(Array.from(setup().fit(pool, {})));
      const other = bernoulliSplit(real, synthetic, 0.35, R, rngFromKey('compact', 'other'));
      // Read together (the second side reuses the first's mask count) as read alone; a side of
      // another split (same p and size, another seed) after it draws its own mask.
      const alone = (part: PoolPart<TokenData>) => countTokens({ parts: [part] }, R, C, V).counts;
      for (const pair of [split, [split[0], scaleWeights(other[1], 1.5, R)]]) {
        const sum = alone(pair[0]).map((x, i) => x + alone(pair[1])[i]);
        expect(Array.from(countTokens({ parts: pair }, R, C, V).counts)).toEqual(Array.from(sum));
      }
      expect(Array.from(setup().fit({ parts: other }, {}))).not.toEqual(Array.from(setup().fit({ parts: split }, {})));
      expect([real.data.arrangements, synthetic.data.arrangements]).toEqual([0, 0]);
    });

    it('draw parts are realized in law: each token of a context is taken independently with probability p, as by the dense mask (means, variances, covariances within 4 SE)', () => {
      const replicates = 4000;
      // 31 samples: contexts of 11, 10, 10; the tokens of every replicate the same (fromTokens).
      const tokens = [0, 1, 4, 0, 2, 4, 3, 1, 1, 4, 0, 2, 2, 2, 0, 3, 3, 0, 1, 4, 4, 4, 2, 0, 1, 3, 0, 0, 2, 1, 4];
      const batch = (): Batch<TokenData> => {
        const all = new Int32Array(replicates * tokens.length);
        for (let r = 0; r < replicates; r++) all.set(tokens, r * tokens.length);
        return {
          origin: 'real',
          generation: 1,
          size: tokens.length,
          data: TokenData.fromTokens(all, { replicates, contexts: C, vocab: V }),
        };
      };
      const p = 0.35;
      // Side 'first' takes each slot with probability p (picks drawn directly), 'second' with 1 − p (the complement drawn).
      const parts = bernoulliSplit(batch(), batch(), p, replicates, rngFromKey('compact', 'law'));
      const row = countTokens({ parts: [{ batch: parts[0].batch }] }, replicates, C, V).counts.subarray(0, C * V); // n_{c,v}
      for (const [side, part] of parts.entries()) {
        const q = side === 0 ? p : 1 - p;
        const inLaw = countTokens({ parts: [part] }, replicates, C, V).counts;
        const dense = countTokens(densePool({ parts: [part] }, replicates), replicates, C, V).counts;
        for (const [what, counts] of [
          ['in law', inLaw],
          ['dense mask', dense],
        ] as const) {
          const x = (r: number, cell: number) => counts[r * C * V + cell];
          for (let cell = 0; cell < C * V; cell++) {
            // Binomial(n_{c,v}, q): the mask takes each of the cell's samples independently.
            const mean = row[cell] * q;
            const variance = row[cell] * q * (1 - q);
            const m = moments(
              Float64Array.from({ length: replicates }, (_, r) => x(r, cell)),
              replicates,
              1,
              0,
            );
            const label = `${what}, side ${side}, cell ${cell} (n = ${row[cell]}): mean ${m.mean} vs ${mean}, variance ${m.variance} vs ${variance}`;
            expect(Math.abs(m.mean - mean), label).toBeLessThanOrEqual(4 * Math.sqrt(variance / replicates));
            expect(Math.abs(m.variance - variance), label).toBeLessThanOrEqual(4 * m.seVariance + 1e-12);
          }
          // Two tokens of one context are independent (the hypergeometric picks given K, mixed
          // over K ~ Binomial(n_c, q)): covariance 0 within 4 SE, SE = σ_v σ_w / √R.
          for (let c = 0; c < C; c++) {
            for (let v = 0; v < V; v++) {
              for (let w = v + 1; w < V; w++) {
                const a = c * V + v;
                const b = c * V + w;
                let cov = 0;
                for (let r = 0; r < replicates; r++) cov += (x(r, a) - row[a] * q) * (x(r, b) - row[b] * q);
                cov /= replicates;
                const se = Math.sqrt(row[a] * q * (1 - q) * row[b] * q * (1 - q)) / Math.sqrt(replicates);
                expect(Math.abs(cov), `${what}, side ${side}, context ${c}, tokens ${v} and ${w}: covariance ${cov}`).toBeLessThanOrEqual(
                  4 * se,
                );
              }
            }
          }
        }
      }
    });

    it('a batch is read under one draw or token by token: a second way is an error; the same draw re-read (scaled) is not', () => {
      const a = sim.real(C * 5, draw, 1) as Batch<TokenData>;
      const b = sim.sample(model, C * 5, draw, 1) as Batch<TokenData>;
      const one = bernoulliSplit(a, b, 0.5, R, rngFromKey('compact', 'one'));
      const two = bernoulliSplit(a, b, 0.5, R, rngFromKey('compact', 'two'));
      const reader = setup();
      reader.fit({ parts: one }, {});
      reader.fit({ parts: one.map((part) => scaleWeights(part, 3, R)) }, {});
      expect(() => reader.fit({ parts: two }, {})).toThrow(
        /recursive-lm reads a batch's tokens under one Bernoulli draw \(in law, from its counts\) or token by token, not both: a batch read under the draw [0-9a-f]{64} first is now read under the draw [0-9a-f]{64} first/,
      );
      const varying = new Float64Array(R * a.size).map((_, i) => i % 2);
      expect(() => setup().fit({ parts: [...one, { batch: a, weights: varying }] }, {})).toThrow(
        'is now read token by token (per-token weights)',
      );
      // Both sides of one split over the same batch: complementary slots of the same tokens.
      expect(() => setup().fit({ parts: bernoulliSplit(a, a, 0.5, R, rngFromKey('compact', 'same')) }, {})).toThrow(
        'first is now read under the draw',
      );
    });

    /**
     * A union every replicate shares (the same tokens in each), so that a subset's counts are
     * i.i.d. over replicates with exact moments: cell (c, v) holding K of the union's N samples
     * has picks ~ Hypergeometric(N, K, size), mean size·K/N and variance size·(K/N)(1 − K/N)(N − size)/(N − 1).
     */
    function sharedBatch(tokens: number[], replicates: number): Batch<TokenData> {
      const all = new Int32Array(replicates * tokens.length);
      for (let r = 0; r < replicates; r++) all.set(tokens, r * tokens.length);
      return {
        origin: 'synthetic',
        generation: 0,
        size: tokens.length,
        data: TokenData.fromTokens(all, { replicates, contexts: C, vocab: V }),
      };
    }

    it('a subset is realized in law: picked counts per cell have the exact hypergeometric moments, like densePool’s realization', () => {
      const replicates = 4000;
      const bigSim = task.simulation(task.params.parse({ vocab: V, contexts: C, replicates }), rngFromKey('compact', 'setup'));
      // Parts of 7 and 8 samples (not multiples of C): contexts hold 3+3, 2+3, 2+2 = 6, 5, 4 samples.
      const parts = [sharedBatch([0, 1, 4, 0, 2, 4, 3], replicates), sharedBatch([1, 1, 4, 0, 2, 2, 2, 0], replicates)];
      const size = 7;
      const pool = subsample(wholePool(parts), replicates, size, rngFromKey('compact', 'subset'));
      expect(pool.subset?.size).toBe(size);
      const inLaw = countTokens(pool, replicates, C, V);
      const harness = countTokens(densePool(pool, replicates), replicates, C, V);
      expect(countTokens(pool, replicates, C, V).counts).toEqual(inLaw.counts); // same seed, same counts
      const union = countTokens(wholePool(parts), replicates, C, V).counts.subarray(0, C * V); // replicate 0's (every replicate's)
      const N = 15;
      for (let cell = 0; cell < C * V; cell++) {
        const K = union[cell];
        const mean = (size * K) / N;
        const variance = (size * (K / N) * (1 - K / N) * (N - size)) / (N - 1);
        for (const [what, { counts }] of [
          ['in law', inLaw],
          ['densePool', harness],
        ] as const) {
          const x = Float64Array.from({ length: replicates }, (_, r) => counts[r * C * V + cell]);
          const { mean: m } = meanAndSe(x);
          const v = x.reduce((s, y) => s + (y - m) ** 2, 0) / (replicates - 1);
          const label = `${what} cell ${cell} (K = ${K}): mean ${m} vs ${mean}, variance ${v} vs ${variance}`;
          if (K === 0) {
            expect(m + v, label).toBe(0);
            continue;
          }
          expect(Math.abs(m - mean), label).toBeLessThan(4 * Math.sqrt(variance / replicates) + 1e-12);
          // SE of a sample variance: √((μ₄ − σ⁴)/R) ≤ σ²·√(2/R)·2 for these bounded counts (kurtosis ≤ 5).
          if (variance > 0) expect(Math.abs(v - variance), label).toBeLessThan(4 * 2 * variance * Math.sqrt(2 / replicates));
        }
      }
      // Per replicate: exactly `size` picks, never more of a cell than the union holds.
      for (let r = 0; r < replicates; r++) {
        let total = 0;
        for (let cell = 0; cell < C * V; cell++) {
          const x = inLaw.counts[r * C * V + cell];
          expect(x).toBeLessThanOrEqual(union[cell]);
          total += x;
        }
        expect(total).toBe(size);
      }
      // The fit is p̂ of the subset's counts (β = 0): a context with no picks is uniform.
      const fit = bigSim.fit(pool, {});
      for (let row = 0; row < 3 * C; row++) {
        const t = inLaw.totals[row];
        for (let v = 0; v < V; v++) expect(fit[row * V + v]).toBe(t > 0 ? inLaw.counts[row * V + v] / t : 1 / V);
      }
      expect(parts.map((p) => p.data.arrangements)).toEqual([0, 0]); // no token arranged (fromTokens: given)
    });

    it('a subset never arranges tokens, and another seed gives other counts', () => {
      const parts = [sim.real(C * 9, draw, 1), sim.sample(model, C * 9, draw, 1)] as Batch<TokenData>[];
      const one = subsample(wholePool(parts), R, C * 5, rngFromKey('compact', 'a'));
      const two = subsample(wholePool(parts), R, C * 5, rngFromKey('compact', 'b'));
      expect(Array.from(countTokens(one, R, C, V).counts)).not.toEqual(Array.from(countTokens(two, R, C, V).counts));
      setup().fit(one, {});
      expect(parts.map((p) => p.data.arrangements)).toEqual([0, 0]);
      expect(() =>
        setup().fit({ parts: [{ batch: parts[0], weights: new Float64Array(R * parts[0].size).fill(1) }], subset: one.subset }, {}),
      ).toThrow('a pool with a subset needs plain parts (no weights, no draws): harness/types.ts Pool.subset');
    });

    it('running sums: pools that extend the previous one count only their new parts, and fit exactly as from scratch', () => {
      const rng = rngFromKey('compact', 'running');
      // Count how often each batch's counts are read (an own getter shadows the class's).
      const reads = new Map<Batch<TokenData>, number>();
      const watch = (batch: Batch<TokenData>) => {
        const counts = batch.data.counts;
        reads.set(batch, 0);
        Object.defineProperty(batch.data, 'counts', {
          get: () => {
            reads.set(batch, reads.get(batch)! + 1);
            return counts;
          },
        });
        return batch;
      };
      const fresh = () => watch(sim.sample(model, C * 4 + 2, draw, 1) as Batch<TokenData>);
      const b0 = watch(sim.real(C * 4, draw, 0) as Batch<TokenData>);
      // accumulate, generation weighting (two scaled draw parts per round), accumulate-subsample, then unrelated pools.
      const accumulate: Pool<TokenData>[] = [{ parts: [{ batch: b0 }] }];
      for (let t = 1; t <= 3; t++) accumulate.push({ parts: [...accumulate[t - 1].parts, { batch: fresh() }] });
      const weighting: Pool<TokenData>[] = [{ parts: [{ batch: b0 }] }];
      for (let t = 1; t <= 3; t++) {
        const round = bernoulliSplit(fresh(), fresh(), 0.4, R, rng).map((part) => scaleWeights(part, t + 1, R));
        weighting.push({ parts: [...weighting[t - 1].parts, ...round] });
      }
      const subsampled: Pool<TokenData>[] = [{ parts: [{ batch: b0 }] }];
      for (let t = 1; t <= 3; t++) subsampled.push(subsample({ parts: [...subsampled[t - 1].parts, { batch: fresh() }] }, R, C * 4, rng));
      const others: Pool<TokenData>[] = [
        { parts: [{ batch: fresh() }] },
        { parts: bernoulliSplit(fresh(), fresh(), 0.5, R, rng) },
        weighting[2],
        weighting[3],
        weighting[3],
      ];
      const sequence = [...accumulate, ...weighting, ...subsampled, ...others];
      const reusing = setup();
      const fits = sequence.map((pool) => Array.from(reusing.fit(pool, {})));
      // A batch's counts are read when a pool adds it: new parts only while pools continue. A
      // one-part pool is not kept (replace would copy it for nothing), so b0 is read by each of
      // the three one-part pools and the two-part pools after them (6), and once more when
      // weighting[2] follows unrelated pools (7); the weighting rounds are read again then (2),
      // weighting[3] continuing weighting[2] and its repeat adding nothing; every other batch once.
      const rounds = new Set(weighting[3].parts.slice(1).map((part) => part.batch));
      expect(reads.get(b0)).toBe(7);
      for (const [batch, n] of reads) if (batch !== b0) expect(n).toBe(rounds.has(batch) ? 2 : 1);
      // Draw parts are realized in law from the counts, never arranged.
      for (const batch of rounds) expect(batch.data.arrangements).toBe(0);
      // Bit-identical to a fit from scratch (a fresh simulation per pool).
      sequence.forEach((pool, i) => {
        expect(fits[i], `pool ${i}`).toEqual(Array.from(setup().fit(pool, {})));
      });
    });
  });

  it('a pool of draw parts (fresh-data-mixing, split = random) is bit-identical run to run', () => {
    const taskParams = task.params.parse({ samples: 30, generations: 4, replicates: 40 });
    const methodParams = freshDataMixing.params.parse({ alpha: 0.4, split: 'random' });
    const key: CellKey = { task: task.id, taskParams, method: freshDataMixing.id, methodParams, seed: 3 };
    const first = JSON.stringify(runGenerational(task, freshDataMixing, key));
    expect(JSON.stringify(runGenerational(task, freshDataMixing, key))).toBe(first);
  });
});
