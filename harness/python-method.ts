/**
 * Methods written in Python: methods/<id>/method.py with a declarative methods/<id>/method.json
 * (id, title, summary, papers, hooks, needs, and the parameters as a JSON Schema object), which
 * the harness reads without running any Python. The definition built here is an ordinary
 * MethodDefinition whose hooks forward each call to the method's Python process, so the loop,
 * the guards, the budget ledger, the records and the scores treat it like any other.
 *
 * One Python process per cell (harness/python/collapse_bench.py is its side of the protocol):
 * started by the cell's first hook call, it imports method.py once and serves every hook call of
 * the cell; the next cell starts a fresh one. A cell is known by its method stream (`ctx.rng`,
 * one object per cell, shared by all its hooks). Hooks are synchronous, so the calls are too:
 * requests and replies cross two named pipes in the cell's private folder with blocking reads
 * and writes. Arrays travel as binary (float64 stays float64), never as JSON numbers.
 *
 * A pool or filter hook calls back into the harness for what only the harness may do: draw
 * batches (`ctx.synthetic`, `ctx.real`), compute features, and run the pool helpers that draw
 * recipes from the method's stream (bernoulli_split, subsample) or build parts (scale_weights,
 * reweight_shares), so their numbers are those of harness/pool.ts. A pool can hold only batches
 * the harness handed out (by id). A Python exception, an exit, a bad reply or a hang fails the
 * cell with the reason (a hang at its time limit, when the runner kills the cell's process: the
 * Python process dies with it, PR_SET_PDEATHSIG).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { CellError } from './outcome.ts';
import { bernoulliSplit, reweightShares, scaleWeights, subsample } from './pool.ts';
import type { Rng } from './rng.ts';
import type {
  Batch,
  EstimateContext,
  FilterContext,
  FitContext,
  FitOptions,
  Hooks,
  MethodDefinition,
  Pool,
  PoolContext,
  PoolPart,
} from './types.ts';

/** The hooks a Python method may implement: those of the statistical (generational) tasks. */
export const PYTHON_HOOKS = ['pool', 'filter', 'fit', 'estimate'] as const;
export type PythonHook = (typeof PYTHON_HOOKS)[number];

/** The interpreter: `python3` on PATH, or COLLAPSE_BENCH_PYTHON. */
const PYTHON = process.env.COLLAPSE_BENCH_PYTHON ?? 'python3';
/** Address-space cap of a method's Python process (RLIMIT_AS), MiB. */
const PYTHON_MEMORY_MB = 4096;
/** CPU-time backstop (RLIMIT_CPU), seconds; the cell's wall-clock limit normally ends a hang first. */
const PYTHON_CPU_SECONDS = 3600;
/** Largest JSON part of a reply the harness accepts (a reply is arrays plus a little JSON). */
const MAX_JSON_BYTES = 64 * 2 ** 20;
const MAX_BINARY_BYTES = 2 ** 31 - 1;
/** How long the Python process may take to start (interpreter and numpy) before the cell fails. */
const PYTHON_START_MS = 60_000;
/** What Atomics.wait sleeps on. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

// ---------------------------------------------------------------------------------------
// method.json

const ParamField = z
  .object({
    type: z.enum(['number', 'integer', 'string', 'boolean']),
    description: z.string().min(1),
    default: z.union([z.number(), z.string(), z.boolean()]),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    exclusiveMinimum: z.number().optional(),
    exclusiveMaximum: z.number().optional(),
    enum: z.array(z.string()).min(1).optional(),
  })
  .strict();

/** method.json: what method.ts's defineMethod({...}) says, minus the code. */
export const PythonManifestSchema = z
  .object({
    id: z.string(),
    title: z.string().min(1),
    kind: z.literal('method'),
    summary: z.string().min(1),
    papers: z.array(z.object({ title: z.string(), authors: z.string(), year: z.number().int(), url: z.string().optional() }).strict()),
    hooks: z.array(z.enum(PYTHON_HOOKS)).min(1),
    needs: z
      .object({
        fitOptions: z.array(z.string()).optional(),
        known: z.array(z.string()).optional(),
        history: z.boolean().optional(),
        modelFamily: z.array(z.enum(['gaussian', 'categorical'])).optional(),
      })
      .strict()
      .optional(),
    params: z
      .object({ type: z.literal('object'), properties: z.record(z.string(), ParamField), additionalProperties: z.literal(false) })
      .strict(),
  })
  .strict();
export type PythonManifest = z.infer<typeof PythonManifestSchema>;

/** Reads and checks methods/<id>/method.json; errors name the file and the field. */
export function readPythonManifest(folder: string): PythonManifest {
  const file = join(folder, 'method.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  const parsed = PythonManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------
// The definition

/**
 * The MethodDefinition of the Python method in `folder` (absolute), whose process runs
 * `shim` (harness/python/collapse_bench.py, absolute: the bundled harness cannot find it).
 */
export function pythonMethod(folder: string, shim: string): MethodDefinition<Record<string, unknown>> {
  const manifest = readPythonManifest(folder);
  const params = z.fromJSONSchema(manifest.params) as z.ZodType<Record<string, unknown>>;
  const sessions = new SessionPerCell(folder, shim, manifest.hooks, manifest.needs?.history === true);
  const hooks: Hooks<Record<string, unknown>> = {};
  for (const hook of manifest.hooks) {
    if (hook === 'pool') hooks.pool = (ctx, p) => sessions.of(ctx.rng).pool('pool', ctx, p);
    if (hook === 'filter') hooks.filter = (ctx, p) => sessions.of(ctx.rng).pool('filter', ctx, p);
    if (hook === 'fit') hooks.fit = (ctx, p) => sessions.of(ctx.rng).fit(ctx, p);
    if (hook === 'estimate') hooks.estimate = (model, ctx, p) => sessions.of(ctx.rng).estimate(model, ctx, p);
  }
  return {
    id: manifest.id,
    title: manifest.title,
    kind: 'method',
    summary: manifest.summary,
    papers: manifest.papers,
    params,
    hooks,
    ...(manifest.needs && { needs: manifest.needs }),
  };
}

/** One live Python process: the current cell's (a new method stream means a new cell). */
class SessionPerCell {
  #current: { rng: Rng; session: PythonSession } | undefined;

  constructor(
    readonly folder: string,
    readonly shim: string,
    readonly hooks: readonly PythonHook[],
    readonly needsHistory: boolean,
  ) {}

  of(rng: Rng): PythonSession {
    if (this.#current?.rng === rng) return this.#current.session;
    this.#current?.session.close();
    // The Python side's numpy Generator: seeded from the cell key through the method stream (a fork draws nothing).
    const session = new PythonSession(this.folder, this.shim, rng.fork('python').seed, this.hooks, this.needsHistory);
    this.#current = { rng, session };
    return session;
  }
}

// ---------------------------------------------------------------------------------------
// One process

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type TypedArray = Float64Array | Float32Array | Int32Array | Uint8Array;
const DTYPE = new Map<string, { of: (buffer: ArrayBuffer) => TypedArray; bytes: number }>([
  ['f8', { of: (b) => new Float64Array(b), bytes: 8 }],
  ['f4', { of: (b) => new Float32Array(b), bytes: 4 }],
  ['i4', { of: (b) => new Int32Array(b), bytes: 4 }],
  ['u1', { of: (b) => new Uint8Array(b), bytes: 1 }],
]);

let pythonChecked = false;

/** Fails once, clearly, where Python or numpy is missing (instead of a cell waiting on a pipe nobody opens). */
function checkPython(): void {
  if (pythonChecked) return;
  const probe = spawnSync(PYTHON, ['-I', '-c', 'import numpy'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : probe.stderr.trim().split('\n').at(-1);
    throw new CellError(`Python methods need ${PYTHON} with numpy (Debian: apt install python3 python3-numpy): ${why}`);
  }
  pythonChecked = true;
}

class PythonSession {
  readonly #dir: string;
  readonly #requests: number;
  readonly #replies: number;
  readonly #hooksDefined: string[];
  /** Batches and parts the hooks have seen, by the id Python knows them by. */
  readonly #batches = new Map<number, Batch<unknown>>();
  readonly #batchIds = new WeakMap<Batch<unknown>, number>();
  readonly #parts = new Map<number, PoolPart<unknown>>();
  readonly #partIds = new WeakMap<PoolPart<unknown>, number>();
  #closed = false;

  constructor(
    folder: string,
    shim: string,
    seed: string,
    declared: readonly PythonHook[],
    readonly needsHistory: boolean,
  ) {
    checkPython();
    this.#dir = mkdtempSync(join(tmpdir(), 'python-cell-'));
    // The Python side creates the two pipes (Node has no mkfifo, and a `mkfifo` process per cell costs more than the cell's calls).
    const requests = join(this.#dir, 'requests');
    const replies = join(this.#dir, 'replies');
    const out = openSync(join(this.#dir, 'stdout.txt'), 'w');
    const err = openSync(join(this.#dir, 'stderr.txt'), 'w');
    const child = spawn(
      PYTHON,
      ['-I', '-B', shim, requests, replies, join(folder, 'method.py'), String(PYTHON_MEMORY_MB), String(PYTHON_CPU_SECONDS)],
      {
        cwd: this.#dir,
        stdio: ['ignore', out, err],
        env: {
          PATH: process.env.PATH,
          HOME: this.#dir,
          TMPDIR: this.#dir,
          LC_ALL: 'C.UTF-8',
          PYTHONHASHSEED: '0',
          // One thread: numbers that do not depend on the machine's cores, and no oversubscription.
          OPENBLAS_NUM_THREADS: '1',
          OMP_NUM_THREADS: '1',
          MKL_NUM_THREADS: '1',
        },
      },
    );
    child.unref();
    closeSync(out);
    closeSync(err);
    // It makes `requests`, then `replies`, then opens them in that order; so do we (no deadlock).
    const started = Date.now();
    while (!existsSync(replies)) {
      if (Date.now() - started > PYTHON_START_MS)
        throw new CellError(`the Python method's process did not start within ${PYTHON_START_MS / 1000} s${this.#output()}`);
      Atomics.wait(PAUSE, 0, 0, 1); // a synchronous 1 ms pause: hooks cannot await
    }
    this.#requests = openSync(requests, 'w');
    this.#replies = openSync(replies, 'r');
    this.#send({ type: 'hello', seed });
    const ready = this.#receive('start-up');
    if (ready.type === 'raise')
      throw new CellError(`methods/${basename(folder)}/method.py: ${String(ready.error)}${this.#traceback(ready)}`);
    if (ready.type !== 'ready' || !Array.isArray(ready.hooks))
      throw new CellError(`the Python method's start-up reply is not {type: "ready"}${this.#output()}`);
    this.#hooksDefined = ready.hooks as string[];
    const missing = declared.filter((h) => !this.#hooksDefined.includes(h));
    if (missing.length > 0)
      throw new CellError(
        `methods/${basename(folder)}/method.py defines no function ${missing.join(', ')} (method.json declares ${missing.length > 1 ? 'them' : 'it'} in hooks)`,
      );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Closing the requests pipe ends the Python side's loop (end of file): it exits.
    closeSync(this.#requests);
    closeSync(this.#replies);
    rmSync(this.#dir, { recursive: true, force: true });
  }

  // Hooks ---------------------------------------------------------------------------------

  pool(hook: 'pool' | 'filter', ctx: PoolContext<unknown> | FilterContext<unknown>, params: Record<string, unknown>): Pool<unknown> {
    const fields = {
      t: ctx.t,
      size: ctx.size,
      replicates: ctx.replicates,
      previous: this.#pool(ctx.previous),
      initial: this.#batch(ctx.initial),
      // Every batch so far, for a method that declares needs.history (the harness keeps it only then).
      ...(this.needsHistory && { history: ctx.history.map((b) => this.#batch(b)) }),
    };
    const reply = this.#call(hook, fields, params, undefined, ctx);
    return this.#poolFrom(reply, hook);
  }

  fit(ctx: FitContext, params: Record<string, unknown>): FitOptions {
    const fields = {
      t: ctx.t,
      size: ctx.size,
      sample_sizes: [...ctx.sampleSizes],
      replicates: ctx.replicates,
      task: ctx.task,
      task_params: ctx.taskParams as Json,
      known: { ...ctx.known },
    };
    const reply = this.#resolve(this.#call('fit', fields, params));
    if (reply === null || typeof reply !== 'object' || Array.isArray(reply))
      throw new CellError(`the Python fit hook returned ${describe(reply)}; expected a dict of fit options (numbers)`);
    for (const [name, value] of Object.entries(reply)) {
      if (typeof value !== 'number') throw new CellError(`the Python fit hook's option ${name} is ${describe(value)}; expected a number`);
    }
    return reply as FitOptions;
  }

  estimate(model: unknown, ctx: EstimateContext, params: Record<string, unknown>): unknown {
    const fields = {
      t: ctx.t,
      task: ctx.task,
      task_params: ctx.taskParams as Json,
      anchor: ctx.anchor as Json,
      pool_size: ctx.poolSize as unknown as Json,
    };
    return this.#resolve(this.#call('estimate', fields, params, model));
  }

  // Calls and callbacks --------------------------------------------------------------------

  #call(
    hook: PythonHook,
    ctx: Record<string, unknown>,
    params: Record<string, unknown>,
    model?: unknown,
    poolCtx?: PoolContext<unknown>,
  ): Json {
    if (this.#closed) throw new CellError('the Python method was called after its cell ended');
    this.#send({ type: 'call', hook, ctx, params, ...(model !== undefined && { model }) } as Record<string, unknown>);
    for (;;) {
      const message = this.#receive(`the ${hook} hook`);
      if (message.type === 'return') return (message.value ?? null) as Json;
      if (message.type === 'raise')
        throw new CellError(`the Python ${hook} hook raised ${String(message.error)}${this.#traceback(message)}`);
      if (message.type === 'callback' && poolCtx) {
        this.#send({ type: 'result', value: this.#callback(String(message.name), message.args as Record<string, Json>, poolCtx) });
        continue;
      }
      if (message.type === 'callback')
        throw new CellError(`the Python ${hook} hook called ctx.${String(message.name)}, which only pool and filter hooks have`);
      throw new CellError(`the Python ${hook} hook sent a message of type ${describe(message.type)}; expected return, raise or callback`);
    }
  }

  #callback(name: string, args: Record<string, Json>, ctx: PoolContext<unknown>): unknown {
    const R = ctx.replicates;
    const arg = (key: string) => this.#resolve(args?.[key]) as unknown;
    switch (name) {
      case 'synthetic':
        return this.#batch(ctx.synthetic(arg('n') as number));
      case 'real':
        return this.#batch(ctx.real(arg('n') as number));
      case 'features': {
        if (!('features' in ctx)) throw new CellError('ctx.features is only for filter hooks');
        const f = (ctx as FilterContext<unknown>).features(this.#asBatch(arg('batch'), 'ctx.features'));
        return { dim: f.dim, values: f.values, labels: f.labels, classes: f.classes };
      }
      case 'bernoulli_split':
        return bernoulliSplit(
          this.#asBatch(arg('first'), 'bernoulli_split'),
          this.#asBatch(arg('second'), 'bernoulli_split'),
          arg('p') as number,
          R,
          ctx.rng,
        ).map((p) => this.#part(p));
      case 'scale_weights':
        return this.#part(scaleWeights(this.#asPart(arg('part'), 'scale_weights'), arg('factor') as number, R));
      case 'subsample':
        return this.#pool(subsample(this.#poolFrom(args?.pool ?? null, 'subsample'), R, arg('k') as number, ctx.rng));
      case 'reweight_shares': {
        const groups = arg('groups');
        if (!Array.isArray(groups)) throw new CellError('reweight_shares needs a list of lists of parts');
        const parts = groups.map((g) => (Array.isArray(g) ? g.map((p) => this.#asPart(p, 'reweight_shares')) : []));
        return reweightShares(parts, arg('shares') as number[], R).map((g) => g.map((p) => this.#part(p)));
      }
      default:
        throw new CellError(`the Python method called ctx.${name}, which the harness does not offer`);
    }
  }

  // Batches, parts and pools: ids out, objects back --------------------------------------

  #batch(batch: Batch<unknown>): Json {
    let id = this.#batchIds.get(batch);
    if (id === undefined) {
      id = this.#batches.size;
      this.#batches.set(id, batch);
      this.#batchIds.set(batch, id);
    }
    return { $batch: id, origin: batch.origin, generation: batch.generation, size: batch.size };
  }

  /** A part as Python sees it: in full the first time, by id afterwards (Python keeps it). */
  #part(part: PoolPart<unknown>): Json {
    const known = this.#partIds.get(part);
    if (known !== undefined) return { $part: known };
    const id = this.#parts.size;
    this.#parts.set(id, part);
    this.#partIds.set(part, id);
    return {
      $part: id,
      batch: this.#batch(part.batch),
      // A draw travels as its recipe (reading a guarded part's weights would realize it: R × n numbers for nothing).
      ...(part.draw ? { draw: { ...part.draw } as unknown as Json } : part.weights && { weights: part.weights as unknown as Json }),
    };
  }

  #pool(pool: Pool<unknown>): Json {
    return { $pool: true, parts: pool.parts.map((p) => this.#part(p)), ...(pool.subset && { subset: { ...pool.subset } }) };
  }

  #asBatch(value: unknown, where: string): Batch<unknown> {
    if (value && typeof value === 'object' && 'origin' in value && 'size' in value && this.#batchIds.has(value as Batch<unknown>))
      return value as Batch<unknown>;
    throw new CellError(`${where}: expected a batch the harness gave this cell, got ${describe(value)}`);
  }

  #asPart(value: unknown, where: string): PoolPart<unknown> {
    if (value && typeof value === 'object' && 'batch' in value) {
      if (this.#partIds.has(value as PoolPart<unknown>)) return value as PoolPart<unknown>;
      const part = value as { batch: unknown; weights?: unknown; draw?: unknown };
      const batch = this.#asBatch(part.batch, where);
      if (part.weights !== undefined && !(part.weights instanceof Float64Array))
        throw new CellError(`${where}: a part's weights must be a float64 numpy array, got ${describe(part.weights)}`);
      if (part.draw !== undefined && (part.draw === null || typeof part.draw !== 'object'))
        throw new CellError(`${where}: a part's draw must be a recipe the harness made`);
      return {
        batch,
        ...(part.weights !== undefined && { weights: part.weights as Float64Array }),
        ...(part.draw !== undefined && { draw: part.draw as PoolPart<unknown>['draw'] }),
      };
    }
    throw new CellError(`${where}: expected a pool part (collapse_bench.Part), got ${describe(value)}`);
  }

  /** A Pool from a pool or filter hook's reply (the loop's checkPool checks sizes, weights and subset). */
  #poolFrom(reply: unknown, hook: string): Pool<unknown> {
    const value = this.#resolve(reply as Json) as unknown;
    if (!value || typeof value !== 'object' || !Array.isArray((value as { parts?: unknown }).parts)) {
      throw new CellError(`the Python ${hook} hook returned ${describe(value)}; expected a collapse_bench.Pool`);
    }
    const { parts, subset } = value as { parts: unknown[]; subset?: unknown };
    return {
      parts: parts.map((p) => this.#asPart(p, `the Python ${hook} hook's pool`)),
      ...(subset !== undefined && subset !== null && { subset: subset as Pool<unknown>['subset'] }),
    };
  }

  /** Batches and parts by id, as objects; ids the harness never gave out are refused. */
  #resolve(value: Json | undefined): unknown {
    if (Array.isArray(value)) return value.map((v) => this.#resolve(v));
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
    if ('$batch' in value) {
      const batch = this.#batches.get(value.$batch as number);
      if (!batch)
        throw new CellError(
          `the Python method referred to batch ${JSON.stringify(value.$batch)}, which the harness never gave it (pools hold only harness-drawn batches)`,
        );
      return batch;
    }
    if ('$part' in value) {
      const part = this.#parts.get(value.$part as number);
      if (!part)
        throw new CellError(`the Python method referred to pool part ${JSON.stringify(value.$part)}, which the harness never gave it`);
      return part;
    }
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = this.#resolve(v);
    return out;
  }

  // Framing: [JSON length, binary length] (two little-endian uint32), JSON, binary -----------

  #send(message: Record<string, unknown>): void {
    const blobs: Uint8Array[] = [];
    let offset = 0;
    const text = JSON.stringify(message, (_key, value: unknown) => {
      if (!ArrayBuffer.isView(value)) return value;
      const dtype =
        value instanceof Float64Array
          ? 'f8'
          : value instanceof Float32Array
            ? 'f4'
            : value instanceof Int32Array
              ? 'i4'
              : value instanceof Uint8Array
                ? 'u1'
                : undefined;
      if (!dtype)
        throw new CellError(`cannot send a ${value.constructor.name} to a Python method (float64, float32, int32 and uint8 arrays only)`);
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      const spec = { $array: [offset, (value as TypedArray).length, dtype] };
      const padded = Math.ceil(bytes.length / 8) * 8;
      blobs.push(bytes);
      if (padded > bytes.length) blobs.push(new Uint8Array(padded - bytes.length));
      offset += padded;
      return spec;
    });
    const json = Buffer.from(text, 'utf8');
    const head = Buffer.alloc(8);
    head.writeUInt32LE(json.length, 0);
    head.writeUInt32LE(offset, 4);
    try {
      for (const chunk of [head, json, ...blobs]) writeAll(this.#requests, chunk);
    } catch (error) {
      throw new CellError(
        `the Python method's process is gone (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})${this.#output()}`,
      );
    }
  }

  #receive(during: string): Record<string, unknown> & { type?: unknown } {
    const head = this.#read(8, during);
    const jsonLength = head.readUInt32LE(0);
    const binaryLength = head.readUInt32LE(4);
    if (jsonLength > MAX_JSON_BYTES || binaryLength > MAX_BINARY_BYTES)
      throw new CellError(
        `the Python method sent a malformed message during ${during} (lengths ${jsonLength}, ${binaryLength})${this.#output()}`,
      );
    const text = this.#read(jsonLength, during).toString('utf8');
    const blob = binaryLength > 0 ? this.#read(binaryLength, during) : Buffer.alloc(0);
    let message: unknown;
    try {
      message = JSON.parse(text, (_key, value: unknown) => {
        if (!value || typeof value !== 'object' || !('$array' in value)) return value;
        const [at, length, dtype] = (value as { $array: [number, number, string] }).$array;
        const kind = DTYPE.get(dtype);
        if (!kind || !Number.isInteger(at) || !Number.isInteger(length) || at < 0 || length < 0 || at + length * kind.bytes > blob.length) {
          throw new Error(`array reference ${JSON.stringify((value as { $array: unknown }).$array)} outside the message`);
        }
        // A copy: aligned, and owned by the harness.
        return kind.of(blob.buffer.slice(blob.byteOffset + at, blob.byteOffset + at + length * kind.bytes) as ArrayBuffer);
      });
    } catch (error) {
      throw new CellError(`the Python method sent a malformed message during ${during}: ${(error as Error).message}${this.#output()}`);
    }
    if (!message || typeof message !== 'object')
      throw new CellError(`the Python method sent ${describe(message)} during ${during}; expected a message object`);
    return message as Record<string, unknown>;
  }

  #read(n: number, during: string): Buffer {
    const buffer = Buffer.alloc(n);
    let at = 0;
    while (at < n) {
      let got: number;
      try {
        got = readSync(this.#replies, buffer, at, n - at, null);
      } catch (error) {
        throw new CellError(`reading the Python method's reply failed during ${during}: ${(error as Error).message}`);
      }
      if (got === 0)
        throw new CellError(`the Python method's process ended during ${during} (it exited, crashed or was killed)${this.#output()}`);
      at += got;
    }
    return buffer;
  }

  #traceback(message: Record<string, unknown>): string {
    const trace = typeof message.traceback === 'string' ? message.traceback.trim().split('\n').slice(-8).join('\n') : '';
    return trace ? `\n${trace}` : '';
  }

  /** The tail of what the process printed, for an error message. */
  #output(): string {
    const tails: string[] = [];
    for (const name of ['stderr.txt', 'stdout.txt']) {
      const file = join(this.#dir, name);
      if (!existsSync(file)) continue;
      const text = readFileSync(file, 'utf8').trim();
      if (text) tails.push(`${name.replace('.txt', '')}: ${text.slice(-1500)}`);
    }
    return tails.length > 0 ? `\n${tails.join('\n')}` : '';
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let at = 0;
  while (at < chunk.length) at += writeSync(fd, chunk, at, chunk.length - at);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object')
    return Array.isArray(value) ? 'a list' : ArrayBuffer.isView(value) ? `a ${value.constructor.name}` : 'an object';
  return `${typeof value} ${JSON.stringify(value).slice(0, 80)}`;
}
