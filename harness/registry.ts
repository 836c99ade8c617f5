/**
 * Discovery by path: benchmarks/<id>/task.ts, baselines/<id>/method.ts and
 * methods/<id>/method.ts, each default-exporting a definition whose id is its folder name, and
 * methods/<id>/method.py with its method.json (a method written in Python, harness/python-method.ts).
 * Folders starting with `_` (methods/_template) are not discovered. The applicability matrix
 * is derived from the hooks, never written by hand.
 */
import { readdir, readFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fork } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { definitionMetadata, metadataDifference } from './metadata.ts';
import type { AnyTask, AnyMethod } from './types.ts';

type StepAxis = AnyTask['stepAxis'];
import { sha256Hex } from './hash.ts';
import { idProblem } from './ids.ts';
import { InputError } from './params.ts';
import { freezeDefinition } from './freeze.ts';
import { bundleDefinitions, DEFAULT_LIMITS, sandboxedProcess } from './sandbox.ts';
import { pythonMethod } from './python-method.ts';

/** The repository root (the folder holding harness/). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Entry<T> {
  definition: T;
  /** Folder of the definition, relative to the repository root. */
  folder: string;
  /**
   * sha256 over the folder's files (paths and contents) and the files outside it that its code
   * imports (e.g. diffusion-align's use of benchmarks/diffusion): changes make old records stale.
   */
  hash: string;
  /** `python`: a method written in Python (method.py and method.json; harness/python-method.ts). */
  language?: 'python';
}

/** The file that defines an entry: task.ts, method.ts, or a Python method's method.py. */
export function definitionFile(entry: Pick<Entry<unknown>, 'folder' | 'language'>, kind: 'task' | 'method'): string {
  return kind === 'task' ? 'task.ts' : entry.language === 'python' ? 'method.py' : 'method.ts';
}

/** The Python side of the method protocol (run by each Python method's process). */
export const PYTHON_SHIM = fileURLToPath(new URL('./python/collapse_bench.py', import.meta.url));

export interface Registry {
  /** The folder discovered (the repository root, or a test fixture's). */
  root: string;
  tasks: Entry<AnyTask>[];
  /** Baselines first, then methods, each sorted by id. */
  methods: Entry<AnyMethod>[];
  /**
   * The harness hash of a cell of this task and method: sha256 over the numeric harness modules
   * the cell's code reaches (see cellHarnessHashes). A record is current only while it matches.
   */
  harnessHashOf(task: string, method: string): string;
}

export interface LoadOptions {
  /**
   * Import every definition first in a sandboxed child (harness/probe.ts), so that a module whose
   * top-level code exits, throws or never finishes is reported by name instead of silently ending
   * or hanging this process. @default true
   */
  probe?: boolean;
  /** How long one definition may take to import in the probe, in milliseconds. @default 60_000 */
  importTimeoutMs?: number;
}

export async function loadRegistry(root = ROOT, options: LoadOptions = {}): Promise<Registry> {
  const found = [
    ...listDefinitions(root, 'benchmarks', 'task.ts'),
    ...listDefinitions(root, 'baselines', 'method.ts'),
    ...listDefinitions(root, 'methods', 'method.ts'),
  ];
  const python = listDefinitions(root, 'methods', 'method.py');
  for (const { folder } of python) {
    if (existsSync(join(root, folder, 'method.ts')))
      throw new InputError(`${folder}: has both method.ts and method.py; a method is written in one language`);
  }
  const hashes = new Map<string, string>();
  for (const { folder } of [...found, ...python]) hashes.set(folder, await hashEntry(root, join(root, folder)));
  const probed =
    (options.probe ?? true)
      ? await probeImports(
          found.map(({ path, folder }) => ({ file: path, hash: hashes.get(folder)! })),
          root,
          options.importTimeoutMs ?? 60_000,
        )
      : undefined;
  const known = { hashes, probed };
  const tasks = await discover<AnyTask>(root, 'benchmarks', 'task.ts', known);
  for (const { definition, folder } of tasks) {
    const primary = definition.metrics.filter((m) => m.primary);
    if (primary.length !== 1) throw new Error(`${folder}/task.ts: exactly one metric must be primary (found ${primary.length})`);
    if (primary[0].direction === 'target')
      throw new Error(`${folder}/task.ts: the primary metric ${primary[0].name} must have direction lower or higher`);
    if (!definition.simulation === !definition.training)
      throw new Error(`${folder}/task.ts: give exactly one of simulation (generational) and training (epoch axis)`);
  }
  const baselines = await discover<AnyMethod>(root, 'baselines', 'method.ts', known);
  const methods = [...(await discover<AnyMethod>(root, 'methods', 'method.ts', known)), ...discoverPython(root, python, hashes)].sort(
    (a, b) => (a.definition.id < b.definition.id ? -1 : 1),
  );
  for (const { definition, folder } of baselines) {
    if (definition.kind !== 'baseline') throw new Error(`${folder}/method.ts: kind must be "baseline" under baselines/`);
  }
  for (const { definition, folder } of methods) {
    if (definition.kind !== 'method') throw new Error(`${folder}/method.ts: kind must be "method" under methods/`);
  }
  const all = [...baselines, ...methods];
  const seen = new Set<string>();
  for (const { definition, folder } of all) {
    if (seen.has(definition.id)) throw new Error(`${folder}: id "${definition.id}" is used twice among baselines and methods`);
    seen.add(definition.id);
  }
  const axes = new Map(tasks.map((t) => [t.definition.id, t.definition.stepAxis]));
  return { root, tasks, methods: all, harnessHashOf: await cellHarnessHashes(root, (task) => axes.get(task)) };
}

/** The definition files under `dir` (folders starting with `_` or `.` are not discovered), with their ids checked. */
function listDefinitions(root: string, dir: string, file: string): { name: string; folder: string; path: string }[] {
  const base = join(root, dir);
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('_') && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort()
    .filter((name) => existsSync(join(base, name, file)))
    .map((name) => {
      const problem = idProblem(name);
      if (problem)
        throw new InputError(
          `${dir}/${name.length > 80 ? `${name.slice(0, 80)}…` : name}: folder names are ids, and this one is not valid: ${problem}`,
        );
      return { name, folder: relative(root, join(base, name)), path: join(base, name, file) };
    });
}

type Probed = Map<string, Record<string, string>>;

async function discover<T extends { id: string }>(
  root: string,
  dir: string,
  file: string,
  known: { hashes: Map<string, string>; probed?: Probed },
): Promise<Entry<T>[]> {
  const { hashes, probed } = known;
  const entries: Entry<T>[] = [];
  for (const { name, folder, path } of listDefinitions(root, dir, file)) {
    const where = relative(root, path);
    let module: { default?: T };
    try {
      module = (await import(pathToFileURL(path).href)) as { default?: T };
    } catch (error) {
      throw new InputError(`${where}: importing it threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
    const definition = module.default;
    if (!definition || typeof definition !== 'object')
      throw new Error(`${where}: no default export (export default defineTask/defineMethod(...))`);
    if (typeof definition.id !== 'string') throw new InputError(`${where}: the definition has no string id`);
    const problem = idProblem(definition.id);
    if (problem) throw new InputError(`${where}: ${problem.replace(/^id "(.{80}).*?"/, 'id "$1…"')}`);
    if (definition.id !== name) throw new Error(`${where}: id "${definition.id}" must equal its folder name "${name}"`);
    const sandboxed = probed?.get(path);
    const differs = sandboxed && metadataDifference(sandboxed, definitionMetadata(definition));
    if (differs)
      throw new InputError(
        `${where}: its field "${differs}" differs between two imports (here and in a sandbox with an empty environment): a definition's metadata, parameter defaults included, must not depend on the environment, the process or the clock`,
      );
    // Frozen before the next definition's top-level code runs: no module can swap another's hooks.
    entries.push({ definition: freezeDefinition(definition), folder, hash: hashes.get(folder)! });
  }
  return entries;
}

/**
 * Python methods: their definitions come from method.json alone (no Python runs to list or plan
 * them); the hooks start the method's process when a cell calls them (harness/python-method.ts).
 */
function discoverPython(root: string, found: { name: string; folder: string }[], hashes: Map<string, string>): Entry<AnyMethod>[] {
  return found.map(({ name, folder }) => {
    let definition: AnyMethod;
    try {
      definition = pythonMethod(join(root, folder), PYTHON_SHIM);
    } catch (error) {
      throw new InputError((error as Error).message.replace(join(root, folder), folder));
    }
    if (definition.id !== name) throw new InputError(`${folder}/method.json: id "${definition.id}" must equal its folder name "${name}"`);
    return { definition: freezeDefinition(definition), folder, hash: hashes.get(folder)!, language: 'python' as const };
  });
}

/**
 * Imports every definition in a sandboxed child, one at a time, and throws an error naming the
 * first whose import threw, exited the process or did not finish within `timeoutMs`.
 */
async function probeImports(inputs: { file: string; hash: string }[], root: string, timeoutMs: number): Promise<Probed> {
  if (inputs.length === 0) return new Map();
  const bundle = await bundleDefinitions(inputs);
  // A bundle is content-addressed: once its modules imported cleanly, the same sources need no second
  // probe; what the probe saw is kept beside them and compared with every later import.
  const marker = join(bundle.dir, 'imports-probed.json');
  if (existsSync(marker))
    return new Map(Object.entries(JSON.parse(readFileSync(marker, 'utf8')) as Record<string, Record<string, string>>));
  const seen: Probed = new Map();
  const sandbox = sandboxedProcess(bundle, [root], DEFAULT_LIMITS);
  const sources = new Map(inputs.map((i) => [bundle.modules.get(i.file)!, relative(root, i.file)]));
  const files = new Map(inputs.map((i) => [bundle.modules.get(i.file)!, i.file]));
  const child = fork(bundle.probe, [], {
    execArgv: sandbox.execArgv,
    env: sandbox.env,
    cwd: sandbox.tmp,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  try {
    await new Promise<void>((resolve, reject) => {
      let current: string | undefined;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(
          () => fail(`did not finish importing within ${timeoutMs / 1000} s: top-level code must not wait forever or loop`),
          timeoutMs,
        );
      };
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(new InputError(`${current ?? 'a definition module'}: ${why}`));
      };
      child.on(
        'message',
        (message: {
          ready?: true;
          importing?: string;
          imported?: string;
          metadata?: Record<string, string>;
          failed?: string;
          reason?: string;
          done?: true;
        }) => {
          if (message.ready) child.send({ modules: [...sources.keys()] });
          else if (message.imported && message.metadata) seen.set(files.get(message.imported)!, message.metadata);
          else if (message.importing) {
            current = sources.get(message.importing) ?? message.importing;
            arm();
          } else if (message.failed) fail(`importing it threw ${message.reason}`);
          else if (message.done) {
            clearTimeout(timer);
            writeFileSync(marker, JSON.stringify(Object.fromEntries(seen)));
            resolve();
          }
        },
      );
      child.on('exit', (code, signal) => {
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        fail(
          `the process ${signal ? `was killed (${signal})` : `exited with code ${code}`} while importing it: a definition's top-level code must not end the process${tail ? ` (stderr: ${tail})` : ''}`,
        );
      });
      arm();
    });
  } finally {
    child.kill('SIGKILL');
    rmSync(sandbox.tmp, { recursive: true, force: true });
  }
  return seen;
}

/**
 * harness/ modules that never change a cell's numbers, so editing them must not make every stored
 * record stale: they read, score or present records; plan, schedule, sandbox, check or store cells
 * (a check can only fail a cell, never alter what an ok cell computed); or support tests. The
 * harness hash covers every other harness module a cell reaches (the loops, rng, stats, pool, params,
 * hash, backend and any new one: a module is covered unless listed here). registry.test.ts checks
 * that no module a cell's computation imports (from the loops or any task or method) is listed here.
 */
export const NOT_NUMERIC = new Set([
  // reading, scoring, presenting
  'report.ts',
  'charts.ts',
  'scoring.ts',
  'scores.ts',
  'results.ts',
  'published.ts',
  'publish.ts',
  // planning, running, sandboxing, checking, storing
  'cells.ts',
  'outcome.ts',
  'runner.ts',
  'worker.ts',
  'probe.ts',
  'sandbox.ts',
  'guard.ts',
  'freeze.ts',
  'metadata.ts',
  'cell.ts',
  'cache.ts',
  'json-file.ts',
  'registry.ts',
  'provenance.ts',
  'ids.ts',
  'kernels.ts',
  // the record's format (versioned by SCHEMA_VERSION) and type declarations (erased at run time)
  'schema.ts',
  'types.ts',
  // test support (a trailing slash names a subfolder)
  'testing/',
]);

/** Relative import specifiers of a TypeScript source (static `import … from`, `export … from`, bare `import '…'`). */
const RELATIVE_IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/g;

/**
 * An entry's hash: its folder's, plus every file outside the folder (and outside harness/, which
 * has its own hash) that its non-test code reaches through relative imports, transitively. A
 * method that reuses another folder's code goes stale when that code changes.
 */
export async function hashEntry(root: string, folder: string): Promise<string> {
  const own = await hashFolder(folder);
  const harness = resolve(root, 'harness') + sep;
  const inside = resolve(folder) + sep;
  const queue = (await readdir(folder, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.test.ts'))
    .map((d) => resolve(d.parentPath, d.name));
  // The folder's own sources are read once, from the queue, however often they import each other.
  const seen = new Set<string>(queue);
  const external: string[] = [];
  while (queue.length > 0) {
    const file = queue.pop()!;
    const source = await readFile(file, 'utf8');
    for (const match of source.matchAll(RELATIVE_IMPORT)) {
      const target = resolve(dirname(file), match[1]);
      if (seen.has(target) || target.startsWith(harness) || !existsSync(target)) continue;
      seen.add(target);
      if (!target.startsWith(inside)) external.push(target);
      if (target.endsWith('.ts')) queue.push(target);
    }
  }
  if (external.length === 0) return own;
  const parts = [own];
  for (const file of external.sort()) parts.push(relative(root, file).split(sep).join('/'), sha256Hex(await readFile(file)));
  return sha256Hex(parts.join('\n'));
}

/** sha256 over a folder's files in path order, excluding tests and prose (README.md): only code and data make results stale. */
export async function hashFolder(folder: string, exclude: ReadonlySet<string> = new Set()): Promise<string> {
  const files = (await readdir(folder, { recursive: true, withFileTypes: true }))
    .filter(
      (d) =>
        d.isFile() &&
        !d.name.endsWith('.test.ts') &&
        !d.name.endsWith('.md') &&
        !d.name.endsWith('.pyc') &&
        !excluded(relative(folder, join(d.parentPath, d.name)).split(sep).join('/'), exclude),
    )
    .map((d) => join(d.parentPath, d.name))
    .sort();
  const parts: string[] = [];
  for (const file of files) parts.push(relative(folder, file), sha256Hex(await readFile(file)));
  return sha256Hex(parts.join('\n'));
}

/** Whether `exclude` (file names, and folders with a trailing slash) leaves out the file at `path` ('/'-separated, relative to the hashed folder). */
function excluded(path: string, exclude: ReadonlySet<string>): boolean {
  const slash = path.lastIndexOf('/');
  if (exclude.has(path.slice(slash + 1))) return true;
  return slash >= 0 && [...exclude].some((e) => e.endsWith('/') && `${path.slice(0, slash)}/`.startsWith(e));
}

/** Run-time relative imports of a TypeScript source: `import type` and `export type` are erased, so not followed. */
const RUNTIME_IMPORT = /(?:^|[\s;])(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+\.ts)['"]/g;

/** Absolute paths of `starts` and every existing file they reach through run-time relative imports, transitively. */
export async function runtimeImportClosure(starts: readonly string[]): Promise<Set<string>> {
  const seen = new Set(starts);
  const queue = [...starts];
  while (queue.length > 0) {
    const file = queue.pop()!;
    for (const [, typeOnly, specifier] of (await readFile(file, 'utf8')).matchAll(RUNTIME_IMPORT)) {
      const target = resolve(dirname(file), specifier);
      if (typeOnly || seen.has(target) || !existsSync(target)) continue;
      seen.add(target);
      queue.push(target);
    }
  }
  return seen;
}

/**
 * The harness hash, per cell. A cell computes with three bodies of code: the loop of its task's
 * step axis (harness/generations.ts or harness/training.ts), its task's definition (task.ts) and
 * its method's (method.ts; for a method in Python, harness/python-method.ts and the protocol's
 * Python side). Its harness hash covers the harness modules those reach through run-time
 * imports, transitively (through any file, inside or outside harness/), less the modules
 * declared not numeric (NOT_NUMERIC). Scripts beside a definition that it does not import (a
 * reproduction table, a diagnosis) are not what a cell runs: they count in their folder's hash
 * (hashEntry), not here, so the registry they load does not pull the whole harness in. A
 * module no cell of a task and method imports cannot change their numbers, so editing it leaves
 * their records current. Only paths and contents are read; nothing is imported.
 *
 * Returns `(task, method) => hash` for the task and method ids (folder names) under `root`;
 * `axisOf` gives a task's step axis (a task it does not know is hashed with both loops).
 */
export async function cellHarnessHashes(
  root: string,
  axisOf: (task: string) => StepAxis | undefined,
): Promise<(task: string, method: string) => string> {
  const harness = resolve(root, 'harness') + sep;
  // The numeric harness modules (relative to harness/, '/'-separated) reached from `starts`.
  const reach = async (starts: string[]): Promise<Set<string>> => {
    const modules = new Set<string>();
    for (const file of await runtimeImportClosure(starts)) {
      if (!file.startsWith(harness)) continue;
      const name = relative(harness, file).split(sep).join('/');
      if (!excluded(name, NOT_NUMERIC)) modules.add(name);
    }
    return modules;
  };
  const sourcesOf = async (folder: string) =>
    existsSync(folder)
      ? (await readdir(folder, { recursive: true, withFileTypes: true }))
          .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.test.ts'))
          .map((d) => resolve(d.parentPath, d.name))
      : [];
  const loops = { generation: await reach([join(harness, 'generations.ts')]), epoch: await reach([join(harness, 'training.ts')]) };
  const entries = new Map<string, Set<string>>();
  for (const dir of ['benchmarks', 'baselines', 'methods']) {
    if (!existsSync(join(root, dir))) continue;
    for (const d of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (!d.isDirectory()) continue;
      const folder = join(root, dir, d.name);
      // A Python method computes with the bridge and the protocol's Python side (and its own method.py, in its folder hash).
      const definition = join(folder, dir === 'benchmarks' ? 'task.ts' : 'method.ts');
      const python = existsSync(join(folder, 'method.py')) && !existsSync(definition);
      const modules = await reach(
        python ? [join(harness, 'python-method.ts')] : existsSync(definition) ? [definition] : await sourcesOf(folder),
      );
      if (python) modules.add('python/collapse_bench.py');
      entries.set(`${dir}/${d.name}`, modules);
    }
  }
  const contents = new Map<string, string>();
  for (const name of new Set([...loops.generation, ...loops.epoch, ...[...entries.values()].flatMap((s) => [...s])]))
    contents.set(name, sha256Hex(await readFile(join(harness, name))));
  const memo = new Map<string, string>();
  return (task, method) => {
    const key = `${task}\n${method}`;
    let hash = memo.get(key);
    if (hash === undefined) {
      const own = (folder: string) => entries.get(folder) ?? new Set<string>();
      const axis = axisOf(task);
      const loop = axis ? loops[axis] : new Set([...loops.generation, ...loops.epoch]);
      const modules = new Set([...loop, ...own(`benchmarks/${task}`), ...own(`baselines/${method}`), ...own(`methods/${method}`)]);
      hash = sha256Hex(
        [...modules]
          .sort()
          .flatMap((name) => [name, contents.get(name)!])
          .join('\n'),
      );
      memo.set(key, hash);
    }
    return hash;
  };
}

/** The registered task with this id, if any. */
export function findTask(registry: Registry, id: string): Entry<AnyTask> | undefined {
  return registry.tasks.find((t) => t.definition.id === id);
}

/** The registered baseline or method with this id, if any. */
export function findMethod(registry: Registry, id: string): Entry<AnyMethod> | undefined {
  return registry.methods.find((m) => m.definition.id === id);
}

/** Why a method does not apply to a task, or undefined when it does. */
export function inapplicableReason(task: AnyTask, method: AnyMethod, taskParams?: Record<string, unknown>): string | undefined {
  const missing = (Object.keys(method.hooks) as (keyof typeof method.hooks)[]).filter(
    (hook) => method.hooks[hook] !== undefined && !task.hooks.includes(hook),
  );
  if (missing.length > 0) return `task ${task.id} does not expose hook${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
  const options = missingNames(method.needs?.fitOptions, task.fitOptions?.shape);
  if (options.length > 0) return `task ${task.id} has no fit option${options.length > 1 ? 's' : ''} ${options.join(', ')}`;
  const known = missingNames(method.needs?.known, task.known?.schema.shape);
  if (known.length > 0) return `task ${task.id} does not declare the known quantit${known.length > 1 ? 'ies' : 'y'} ${known.join(', ')}`;
  if (method.prepare && task.stepAxis !== 'generation')
    return `task ${task.id} runs its own training protocol; a prepare step runs only in the generational loop`;
  const families = method.needs?.modelFamily;
  if (families) {
    // Without parameters (the applicability matrix), a task whose family depends on them applies if its defaults do.
    const family = typeof task.modelFamily === 'function' ? task.modelFamily(taskParams ?? task.params.parse({})) : task.modelFamily;
    if (!family || !families.includes(family)) {
      const has = family ? `a ${family} model` : 'no parametric model family';
      return `task ${task.id} has ${has}${taskParams && typeof task.modelFamily === 'function' ? ' for these parameters' : ''}; the method works with ${families.join(' and ')} models`;
    }
  }
  return method.skip?.(task, taskParams);
}

function missingNames(needed: readonly string[] | undefined, declared: Record<string, unknown> | undefined): string[] {
  return (needed ?? []).filter((name) => !declared || !Object.hasOwn(declared, name));
}

/** Applicability matrix: for each task id, each method id → reason it does not apply, or null. */
export function applicability(registry: Registry): Record<string, Record<string, string | null>> {
  const matrix: Record<string, Record<string, string | null>> = {};
  for (const { definition: task } of registry.tasks) {
    matrix[task.id] = {};
    for (const { definition: method } of registry.methods) matrix[task.id][method.id] = inapplicableReason(task, method) ?? null;
  }
  return matrix;
}
