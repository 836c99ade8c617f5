/**
 * pcpo: the proportionate-credit σ̃ (every stochastic step ends with the same gradient weight,
 * the mean native one), the fact it rests on (the native η = 1 std minimizes a step's weight
 * over the DDIM family), the log-hinge objective, and metadata.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import method, { proportionateCredit } from './method.ts';
import grpo from '../../baselines/grpo/method.ts';
import { formatProblem, validateMethods } from '../../harness/validate-methods.ts';
import { loadBackend, tfjs } from '../../harness/backend.ts';
import { ddimCoefficient, ddimSchedule, ddimSigma, linearSchedule, type DdimSchedule } from '../../benchmarks/diffusion/ddpm.ts';
import task, { leadingDdimSchedule } from '../../benchmarks/diffusion-align/task.ts';
import type { CreditContext } from '../../harness/types.ts';
import type { PolicyObjectiveContext } from '../../benchmarks/diffusion-align/task.ts';

const folder = dirname(fileURLToPath(import.meta.url));
const root = resolve(folder, '../..');

/** The credit context diffusion-align builds for T diffusion steps and S sampler steps (uniform spacing, or `ddim`). */
function creditContext(T: number, S: number, ddim: DdimSchedule = ddimSchedule(linearSchedule(T), S)): CreditContext {
  return {
    task: 'diffusion-align',
    taskParams: {},
    steps: S,
    nativeSigma: Float64Array.from({ length: S }, (_, i) => ddimSigma(ddim, i, 1)),
    maxSigma: Float64Array.from({ length: S }, (_, i) => Math.sqrt(1 - ddim.alphaBarPrev[i])),
    weight: (i, sigma) => ddimCoefficient(ddim, i, sigma) / sigma,
  };
}

beforeAll(async () => {
  await loadBackend('wasm');
});

describe(method.id, () => {
  it('has valid metadata: README front matter, parameters and hooks', async () => {
    const [report] = await validateMethods(root, [folder], { run: false });
    expect(report.problems.map(formatProblem)).toEqual([]);
  });

  it.each([
    [100, 20],
    [1000, 50],
    [50, 50],
  ])('the native std minimizes each step’s weight C(σ)/σ (T = %i, %i sampler steps)', (T, S) => {
    const ctx = creditContext(T, S);
    for (let i = 0; i < S - 1; i++) {
      const native = ctx.nativeSigma[i];
      const w = ctx.weight(i, native);
      for (const f of [0.5, 0.9, 0.99, 1.01, 1.1]) {
        const sigma = native * f;
        if (sigma <= ctx.maxSigma[i]) expect(ctx.weight(i, sigma)).toBeGreaterThan(w);
      }
    }
    expect(ctx.nativeSigma[S - 1]).toBe(0);
  });

  it.each([
    [100, 20],
    [1000, 50],
  ])('gives every stochastic step the mean native weight (T = %i, %i sampler steps)', (T, S) => {
    const ctx = creditContext(T, S);
    const native = Array.from({ length: S - 1 }, (_, i) => ctx.weight(i, ctx.nativeSigma[i]));
    const mean = native.reduce((a, b) => a + b) / native.length;
    // Disproportionate to begin with: the native weights spread by more than 50%.
    expect(Math.max(...native) / Math.min(...native)).toBeGreaterThan(1.5);
    const { sigma, scale, target } = proportionateCredit(ctx);
    expect(target).toBeCloseTo(mean, 12);
    let moved = 0;
    for (let i = 0; i < S - 1; i++) {
      expect(scale[i] * ctx.weight(i, sigma[i])).toBeCloseTo(target, 9);
      expect(sigma[i]).toBeGreaterThan(0);
      expect(sigma[i]).toBeLessThanOrEqual(ctx.nativeSigma[i]);
      if (scale[i] === 1) {
        moved++;
        expect(sigma[i]).toBeLessThan(ctx.nativeSigma[i] * (1 - 1e-6));
      } else {
        expect(sigma[i]).toBe(ctx.nativeSigma[i]);
        expect(scale[i]).toBeLessThan(1);
      }
    }
    // Both mechanisms are used: most steps get a smaller σ, the heaviest ones a factor.
    expect(moved).toBeGreaterThan((S - 1) / 2);
    expect(moved).toBeLessThan(S - 1);
    expect(sigma[S - 1]).toBe(0);
  });

  it('on the diffusion-align protocol: w̄ = 1.88, σ̃ at 0.25–0.72 of the native σ on 18 steps, the last one (w = 17.6) scaled by 0.107', () => {
    const p = task.params.parse({});
    const ctx = creditContext(
      p.diffusion_steps,
      p.sampler_steps,
      leadingDdimSchedule(linearSchedule(p.diffusion_steps, p.beta_min, p.beta_max), p.sampler_steps),
    );
    const { sigma, scale, target } = proportionateCredit(ctx);
    expect(target).toBeCloseTo(1.8815, 4);
    const ratios = Array.from({ length: 18 }, (_, i) => sigma[i] / ctx.nativeSigma[i]);
    expect(Math.min(...ratios)).toBeCloseTo(0.251, 3);
    expect(Math.max(...ratios)).toBeCloseTo(0.716, 3);
    expect(ratios.filter((r) => r < 0.5).length).toBe(17);
    expect(sigma[18]).toBe(ctx.nativeSigma[18]);
    expect(scale[18]).toBeCloseTo(target / 17.572, 3);
  });

  it('ablations: credit=scale keeps the native σ with every weight scaled to w̄; credit=native changes nothing', () => {
    const ctx = creditContext(100, 20);
    const { target } = proportionateCredit(ctx);
    const scaled = method.hooks.credit!(ctx, method.params.parse({ credit: 'scale' }));
    const native = method.hooks.credit!(ctx, method.params.parse({ credit: 'native' }));
    for (let i = 0; i < 19; i++) {
      expect(scaled.sigma[i]).toBe(ctx.nativeSigma[i]);
      expect(scaled.scale![i] * ctx.weight(i, scaled.sigma[i])).toBeCloseTo(target, 9);
      expect(native.sigma[i]).toBe(ctx.nativeSigma[i]);
      expect(native.scale![i]).toBe(1);
    }
  });

  it('minimizes the log-hinge mean max(0, ξ|A| − A·log ρ); grpo the clipped ratio objective', () => {
    const tf = tfjs();
    const ctx = creditContext(100, 20);
    const logRatio = [
      [0.5, -0.1, 0],
      [0.05, 0.3, -0.4],
    ];
    const advantages = [1, -2, 0.5];
    const objectiveCtx = (): PolicyObjectiveContext => ({
      tf,
      logRatio: tf.tensor2d(logRatio),
      advantages: tf.tensor1d(advantages),
      epoch: 1,
      update: 0,
    });
    const value = (m: typeof method | typeof grpo, params: Record<string, unknown>) =>
      tf.tidy(() => (m.hooks.credit!(ctx, params as never).objective(objectiveCtx()) as ReturnType<typeof tf.scalar>).dataSync()[0]);
    const xi = 0.2;
    let hinge = 0;
    let clipped = 0;
    for (const row of logRatio) {
      row.forEach((l, n) => {
        const a = advantages[n];
        hinge += Math.max(0, xi * Math.abs(a) - a * l) / 6;
        const r = Math.exp(l);
        clipped -= Math.min(r * a, Math.min(Math.max(r, 0.8), 1.2) * a) / 6;
      });
    }
    expect(value(method, { xi })).toBeCloseTo(hinge, 6);
    expect(value(grpo, { clip: 0.2 })).toBeCloseTo(clipped, 6);
  });
});
