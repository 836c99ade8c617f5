/**
 * adaptive-regularization: the λ_t schedule, the fit options it hands each task, and, through
 * the real CLI, that it beats `replace` on every task it applies to and that a fixed ridge
 * shows the U-shape in λ that motivates adapting it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import method, { TASK_CONSTANT, scalingLambda, type AdaptiveRegularizationParams } from './method.ts';
import gaussianChain from '../../benchmarks/gaussian-chain/task.ts';
import regression from '../../benchmarks/regression/task.ts';
import recursiveLm from '../../benchmarks/recursive-lm/task.ts';
import { ROOT } from '../../harness/registry.ts';
import { runGenerational } from '../../harness/loop.ts';
import { paramInfo } from '../../harness/params.ts';
import type { FitContext, TaskDefinition } from '../../harness/types.ts';
import type { ResultRecord } from '../../harness/schema.ts';
import type { Scores } from '../../harness/scoring.ts';

const defaults = method.params.parse({});
const params = (over: Partial<AdaptiveRegularizationParams> = {}) => ({ ...defaults, ...over });
const fit = (task: string, t: number, size: number, over: Partial<AdaptiveRegularizationParams> = {}) =>
  method.hooks.fit!({ task, t, size, replicates: 1, taskParams: {} } satisfies FitContext, params(over));

describe('parameters', () => {
  it('every field has a default and a description; the default rule is scaling with ℓ = 1', () => {
    for (const p of paramInfo(method.params)) {
      expect(p.default, p.name).not.toBeUndefined();
      expect(p.description, p.name).not.toBe('');
    }
    expect(defaults).toEqual({ rule: 'scaling', scale: 1, exponent: 1, lambda: 0.1 });
  });
});

describe('the scaling rule λ_t = scale · c_task · ((t+1)/n_t)^ℓ', () => {
  it('matches the formula', () => {
    for (const [t, n, scale, exponent] of [[0, 50, 1, 1], [7, 50, 2, 1], [20, 100, 0.5, 0.5], [3, 2000, 1, 0.75]]) {
      expect(scalingLambda(t, n, 4, { scale, exponent })).toBeCloseTo(scale * 4 * Math.pow((t + 1) / n, exponent), 14);
    }
    expect(scalingLambda(9, 50, 4, { scale: 1, exponent: 1 })).toBeCloseTo(0.8, 14);
  });

  it('grows with the generation index and falls with the sample size', () => {
    const p = { scale: 1, exponent: 0.8 };
    for (let t = 0; t < 30; t++) expect(scalingLambda(t + 1, 50, 1, p)).toBeGreaterThan(scalingLambda(t, 50, 1, p));
    expect(scalingLambda(5, 100, 1, p)).toBeLessThan(scalingLambda(5, 50, 1, p));
  });
});

describe('fit options per task', () => {
  it('regression: ridge λ_t, ridge_gcv, or a fixed ridge', () => {
    for (const t of [0, 1, 5, 20]) expect(fit('regression', t, 50)).toEqual({ ridge: (TASK_CONSTANT.regression * (t + 1)) / 50 });
    expect(fit('regression', 9, 100, { scale: 0.5, exponent: 0.5 }).ridge).toBeCloseTo(0.5 * TASK_CONSTANT.regression * Math.sqrt(0.1), 14);
    expect(fit('regression', 3, 50, { rule: 'gcv' })).toEqual({ ridge_gcv: 1 });
    expect(fit('regression', 3, 50, { rule: 'fixed', lambda: 0.3 })).toEqual({ ridge: 0.3 });
  });

  it('recursive-lm: smoothing β_t = c_task·(t+1) for ℓ = 1 whatever n_t, smoothing_cv, or a fixed β', () => {
    for (const [t, n] of [[0, 2000], [4, 2000], [20, 500]]) expect(fit('recursive-lm', t, n).smoothing).toBeCloseTo(TASK_CONSTANT['recursive-lm'] * (t + 1), 14);
    expect(fit('recursive-lm', 3, 2000, { exponent: 0.5 }).smoothing).toBeCloseTo(TASK_CONSTANT['recursive-lm'] * Math.sqrt(4 * 2000), 10);
    expect(fit('recursive-lm', 3, 2000, { rule: 'gcv' })).toEqual({ smoothing_cv: 1 });
    expect(fit('recursive-lm', 3, 2000, { rule: 'fixed', lambda: 2 })).toEqual({ smoothing: 2 });
  });

  it('gaussian-chain: shrinkage s_t = λ_t/(1+λ_t) towards the generation-0 fit; gcv falls back to it', () => {
    for (const t of [0, 1, 5, 20]) {
      const l = (TASK_CONSTANT['gaussian-chain'] * (t + 1)) / 20;
      expect(fit('gaussian-chain', t, 20).shrinkage).toBeCloseTo(l / (1 + l), 14);
      expect(fit('gaussian-chain', t, 20, { rule: 'gcv' })).toEqual(fit('gaussian-chain', t, 20));
    }
    expect(fit('gaussian-chain', 3, 20, { rule: 'fixed', lambda: 0.4 })).toEqual({ shrinkage: 0.4 });
    expect(() => fit('gaussian-chain', 3, 20, { rule: 'fixed', lambda: 2 })).toThrow('adaptive-regularization: lambda is the shrinkage s on gaussian-chain and must be <= 1, got 2');
  });

  it('applies to the three tasks it knows and skips any other with a reason', () => {
    for (const task of [gaussianChain, regression, recursiveLm]) expect(method.skip!(task)).toBeUndefined();
    expect(method.skip!({ ...regression, id: 'char-lm' })).toBe('adaptive-regularization knows the fit options of regression, recursive-lm, gaussian-chain only, not char-lm');
  });

  it('every rule’s options are accepted by the task and give finite metrics (tiny chains)', () => {
    const tasks: [TaskDefinition<any>, Record<string, unknown>][] = [
      [gaussianChain, { generations: 3, replicates: 20 }],
      [regression, { generations: 3, replicates: 20 }],
      [recursiveLm, { generations: 3, replicates: 4 }],
    ];
    for (const [task, over] of tasks) {
      for (const rule of ['scaling', 'gcv', 'fixed'] as const) {
        const key = { task: task.id, taskParams: task.params.parse(over), method: method.id, methodParams: params({ rule }), seed: 0 };
        const { metrics } = runGenerational(task, method, key);
        for (const series of Object.values(metrics)) for (const v of series.mean) expect(Number.isFinite(v), `${task.id} ${rule}`).toBe(true);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------
// End to end, through the collapse-bench CLI

const BIN = join(ROOT, 'bin', 'collapse-bench.js');
const work = mkdtempSync(join(tmpdir(), 'adaptive-regularization-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function runJson(args: string[]): Promise<{ records: ResultRecord[]; scores: Scores }> {
  const { stdout } = await promisify(execFile)('node', [BIN, 'run', '--json', '--jobs', '2', ...args], { cwd: ROOT, maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1' } });
  return JSON.parse(stdout);
}

describe('end to end at the quick profile', () => {
  // Measured (3 seeds): gaussian-chain 0.69, regression 0.26, recursive-lm 0.48 (README.md).
  it('beats replace on every task it applies to: normalized collapse area below 0.8, interval included', async () => {
    const { records, scores } = await runJson([
      ...['gaussian-chain', 'regression', 'recursive-lm'].flatMap((t) => ['--task', t]),
      ...['replace', 'real-only', 'adaptive-regularization'].flatMap((m) => ['--method', m]),
      '--seeds', '2', '--out', join(work, 'quick'),
    ]);
    expect(records.every((r) => r.status === 'ok')).toBe(true);
    for (const task of ['gaussian-chain', 'regression', 'recursive-lm']) {
      const row = scores.settings.find((s) => s.task === task && s.entry === 'adaptive-regularization')!;
      expect(row.normalized, task).toBeLessThan(0.8);
      expect(row.normalizedCi!.high, task).toBeLessThan(0.8);
      const replace = scores.settings.find((s) => s.task === task && s.entry === 'replace')!;
      expect(row.final!, task).toBeLessThan(replace.final!);
    }
  });

  it('regression, fixed ridge: the last generation’s excess risk falls, then rises, over λ (interior minimum)', async () => {
    // The README's sweep command, at a small setting (σ = 0.5, 10 generations, one seed).
    const lambdas = [0, 0.01, 0.03, 0.1, 0.3, 1];
    const { records } = await runJson([
      '--task', 'regression', '--method', 'adaptive-regularization',
      '--set', 'adaptive-regularization.rule=fixed', '--set', `adaptive-regularization.lambda=${lambdas.join(',')}`,
      '--set', 'noise=0.5', '--set', 'generations=10', '--seeds', '1', '--out', join(work, 'sweep'),
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
