// biome-ignore-all lint/suspicious/noExplicitAny: the test doubles stand in for hook contexts of several tasks
import { describe, expect, it } from 'vitest';
import { loadRegistry } from './registry.ts';
import { planCells } from './cells.ts';
import { runCell } from './cell.ts';
import { guardPoolHooks } from './guard.ts';
import { partWeights } from './pool.ts';

describe('guardPoolHooks', () => {
  it('leaves every honest pool and filter hook computing exactly what it computed unguarded', async () => {
    const registry = await loadRegistry(undefined, { probe: false });
    const cells = [
      ...planCells(registry, {
        tasks: ['gaussian-chain'],
        profile: 'quick',
        seeds: 1,
        sets: ['generations=4', 'replicates=30', 'samples=12'],
      }),
      ...planCells(registry, { tasks: ['recursive-lm'], profile: 'quick', seeds: 1, sets: ['generations=4', 'replicates=30'] }),
    ].filter((c) => !c.skipReason && (c.method.definition.hooks.pool || c.method.definition.hooks.filter));
    const methods = new Set(cells.map((c) => c.key.method));
    // accumulate reads ctx.history after drawing into it; fresh-data-mixing reads history[0]; the rest draw and weight.
    expect([...methods]).toEqual(
      expect.arrayContaining(['accumulate', 'accumulate-subsample', 'fresh-data-mixing', 'generation-weighting', 'real-only', 'replace']),
    );
    for (const cell of cells) {
      const plain = runCell(cell.task.definition, cell.method.definition, cell.key);
      const guarded = runCell(cell.task.definition, guardPoolHooks(cell.method.definition), cell.key);
      expect({ cell: cell.key, metrics: guarded.metrics, real: guarded.realSamplesPerChain }).toEqual({
        cell: cell.key,
        metrics: plain.metrics,
        real: plain.realSamplesPerChain,
      });
    }
  }, 240_000);
});

describe('the context a guarded hook sees', () => {
  /** A context like the loop's: synthetic() appends to the harness's own history list. */
  function fakeContext(features?: (batch: unknown) => unknown) {
    const replicates = 2;
    const batch = (origin: 'real' | 'synthetic', generation: number) => ({
      origin,
      generation,
      size: 3,
      data: new Float64Array(replicates * 3),
    });
    const history = [batch('real', 0)];
    const ctx = {
      t: 1,
      size: 3,
      replicates,
      previous: { parts: [{ batch: history[0] }] },
      initial: history[0],
      history,
      rng: undefined as never,
      synthetic: () => {
        const b = batch('synthetic', 0);
        history.push(b);
        return b;
      },
      real: () => {
        const b = batch('real', 1);
        history.push(b);
        return b;
      },
      ...(features && { features }),
    };
    return { ctx, history };
  }

  it("is live through a copy of ctx (a filter hook draws, then reads the history), read-only, and maps features to the harness's batches", () => {
    const seen: unknown[] = [];
    const method = {
      id: 'm',
      title: 'm',
      kind: 'method',
      summary: '',
      papers: [],
      params: undefined as never,
      hooks: {
        filter(ctx: any) {
          const copy = { ...ctx };
          ctx.synthetic(3);
          seen.push(
            copy.history.length,
            ctx.history.map((b: { origin: string }) => b.origin),
          );
          ctx.features(ctx.history[1]);
          expect(() => ctx.history.push(ctx.history[0])).toThrow('ctx.history is read-only');
          return { parts: ctx.history.map((b: unknown) => ({ batch: b })) };
        },
      },
    };
    const asked: unknown[] = [];
    const { ctx, history } = fakeContext((batch) => asked.push(batch));
    const pool = guardPoolHooks(method as never).hooks.filter!(ctx as never, {} as never);
    expect(seen).toEqual([2, ['real', 'synthetic']]);
    expect(asked).toEqual([history[1]]);
    expect(asked[0]).toBe(history[1]); // the harness's own batch, not the view
    expect(pool.parts.map((p) => p.batch)).toEqual(history);
    expect(pool.parts[1].batch).toBe(history[1]);
  });
});

describe('weights a guarded hook returns', () => {
  const replicates = 2;
  const drawn = () => ({ origin: 'synthetic' as const, generation: 0, size: 3, data: new Float64Array(replicates * 3) });

  it("are the harness's own copies: a method writing into its array afterwards, or into a previous part's weights, changes nothing the task sees", () => {
    let kept: Float64Array | undefined;
    const method = {
      id: 'm',
      title: 'm',
      kind: 'method',
      summary: '',
      papers: [],
      params: undefined as never,
      hooks: {
        pool(ctx: any) {
          if (ctx.previous.parts[0].weights) ctx.previous.parts[0].weights.fill(9); // only its copy
          kept = new Float64Array(replicates * 3).fill(1);
          return { parts: [...ctx.previous.parts, { batch: ctx.synthetic(3), weights: kept }] };
        },
      },
    };
    const history = [drawn()];
    const first = { parts: [{ batch: history[0], weights: new Float64Array(replicates * 3).fill(2) }] };
    const ctx = {
      t: 1,
      size: 3,
      replicates,
      previous: first,
      initial: history[0],
      history,
      rng: undefined as never,
      synthetic: () => {
        const b = drawn();
        history.push(b);
        return b;
      },
      real: () => drawn(),
    };
    const hook = guardPoolHooks(method as never).hooks.pool!;
    const pool = hook(ctx as never, {} as never);
    // The previous part returned as it was handed out is the harness's part itself (weights untouched).
    expect(pool.parts[0]).toBe(first.parts[0]);
    expect([...first.parts[0].weights]).toEqual([2, 2, 2, 2, 2, 2]);
    // A new part's weights are taken over on return (transferred: the method's handle is emptied).
    expect(pool.parts[1].weights === kept).toBe(false);
    expect(kept!.length).toBe(0);
    expect([...pool.parts[1].weights!]).toEqual([1, 1, 1, 1, 1, 1]);
    // Next generation: the part returned before comes back as the same harness part, weights and all.
    const next = hook({ ...ctx, t: 2, previous: pool } as never, {} as never);
    expect(next.parts[1]).toBe(pool.parts[1]);
  });

  it('copies weights that share a buffer, accepts one array in two parts of a pool, and refuses an array handed over before', () => {
    const buffer = new Float64Array(2 * replicates * 3).fill(1);
    let again: Float64Array | undefined;
    const method = {
      id: 'm',
      title: 'm',
      kind: 'method',
      summary: '',
      papers: [],
      params: undefined as never,
      hooks: {
        pool(ctx: any) {
          if (ctx.t === 1) {
            const shared = buffer.subarray(0, replicates * 3);
            again = new Float64Array(replicates * 3).fill(3);
            return {
              parts: [
                { batch: ctx.history[0], weights: shared },
                { batch: ctx.synthetic(3), weights: again },
                { batch: ctx.synthetic(3), weights: again },
              ],
            };
          }
          return { parts: [{ batch: ctx.history[0], weights: again }] };
        },
      },
    };
    const history = [drawn()];
    const ctx = {
      t: 1,
      size: 3,
      replicates,
      previous: { parts: [{ batch: history[0] }] },
      initial: history[0],
      history,
      rng: undefined as never,
      synthetic: () => {
        const b = drawn();
        history.push(b);
        return b;
      },
      real: () => drawn(),
    };
    const hook = guardPoolHooks(method as never).hooks.pool!;
    const pool = hook(ctx as never, {} as never);
    expect(buffer.length).toBe(12); // a subarray is copied, its buffer left alone
    buffer.fill(5);
    expect([...pool.parts[0].weights!]).toEqual([1, 1, 1, 1, 1, 1]);
    expect(pool.parts[2].weights).toBe(pool.parts[1].weights);
    expect([...pool.parts[1].weights!]).toEqual([3, 3, 3, 3, 3, 3]);
    expect(() => hook({ ...ctx, t: 2, previous: pool } as never, {} as never)).toThrow(
      'pool part 0 at generation 2 holds weights an earlier pool handed over',
    );
  });

  it('carry recipes: a draw and a subset come back as copies of their fields, and a previous draw part shows its realized weights', () => {
    const seed = 'a'.repeat(64);
    let view: any;
    const method = {
      id: 'm',
      title: 'm',
      kind: 'method',
      summary: '',
      papers: [],
      params: undefined as never,
      hooks: {
        pool(ctx: any) {
          view = ctx.previous.parts[0];
          const draw = { kind: 'bernoulli', seed, p: 0.5, side: 'second', weight: 2 };
          return { parts: [view, { batch: ctx.synthetic(3), draw }], subset: undefined };
        },
      },
    };
    const history = [drawn()];
    const first = { parts: [{ batch: history[0], draw: { kind: 'bernoulli' as const, seed, p: 0.5, side: 'first' as const, weight: 1 } }] };
    const ctx = {
      t: 1,
      size: 3,
      replicates,
      previous: first,
      initial: history[0],
      history,
      rng: undefined as never,
      synthetic: () => {
        const b = drawn();
        history.push(b);
        return b;
      },
      real: () => drawn(),
    };
    const pool = guardPoolHooks(method as never).hooks.pool!(ctx as never, {} as never);
    expect(pool.parts[0]).toBe(first.parts[0]);
    expect(Object.keys(view)).toEqual(['batch', 'draw']);
    expect([...view.weights]).toEqual([...partWeights(first.parts[0], replicates)!]);
    expect(pool.parts[1].draw).toEqual({ kind: 'bernoulli', seed, p: 0.5, side: 'second', weight: 2 });
    expect(pool.subset).toBeUndefined();
    const subsetMethod = { ...method, hooks: { pool: (c: any) => ({ parts: [{ batch: c.initial }], subset: { size: 2, seed } }) } };
    expect(guardPoolHooks(subsetMethod as never).hooks.pool!(ctx as never, {} as never).subset).toEqual({ size: 2, seed });
  });
});
