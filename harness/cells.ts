/**
 * Planning: which cells a command runs. A cell is (task, resolved task params, method,
 * resolved method params, seed); its id is a hash of that key, so it names the same work
 * in any run, shard or machine.
 */
import type { CellKey } from './schema.ts';
import type { Profile, TaskDefinition, AnyTask, AnyMethod } from './types.ts';
import { type Entry, type Registry, inapplicableReason } from './registry.ts';
import { InputError, type ParamValue, coerceValue, paramInfo, validateParams } from './params.ts';
import { hashValue } from './hash.ts';

/** Seeds per cell group when --seeds is not given. */
export const DEFAULT_SEEDS: Record<Profile, number> = { quick: 3, standard: 5, full: 10 };

export interface PlanOptions {
  /** Task ids; all when omitted. */
  tasks?: string[];
  /** Baseline and method ids; all when omitted. */
  methods?: string[];
  profile: Profile;
  seeds?: number;
  /** `key=value` strings; `method-id.key=value` for method parameters; `a,b,c` sweeps. */
  sets?: string[];
  shard?: { index: number; count: number };
}

export interface PlannedCell {
  id: string;
  key: CellKey;
  task: Entry<AnyTask>;
  method: Entry<AnyMethod>;
  /** Set when the method does not apply to the task: the cell is recorded as skipped. */
  skipReason?: string;
}

export function cellId(key: CellKey): string {
  return hashValue(key).slice(0, 20);
}

export function planCells(registry: Registry, options: PlanOptions): PlannedCell[] {
  const tasks = select(registry.tasks, options.tasks, '--task');
  const methods = select(registry.methods, options.methods, '--method');
  const seeds = options.seeds ?? DEFAULT_SEEDS[options.profile];
  if (!Number.isInteger(seeds) || seeds < 1) throw new InputError(`invalid --seeds: ${seeds} (must be a positive integer)`);
  const sets = parseSets(options.sets ?? [], tasks, methods);

  const cells: PlannedCell[] = [];
  for (const task of tasks) {
    const t = task.definition;
    const owner = `task ${t.id}`;
    const base = { ...defaults(t.params), ...t.profiles[options.profile] };
    for (const taskParams of expand(base, sets.task, t.params, owner)) {
      for (const method of methods) {
        const m = method.definition;
        const skipReason = inapplicableReason(t, m, taskParams);
        const methodSets = sets.method.get(m.id) ?? new Map();
        for (const methodParams of expand(defaults(m.params), methodSets, m.params, `method ${m.id}`, `${m.id}.`)) {
          for (let seed = 0; seed < seeds; seed++) {
            const key: CellKey = { task: t.id, taskParams, method: m.id, methodParams, seed };
            cells.push({ id: cellId(key), key, task, method, ...(skipReason && { skipReason }) });
          }
        }
      }
    }
  }
  if (!options.shard) return cells;
  const { index, count } = options.shard;
  // Round-robin over the plan order: shards get similar mixes of tasks and methods.
  return cells.filter((_, i) => i % count === index - 1);
}

/** Parses `--shard k/N` (1-based). */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count)
    throw new InputError(`invalid --shard ${JSON.stringify(text)}: expected k/N with 1 ≤ k ≤ N, e.g. 1/4`);
  return { index, count };
}

function select<T extends { id: string }>(entries: Entry<T>[], ids: string[] | undefined, flag: string): Entry<T>[] {
  if (!ids || ids.length === 0) return entries;
  return ids.map((id) => {
    const entry = entries.find((e) => e.definition.id === id);
    if (!entry) throw new InputError(`unknown ${flag} ${JSON.stringify(id)} (known: ${entries.map((e) => e.definition.id).join(', ')})`);
    return entry;
  });
}

function defaults(schema: TaskDefinition['params']): Record<string, ParamValue> {
  return Object.fromEntries(paramInfo(schema).map((p) => [p.name, p.default as ParamValue]));
}

type RawSets = Map<string, string[]>;

/** Splits --set strings into task keys and per-method keys, rejecting keys nobody accepts. */
function parseSets(sets: string[], tasks: Entry<AnyTask>[], methods: Entry<AnyMethod>[]) {
  const task: RawSets = new Map();
  const method = new Map<string, RawSets>();
  for (const text of sets) {
    const eq = text.indexOf('=');
    if (eq <= 0) throw new InputError(`invalid --set ${JSON.stringify(text)}: expected key=value`);
    const setKey = text.slice(0, eq).trim();
    const values = text
      .slice(eq + 1)
      .split(',')
      .map((v) => v.trim());
    const dot = setKey.indexOf('.');
    if (dot >= 0) {
      const id = setKey.slice(0, dot);
      const name = setKey.slice(dot + 1);
      const entry = methods.find((m) => m.definition.id === id);
      if (!entry)
        throw new InputError(
          `unknown --set ${setKey}: no method ${JSON.stringify(id)} in this run (methods: ${methods.map((m) => m.definition.id).join(', ')})`,
        );
      const names = paramInfo(entry.definition.params).map((p) => p.name);
      if (!names.includes(name))
        throw new InputError(`unknown --set ${setKey} (method ${id} accepts: ${names.join(', ') || 'no parameters'})`);
      if (!method.has(id)) method.set(id, new Map());
      method.get(id)!.set(name, values);
    } else {
      const accepted = tasks.filter((t) => paramInfo(t.definition.params).some((p) => p.name === setKey));
      if (accepted.length === 0) {
        const known = tasks.map(
          (t) =>
            `task ${t.definition.id} accepts: ${paramInfo(t.definition.params)
              .map((p) => p.name)
              .join(', ')}`,
        );
        throw new InputError(`unknown --set ${setKey} (${known.join('; ')}; method parameters are set as <method-id>.<name>)`);
      }
      task.set(setKey, values);
    }
  }
  return { task, method };
}

/** The cartesian product of the --set values that apply to this schema, each validated. */
function expand(
  base: Record<string, ParamValue>,
  sets: RawSets,
  schema: TaskDefinition['params'],
  owner: string,
  prefix = '',
): Record<string, ParamValue>[] {
  const infos = paramInfo(schema);
  let combos: Record<string, ParamValue>[] = [base];
  for (const [name, raws] of sets) {
    const info = infos.find((p) => p.name === name);
    if (!info) continue; // a key of another task in a multi-task run
    const values = raws.map((raw) => coerceValue(info, raw, prefix + name, owner));
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [name]: value })));
  }
  return combos.map((combo) => validateParams(schema, combo, owner, prefix) as Record<string, ParamValue>);
}
