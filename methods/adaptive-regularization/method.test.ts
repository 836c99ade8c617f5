/**
 * adaptive-regularization: the penalty's formula, the contract it relies on (fit options and
 * known quantities declared by the task), and the paper's claim in the paper's setting
 * (Dohmatob et al.: least-squares generators, a regularized downstream model), through the
 * loop and through the real CLI.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import method, { equivalentNoise, ridgePenalty, type AdaptiveRegularizationParams } from './method.ts';
import gaussianChain from '../../benchmarks/gaussian-chain/task.ts';
import regression from '../../benchmarks/regression/task.ts';
import recursiveLm from '../../benchmarks/recursive-lm/task.ts';
import replace from '../../baselines/replace/method.ts';
import { ROOT, inapplicableReason } from '../../harness/registry.ts';
import { runGenerational } from '../../harness/generations.ts';
import { paramInfo } from '../../harness/params.ts';
import { rngFromKey } from '../../harness/rng.ts';
import type { CellState, FitContext, AnyMethod } from '../../harness/types.ts';
import type { ResultRecord } from '../../harness/schema.ts';
import type { Scores } from '../../harness/scoring.ts';

const defaults = method.params.parse({});
const params = (over: Partial<AdaptiveRegularizationParams> = {}) => ({ ...defaults, ...over });
const KNOWN = { dim: 10, noise_variance: 1, synthetic_noise_variance: 1, signal_norm2: 1 };
const context = (sampleSizes: number[], known: Record<string, number> = KNOWN): FitContext & CellState<undefined> => ({
  t: sampleSizes.length - 1,
  size: sampleSizes.at(-1)!,
  sampleSizes,
  replicates: 1,
  task: 'regression',
  taskParams: {},
  known,
  rng: rngFromKey('adaptive-regularization-test', 'fit'),
  state: undefined,
});
const fitOptions = (sampleSizes: number[], over: Partial<AdaptiveRegularizationParams> = {}, known?: Record<string, number>) =>
  method.hooks.fit!(context(sampleSizes, known), params(over));

describe('parameters', () => {
  it('every field has a default and a description; the default rule is the adaptive one at scale 1', () => {
    for (const p of paramInfo(method.params)) {
      expect(p.default, p.name).not.toBeUndefined();
      expect(p.description, p.name).not.toBe('');
    }
    expect(defaults).toEqual({ rule: 'adaptive', scale: 1, lambda: 0.1 });
  });
});

describe('the penalty λ_t = σ_t²d/(n_t‖w₀‖²)', () => {
  it('σ_t² = σ² + tσ₀² at constant n; the paper’s σ² + nσ₀²T/T₀ when the learner’s n differs from the generators’', () => {
    for (const t of [0, 1, 7])
      expect(equivalentNoise(Array(t + 1).fill(200), { noise_variance: 1, synthetic_noise_variance: 0.25 })).toBeCloseTo(1 + 0.25 * t, 12);
    // Real fit and generators on T₀ = 100, learner on T = 400 after 3 generators: n_t·(σ²/T₀ + 2σ₀²/T₀ + σ₀²/T).
    expect(equivalentNoise([100, 100, 100, 400], { noise_variance: 1, synthetic_noise_variance: 1 })).toBeCloseTo(
      400 * (3 / 100 + 1 / 400),
      12,
    );
  });

  it('adaptive grows linearly in t at constant n and equals the classical single-fit optimum σ²d/(n‖w₀‖²) at t = 0', () => {
    const sizes = (t: number) => Array(t + 1).fill(200);
    expect(ridgePenalty('adaptive', sizes(0), KNOWN, 1)).toBeCloseTo(10 / 200, 14);
    expect(ridgePenalty('classical', sizes(9), KNOWN, 1)).toBeCloseTo(10 / 200, 14);
    for (const t of [1, 4, 10]) expect(ridgePenalty('adaptive', sizes(t), KNOWN, 1)).toBeCloseTo(((t + 1) * 10) / 200, 12);
    expect(ridgePenalty('adaptive', sizes(4), { ...KNOWN, signal_norm2: 4 }, 0.5)).toBeCloseTo((0.5 * 5 * 10) / (200 * 4), 12);
  });

  it('hands the task ridge λ_t, ridge_gcv or a fixed ridge', () => {
    expect(fitOptions([200, 200, 200])).toEqual({ ridge: (3 * 10) / 200 });
    expect(fitOptions([200, 200, 200], { rule: 'classical' })).toEqual({ ridge: 10 / 200 });
    expect(fitOptions([200], { rule: 'gcv' })).toEqual({ ridge_gcv: 1 });
    expect(fitOptions([200], { rule: 'fixed', lambda: 0.3 })).toEqual({ ridge: 0.3 });
  });

  it('a task without the known quantities is an error naming the missing one', () => {
    expect(() => fitOptions([200], {}, { dim: 10, noise_variance: 1, synthetic_noise_variance: 1 })).toThrow(
      'adaptive-regularization: task regression known quantity signal_norm2:',
    );
  });
});

describe('applicability follows from what tasks declare', () => {
  it('applies to regression; tasks without ridge options are skipped with the reason', () => {
    expect(inapplicableReason(regression, method)).toBeUndefined();
    expect(inapplicableReason(gaussianChain, method)).toBe('task gaussian-chain has no fit options ridge, ridge_gcv');
    expect(inapplicableReason(recursiveLm, method)).toBe('task recursive-lm has no fit options ridge, ridge_gcv');
    const { known: _known, ...withoutKnown } = regression;
    expect(inapplicableReason(withoutKnown as typeof regression, method)).toBe(
      'task regression does not declare the known quantities dim, noise_variance, synthetic_noise_variance, signal_norm2',
    );
  });
});

// ---------------------------------------------------------------------------------------
// The paper's claim in the paper's setting: d = 10, T = T₀ = 200, σ = σ₀ = 1, Σ = I,
// 10 synthetic generations (README "Reproduction"; the README's numbers use 4000 chains).

function finalExcess(entry: AnyMethod, over: Partial<AdaptiveRegularizationParams> | undefined, labeller: 'ols' | 'learner') {
  const taskParams = regression.params.parse({ dim: 10, samples: 200, generations: 10, replicates: 1500, labeller });
  const key = { task: regression.id, taskParams, method: entry.id, methodParams: over ? params(over) : {}, seed: 0 };
  const { mean, se } = runGenerational(regression, entry, key).metrics.excess_risk;
  return {
    mean: mean.at(-1)!,
    se: se.at(-1)!,
    oracle: regression.theory!(taskParams)
      .find((c) => c.label.startsWith('oracle'))
      ?.values.at(-1),
  };
}

describe('Dohmatob et al.’s setting: OLS generators, ridge downstream', () => {
  const ols = finalExcess(replace, undefined, 'ols');
  const adaptive = finalExcess(method, {}, 'ols');
  const classical = finalExcess(method, { rule: 'classical' }, 'ols');

  it('least squares matches the closed form (t+1)σ²d/(T−d−1) = 0.582', () => {
    expect(Math.abs(ols.mean - 110 / 189) / ols.se).toBeLessThan(3);
  });

  it('the adaptive penalty beats least squares by a wide margin and comes within 5% (+3 SE) of the oracle scalar shrinkage', () => {
    expect(adaptive.mean).toBeLessThan(0.75 * ols.mean);
    expect(Math.abs(adaptive.mean - adaptive.oracle!)).toBeLessThan(0.05 * adaptive.oracle! + 3 * adaptive.se);
  });

  it('the classical (non-adaptive) optimum recovers much less of the gap than the adaptive one', () => {
    expect(classical.mean).toBeLessThan(ols.mean);
    expect(classical.mean - adaptive.mean).toBeGreaterThan(10 * Math.hypot(classical.se, adaptive.se));
  });

  it('self-consuming regime (the ridge model labels the next generation): the same penalty compounds and loses to least squares', () => {
    const selfConsuming = finalExcess(method, {}, 'learner');
    const olsLearner = finalExcess(replace, undefined, 'learner');
    expect(selfConsuming.mean - olsLearner.mean).toBeGreaterThan(10 * Math.hypot(selfConsuming.se, olsLearner.se));
  });
});

// ---------------------------------------------------------------------------------------
// End to end, through the collapse-bench CLI

const BIN = join(ROOT, 'bin', 'collapse-bench.js');
const work = mkdtempSync(join(tmpdir(), 'adaptive-regularization-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function runJson(args: string[]): Promise<{ records: ResultRecord[]; scores: Scores }> {
  const { stdout } = await promisify(execFile)('node', [BIN, 'run', '--json', '--jobs', '2', ...args], {
    cwd: ROOT,
    maxBuffer: 1 << 28,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return JSON.parse(stdout);
}

describe('end to end', () => {
  it('quick profile: beats replace on regression (normalized collapse area, interval included)', async () => {
    const { records, scores } = await runJson([
      '--task',
      'regression',
      ...['replace', 'real-only', 'adaptive-regularization'].flatMap((m) => ['--method', m]),
      '--seeds',
      '2',
      '--out',
      join(work, 'quick'),
    ]);
    expect(records.every((r) => r.status === 'ok')).toBe(true);
    const row = scores.settings.find((s) => s.task === 'regression' && s.entry === 'adaptive-regularization')!;
    expect(row.normalizedCi!.high).toBeLessThan(0.8);
    const replaceRow = scores.settings.find((s) => s.task === 'regression' && s.entry === 'replace')!;
    expect(row.final!).toBeLessThan(replaceRow.final!);
  });

  it('fixed ridge on the downstream model: the last generation’s excess risk falls, then rises, over λ (interior minimum)', async () => {
    // The README's sweep command, at a small setting (σ = 0.5, 10 generations, one seed).
    const lambdas = [0, 0.03, 0.1, 0.3, 1, 3, 10];
    const { records } = await runJson([
      '--task',
      'regression',
      '--method',
      'adaptive-regularization',
      '--set',
      'adaptive-regularization.rule=fixed',
      '--set',
      `adaptive-regularization.lambda=${lambdas.join(',')}`,
      '--set',
      'noise=0.5',
      '--set',
      'generations=10',
      '--seeds',
      '1',
      '--out',
      join(work, 'sweep'),
    ]);
    const last = lambdas.map((lambda) => {
      const r = records.find((rec) => rec.key.methodParams.lambda === lambda)!;
      const { mean, se } = r.metrics.excess_risk;
      return { mean: mean.at(-1)!, se: se.at(-1)! };
    });
    const best = last.reduce((b, x, i) => (x.mean < last[b].mean ? i : b), 0);
    expect(best).toBeGreaterThan(0);
    expect(best).toBeLessThan(lambdas.length - 1);
    for (let i = 0; i < best; i++) expect(last[i + 1].mean).toBeLessThan(last[i].mean);
    for (let i = best; i < last.length - 1; i++) expect(last[i + 1].mean).toBeGreaterThan(last[i].mean);
    for (const end of [last[0], last.at(-1)!]) expect((end.mean - last[best].mean) / Math.hypot(end.se, last[best].se)).toBeGreaterThan(5);
  });
});
