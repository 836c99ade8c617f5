/**
 * Only batches the harness drew can enter a pool, unchanged. A `pool` or `filter` hook never holds
 * the harness's batches: `ctx.synthetic`, `ctx.real`, `ctx.history` and `ctx.previous` hand out
 * frozen views (one per batch, so identity is stable), whose `data` is a copy made on first read.
 * When the hook returns, every part's batch is mapped back to the harness's own batch; a part
 * holding anything else (a batch the method made up, or a relabelled copy of one) fails the cell.
 * A method can therefore neither forge samples nor rewrite drawn ones: writing into a view's data
 * changes only its copy, and its origin, generation and size cannot be assigned. Each drawn batch
 * is also checked against its declared size (data length = replicates × size × the task's values
 * per sample, learned from the generation-0 real batch). Honest hooks compute exactly what they
 * computed unguarded (harness/guard.test.ts); since no hook reads data today, no copy is made.
 *
 * Weights get the same treatment, so a pool's weights, once returned, are the harness's alone and
 * never change: a task may cache per-part statistics by the identity of a part's weights (the
 * fit of an accumulating pool then costs what its new parts cost). `ctx.previous` hands out one
 * frozen view per part whose `weights` is a copy made on first read; a view returned as it is
 * maps back to the harness's part (same weights). Any other part's weights are taken over on
 * return: a Float64Array that owns its whole buffer is transferred (no copy: a subsampled history
 * can weigh gigabytes, and the method's handle becomes an empty, detached array), anything else is
 * copied. Returning a handed-over array again fails the cell with a reason that says so.
 */
import type { Batch, BernoulliDraw, CellState, FilterContext, MethodDefinition, Pool, PoolContext, PoolPart, PoolSubset } from './types.ts';
import { partWeights } from './pool.ts';
import { CellError } from './outcome.ts';

/** Per-path values per sample of a task's data: the length of each typed array ÷ (replicates × size), and each scalar. */
type Shape = Map<string, number | string>;

class BatchLedger {
  private readonly views = new WeakMap<Batch<unknown>, Batch<unknown>>();
  private readonly originals = new WeakMap<Batch<unknown>, Batch<unknown>>();
  private readonly partViews = new WeakMap<PoolPart<unknown>, PoolPart<unknown>>();
  private readonly partOriginals = new WeakMap<PoolPart<unknown>, PoolPart<unknown>>();
  /** Weights arrays a hook returned, and the harness's array each became (transferred or copied). */
  private readonly takenWeights = new WeakMap<object, { own: Float64Array; t: number }>();
  private shape: Shape | undefined;

  constructor(private readonly replicates: number) {}

  /** The view of a batch the harness drew (made, and its shape checked, on first sight). */
  view<D>(original: Batch<D>, requested?: number): Batch<D> {
    const known = this.views.get(original as Batch<unknown>);
    if (known) return known as Batch<D>;
    if (requested !== undefined && original.size !== requested)
      throw new CellError(`the task drew ${original.size} samples per replicate where ${requested} were asked for`);
    const shape = shapeOf(original, this.replicates);
    this.shape ??= shape; // the first batch seen is the generation-0 real data
    const problem = shapeMismatch(shape, this.shape);
    if (problem) throw new CellError(`a ${original.origin} batch of generation ${original.generation} has ${problem}`);
    let copy: D | undefined;
    const view: Batch<D> = Object.freeze({
      origin: original.origin,
      generation: original.generation,
      size: original.size,
      get data(): D {
        return (copy ??= structuredClone(original.data));
      },
    });
    this.views.set(original as Batch<unknown>, view as Batch<unknown>);
    this.originals.set(view as Batch<unknown>, original as Batch<unknown>);
    return view;
  }

  /** The view of a part of the harness's previous pool: its batch's view, and a copy of its weights made on first read. */
  partView(original: PoolPart<unknown>): PoolPart<unknown> {
    const known = this.partViews.get(original);
    if (known) return known;
    const batch = this.view(original.batch);
    const { weights, draw } = original;
    let copy: Float64Array | undefined;
    const replicates = this.replicates;
    let view: PoolPart<unknown>;
    if (draw !== undefined) {
      // The recipe as it is, and (not enumerable, so that a spread copies the recipe only) its weights realized on first read.
      view = Object.defineProperty({ batch, draw: Object.freeze({ ...draw }) }, 'weights', {
        enumerable: false,
        get: () => (copy ??= partWeights(original, replicates)),
      });
    } else if (weights === undefined) view = { batch };
    else
      view = {
        batch,
        get weights(): Float64Array {
          return (copy ??= weights.slice());
        },
      };
    Object.freeze(view);
    this.partViews.set(original, view);
    this.partOriginals.set(view, original);
    return view;
  }

  /** The harness's batch behind a view handed out, or undefined for anything else. */
  original<D>(batch: Batch<D>): Batch<D> | undefined {
    return this.originals.get(batch as Batch<unknown>) as Batch<D> | undefined;
  }

  /** The harness's own array for weights a hook returned (the same one if the same array appears in several parts of a pool). */
  private takeWeights(weights: unknown, part: number, t: number): Float64Array {
    if (weights === null || typeof weights !== 'object') return weights as Float64Array; // the loop reports it
    const taken = this.takenWeights.get(weights);
    if (taken?.t === t) return taken.own; // the same array in several parts of this pool
    if (taken)
      throw new CellError(
        `pool part ${part} at generation ${t} holds weights an earlier pool handed over: weights returned in a pool become the harness's (the array is emptied); return ctx.previous's parts as they are, or new arrays`,
      );
    const own = takeOver(weights);
    this.takenWeights.set(weights, { own, t });
    return own;
  }

  /** The pool with the harness's own batches; fails the cell for a part holding any other batch. */
  toHarness(pool: Pool<unknown>, t: number): Pool<unknown> {
    if (!pool || !Array.isArray(pool.parts)) return pool; // the loop reports malformed pools itself
    const subset = pool.subset as Partial<PoolSubset> | undefined;
    return {
      ...(subset !== undefined && { subset: { size: subset?.size, seed: subset?.seed } as PoolSubset }),
      parts: pool.parts.map((part, i) => {
        const kept = part ? this.partOriginals.get(part) : undefined;
        if (kept) return kept;
        const original = part?.batch ? this.original(part.batch) : undefined;
        if (!original) {
          throw new CellError(
            `pool part ${i} at generation ${t} holds a batch the harness did not draw: a pool may only hold batches from ctx.synthetic, ctx.real, ctx.history or ctx.previous`,
          );
        }
        // Weights the method can no longer reach: what a task sees (and may cache by) never changes.
        const own: PoolPart<unknown> = { batch: original };
        if (part.weights !== undefined) own.weights = this.takeWeights(part.weights, i, t);
        if (part.draw !== undefined) {
          // A copy of the recipe's fields (the loop checks them): the method keeps no handle on it.
          const { kind, seed, p, side, weight } = (part.draw ?? {}) as BernoulliDraw;
          own.draw = { kind, seed, p, side, weight };
        }
        return own;
      }),
    };
  }
}

/** The method with its `pool` or `filter` hook guarded (other hooks never see batches). */
export function guardPoolHooks<P extends Record<string, unknown>>(method: MethodDefinition<P>): MethodDefinition<P> {
  const { pool, filter } = method.hooks;
  if (!pool && !filter) return method;
  let ledger: BatchLedger | undefined;
  /** The context a hook sees: views instead of the harness's batches (see the module comment). */
  const viewOf = <C extends PoolContext<unknown>>(ctx: C): C => {
    ledger ??= new BatchLedger(ctx.replicates);
    const guard = ledger;
    const initial = guard.view(ctx.initial); // the generation-0 real data sets the shape
    const view = {
      ...ctx,
      initial,
      previous: {
        parts: ctx.previous.parts.map((part) => guard.partView(part)),
        ...(ctx.previous.subset && { subset: ctx.previous.subset }),
      },
      synthetic: (n: number) => guard.view(ctx.synthetic(n), n),
      real: (n: number) => guard.view(ctx.real(n), n),
    };
    if ('features' in ctx) {
      const features = (ctx as unknown as FilterContext<unknown>).features;
      Object.assign(view, {
        features: (batch: Batch<unknown>) => {
          const original = guard.original(batch);
          if (!original) throw new CellError(`features were asked for a batch the harness did not draw at generation ${ctx.t}`);
          return features(original);
        },
      });
    }
    view.history = liveReadOnly(ctx.history, (batch) => guard.view(batch));
    return view as C;
  };
  const hooks = { ...method.hooks };
  if (pool) {
    hooks.pool = (ctx: PoolContext<unknown> & CellState<unknown>, params: P) => {
      const result = pool(viewOf(ctx), params); // first: it creates the ledger
      return ledger!.toHarness(result, ctx.t);
    };
  }
  if (filter) {
    hooks.filter = (ctx: FilterContext<unknown> & CellState<unknown>, params: P) => {
      const result = filter(viewOf(ctx), params);
      return ledger!.toHarness(result, ctx.t);
    };
  }
  return { ...method, hooks };
}

/**
 * The harness's own history list seen through a proxy: live (a hook that draws and then reads it
 * sees its new batches, as accumulate and latent-filtering do, even through a copy of ctx), with
 * every batch as its view, and read-only.
 */
function liveReadOnly(history: Batch<unknown>[], view: (batch: Batch<unknown>) => Batch<unknown>): Batch<unknown>[] {
  const refuse = (): never => {
    throw new TypeError('ctx.history is read-only: a pool may hold only batches the harness drew');
  };
  return new Proxy(history, {
    get: (target, property, receiver) => {
      if (typeof property === 'string' && /^(0|[1-9]\d*)$/.test(property)) {
        const i = Number(property);
        return i < target.length ? view(target[i]) : undefined;
      }
      return Reflect.get(target, property, receiver);
    },
    set: refuse,
    defineProperty: refuse,
    deleteProperty: refuse,
  });
}

function shapeOf(batch: Batch<unknown>, replicates: number): Shape {
  const shape: Shape = new Map();
  const walk = (value: unknown, path: string): void => {
    if (ArrayBuffer.isView(value)) {
      const length = (value as unknown as { length?: number }).length ?? value.byteLength;
      shape.set(path, length / (replicates * batch.size));
    } else if (Array.isArray(value))
      value.forEach((v, i) => {
        walk(v, `${path}[${i}]`);
      });
    else if (value !== null && typeof value === 'object')
      for (const key of Object.keys(value).sort()) walk((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
    else shape.set(path, typeof value === 'number' ? value : String(value));
  };
  if (!Number.isInteger(batch.size) || batch.size < 1) shape.set('size', `invalid size ${batch.size}`);
  walk(batch.data, '');
  return shape;
}

function shapeMismatch(shape: Shape, reference: Shape): string | undefined {
  for (const [path, value] of shape) {
    const name = path || 'data';
    if (typeof value === 'string' && value.startsWith('invalid size')) return value;
    const expected = reference.get(path);
    if (expected === undefined) return `a field ${name} the generation-0 real data does not have`;
    if (value !== expected) {
      return typeof value === 'number' && !Number.isInteger(value)
        ? `${name} of a length that is not replicates × size × a whole number of values per sample`
        : `${name} = ${value} per sample where the generation-0 real data has ${expected}`;
    }
  }
  for (const path of reference.keys()) if (!shape.has(path)) return `no field ${path || 'data'}`;
  return undefined;
}

/** A returned part's weights as the harness's own Float64Array: transferred when it owns its whole buffer, else copied (non-arrays are left for the loop's checks). */
function takeOver(weights: object): Float64Array {
  if (weights instanceof Float64Array) {
    const whole =
      weights.byteOffset === 0 &&
      weights.byteLength === weights.buffer.byteLength &&
      weights.buffer instanceof ArrayBuffer &&
      weights.byteLength > 0;
    return whole ? structuredClone(weights, { transfer: [weights.buffer] }) : weights.slice();
  }
  return ArrayBuffer.isView(weights) || Array.isArray(weights)
    ? Float64Array.from(weights as ArrayLike<number>)
    : (weights as Float64Array);
}
