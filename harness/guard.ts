/**
 * Only batches the harness drew can enter a pool. A `pool` or `filter` hook receives batches
 * from `ctx.synthetic`, `ctx.real` and `ctx.history` and returns parts that refer to them; this
 * guard wraps those hooks and fails the cell when a returned part holds a batch the harness
 * never handed out (made up by the method), a batch whose data changed after it was drawn, or
 * data whose shape does not match its declared size (data length = replicates × size × the
 * task's values per sample, learned from the generation-0 real batch). Batches are frozen when
 * drawn, so their origin, generation and size cannot be relabelled. The method sees frozen
 * copies of the history (current at each access), so it cannot slip a batch into the harness's
 * own list either. Honest hooks compute exactly what they computed unguarded.
 */
import { createHash } from 'node:crypto';
import type { Batch, FilterContext, MethodDefinition, Pool, PoolContext } from './types.ts';
import { CellError } from './loop.ts';

/** Per-path values per sample of a task's data: the length of each typed array ÷ (replicates × size), and each scalar. */
type Shape = Map<string, number | string>;

class BatchLedger {
  private readonly prints = new WeakMap<Batch<unknown>, string>();
  private shape: Shape | undefined;

  constructor(private readonly replicates: number) {}

  /** Records a batch the harness drew: checks its size and shape, freezes it, remembers its fingerprint. */
  admit<D>(batch: Batch<D>, requested?: number): Batch<D> {
    if (this.prints.has(batch)) return batch;
    if (requested !== undefined && batch.size !== requested) throw new CellError(`the task drew ${batch.size} samples per replicate where ${requested} were asked for`);
    const shape = shapeOf(batch, this.replicates);
    this.shape ??= shape; // the first batch admitted is the generation-0 real data
    const problem = shapeMismatch(shape, this.shape);
    if (problem) throw new CellError(`a ${batch.origin} batch of generation ${batch.generation} has ${problem}`);
    Object.freeze(batch);
    this.prints.set(batch, fingerprint(batch.data));
    return batch;
  }

  /** Fails the cell unless every part of `pool` holds an admitted batch whose data is unchanged. */
  check(pool: Pool<unknown>, t: number): void {
    if (!pool || !Array.isArray(pool.parts)) return; // the loop reports malformed pools itself
    pool.parts.forEach((part, i) => {
      const batch = part?.batch;
      const print = batch ? this.prints.get(batch) : undefined;
      if (print === undefined) {
        throw new CellError(`pool part ${i} at generation ${t} holds a batch the harness did not draw: a pool may only hold batches from ctx.synthetic, ctx.real or ctx.history`);
      }
      if (fingerprint(batch.data) !== print) {
        throw new CellError(`pool part ${i} at generation ${t} holds a ${batch.origin} batch of generation ${batch.generation} whose data was changed after it was drawn`);
      }
    });
  }
}

/** The method with its `pool` or `filter` hook guarded (other hooks never see batches). */
export function guardPoolHooks<P extends Record<string, unknown>>(method: MethodDefinition<P>): MethodDefinition<P> {
  const { pool, filter } = method.hooks;
  if (!pool && !filter) return method;
  let ledger: BatchLedger | undefined;
  const view = <C extends PoolContext<unknown>>(ctx: C): C => {
    ledger ??= new BatchLedger(ctx.replicates);
    const guard = ledger;
    for (const batch of ctx.history) guard.admit(batch); // generation-0 real data, drawn before any hook
    return {
      ...ctx,
      // Read at each access: a hook that draws and then reads the history sees its new batches
      // (accumulate does), but gets a frozen copy it cannot add to.
      get history() {
        return Object.freeze(ctx.history.slice()) as Batch<unknown>[];
      },
      synthetic: (n: number) => guard.admit(ctx.synthetic(n), n),
      real: (n: number) => guard.admit(ctx.real(n), n),
    };
  };
  const hooks = { ...method.hooks };
  if (pool) {
    hooks.pool = (ctx: PoolContext<unknown>, params: P) => {
      const result = pool(view(ctx), params);
      ledger!.check(result, ctx.t);
      return result;
    };
  }
  if (filter) {
    hooks.filter = (ctx: FilterContext<unknown>, params: P) => {
      const result = filter(view(ctx), params);
      ledger!.check(result, ctx.t);
      return result;
    };
  }
  return { ...method, hooks };
}

/** sha1 over a batch's data (typed arrays byte for byte, scalars by value); native and fast enough to run on every pool. */
function fingerprint(data: unknown): string {
  const hash = createHash('sha1');
  const walk = (value: unknown): void => {
    if (ArrayBuffer.isView(value)) hash.update(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    else if (Array.isArray(value)) {
      hash.update(`[${value.length}`);
      value.forEach(walk);
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value).sort()) {
        hash.update(`{${key}`);
        walk((value as Record<string, unknown>)[key]);
      }
    } else hash.update(`${typeof value}:${String(value)}`);
  };
  walk(data);
  return hash.digest('hex');
}

function shapeOf(batch: Batch<unknown>, replicates: number): Shape {
  const shape: Shape = new Map();
  const walk = (value: unknown, path: string): void => {
    if (ArrayBuffer.isView(value)) {
      const length = (value as unknown as { length?: number }).length ?? value.byteLength;
      shape.set(path, length / (replicates * batch.size));
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
    else if (value !== null && typeof value === 'object') for (const key of Object.keys(value).sort()) walk((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
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
