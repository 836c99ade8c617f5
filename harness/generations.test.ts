/**
 * The generational loop's pool contract: ctx.history only for methods that declare it, recipes
 * (a pool's subset, a part's draw) checked with reasons, and the real-data budget counted once
 * per part however long a pool keeps it.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import gaussianChain from '../benchmarks/gaussian-chain/task.ts';
import { runGenerational } from './generations.ts';
import { bernoulliSplit, wholePool } from './pool.ts';
import { defineMethod, type Pool, type PoolContext } from './types.ts';

const method = (pool: (ctx: PoolContext<unknown>) => Pool<unknown>, needs?: { history?: boolean }) =>
  defineMethod({ id: 'probe', title: 'probe', kind: 'method', summary: '', papers: [], params: z.object({}), hooks: { pool }, needs });

const cell = (m: ReturnType<typeof method>, over: Record<string, unknown> = { generations: 3, replicates: 4, samples: 5 }) =>
  runGenerational(gaussianChain, m, {
    task: gaussianChain.id,
    taskParams: gaussianChain.params.parse(over),
    method: m.id,
    methodParams: {},
    seed: 0,
  });

describe('ctx.history', () => {
  it('fails the cell, saying why, for a method that reads it without declaring needs: { history: true }', () => {
    expect(() => cell(method((ctx) => wholePool([...ctx.history])))).toThrow(
      'method probe read ctx.history without declaring needs: { history: true }',
    );
  });

  it('holds every batch drawn so far, in order, for a method that declares it; ctx.initial is the generation-0 batch', () => {
    const seen: string[][] = [];
    cell(
      method(
        (ctx) => {
          const fresh = ctx.synthetic(ctx.size);
          expect(ctx.history[0]).toBe(ctx.initial);
          seen.push(ctx.history.map((b) => `${b.origin}${b.generation}`));
          return { parts: [{ batch: fresh }] };
        },
        { history: true },
      ),
    );
    expect(seen).toEqual([
      ['real0', 'synthetic0'],
      ['real0', 'synthetic0', 'synthetic1'],
      ['real0', 'synthetic0', 'synthetic1', 'synthetic2'],
    ]);
  });
});

describe('recipes are checked with a reason', () => {
  const seed = 'b'.repeat(64);
  it.each([
    [
      'a draw with p outside [0, 1]',
      (ctx: PoolContext<unknown>): Pool<unknown> => ({
        parts: [{ batch: ctx.synthetic(ctx.size), draw: { kind: 'bernoulli', seed, p: 2, side: 'first', weight: 1 } }],
      }),
      'has an invalid draw',
    ],
    [
      'a draw with a seed that is not 64 hex digits',
      (ctx: PoolContext<unknown>): Pool<unknown> => ({
        parts: [{ batch: ctx.synthetic(ctx.size), draw: { kind: 'bernoulli', seed: 'x', p: 0.5, side: 'first', weight: 1 } }],
      }),
      'has an invalid draw',
    ],
    [
      'weights and a draw on one part',
      (ctx: PoolContext<unknown>): Pool<unknown> => ({
        parts: [
          {
            batch: ctx.synthetic(ctx.size),
            weights: new Float64Array(20).fill(1),
            draw: { kind: 'bernoulli', seed, p: 0.5, side: 'first', weight: 1 },
          },
        ],
      }),
      'has both weights and a draw',
    ],
    [
      'a subset larger than the pool',
      (ctx: PoolContext<unknown>): Pool<unknown> => ({ parts: [{ batch: ctx.synthetic(ctx.size) }], subset: { size: 99, seed } }),
      'has an invalid subset',
    ],
    [
      'a subset over weighted parts',
      (ctx: PoolContext<unknown>): Pool<unknown> => ({
        parts: [{ batch: ctx.synthetic(ctx.size), weights: new Float64Array(20).fill(1) }],
        subset: { size: 2, seed },
      }),
      'a subset over weighted parts',
    ],
  ])('%s', (_, pool, reason) => {
    expect(() => cell(method(pool))).toThrow(reason);
  });
});

describe('the real-data budget', () => {
  it('counts a drawn real part once, however many generations the pool keeps it (generation-weighting style)', () => {
    const R = 2000;
    const n = 5;
    let kept: Pool<unknown>['parts'] = [];
    const out = cell(
      method((ctx) => {
        // Round t: a Bernoulli(0.3) split of fresh real and synthetic slots, kept for good.
        kept = [...ctx.previous.parts, ...bernoulliSplit(ctx.real(n), ctx.synthetic(n), 0.3, ctx.replicates, ctx.rng)];
        return { parts: kept };
      }),
      { generations: 4, replicates: R, samples: n },
    );
    // Σ_{t=1..4} Binomial(n, 0.3) real slots per chain: mean 4·n·0.3 = 6, SE √(4·n·0.21/R).
    expect(Math.abs(out.realSamplesPerChain - 6)).toBeLessThan(4 * Math.sqrt((4 * n * 0.21) / R));
  });
});
