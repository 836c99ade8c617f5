/**
 * Discovery by path: benchmarks/<id>/task.ts, baselines/<id>/method.ts and
 * methods/<id>/method.ts, each default-exporting a definition whose id is its folder name.
 * Folders starting with `_` (methods/_template) are not discovered. The applicability matrix
 * is derived from the hooks, never written by hand.
 */
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MethodDefinition, TaskDefinition } from './types.ts';
import { sha256Hex } from './hash.ts';

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
}

export interface Registry {
  /** The folder discovered (the repository root, or a test fixture's). */
  root: string;
  tasks: Entry<TaskDefinition<any>>[];
  /** Baselines first, then methods, each sorted by id. */
  methods: Entry<MethodDefinition<any>>[];
  /** sha256 over harness/ sources. */
  harnessHash: string;
}

export async function loadRegistry(root = ROOT): Promise<Registry> {
  const tasks = await discover<TaskDefinition<any>>(root, 'benchmarks', 'task.ts');
  for (const { definition, folder } of tasks) {
    const primary = definition.metrics.filter((m) => m.primary);
    if (primary.length !== 1) throw new Error(`${folder}/task.ts: exactly one metric must be primary (found ${primary.length})`);
    if (primary[0].direction === 'target') throw new Error(`${folder}/task.ts: the primary metric ${primary[0].name} must have direction lower or higher`);
    if (!definition.simulation === !definition.training) throw new Error(`${folder}/task.ts: give exactly one of simulation (generational) and training (epoch axis)`);
  }
  const baselines = await discover<MethodDefinition<any>>(root, 'baselines', 'method.ts');
  const methods = await discover<MethodDefinition<any>>(root, 'methods', 'method.ts');
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
  return { root, tasks, methods: all, harnessHash: await hashFolder(join(root, 'harness'), READ_SIDE) };
}

async function discover<T extends { id: string }>(root: string, dir: string, file: string): Promise<Entry<T>[]> {
  const base = join(root, dir);
  if (!existsSync(base)) return [];
  const folders = (await readdir(base, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && !d.name.startsWith('_') && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  const entries: Entry<T>[] = [];
  for (const name of folders) {
    const path = join(base, name, file);
    if (!existsSync(path)) continue;
    const module = (await import(pathToFileURL(path).href)) as { default?: T };
    const definition = module.default;
    const where = relative(root, path);
    if (!definition || typeof definition !== 'object') throw new Error(`${where}: no default export (export default defineTask/defineMethod(...))`);
    if (definition.id !== name) throw new Error(`${where}: id "${definition.id}" must equal its folder name "${name}"`);
    entries.push({ definition, folder: relative(root, join(base, name)), hash: await hashEntry(root, join(base, name)) });
  }
  return entries;
}

/**
 * harness/ modules that only read, score or present records (and test support) and so never change a cell's
 * numbers: editing them must not make every stored record stale.
 */
const READ_SIDE = new Set(['report.ts', 'charts.ts', 'scoring.ts', 'results.ts', 'published.ts', 'publish.ts', 'fixture-root.ts']);

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
    .filter((d) => d.isFile() && !d.name.endsWith('.test.ts') && !d.name.endsWith('.md') && !exclude.has(d.name))
    .map((d) => join(d.parentPath, d.name))
    .sort();
  const parts: string[] = [];
  for (const file of files) parts.push(relative(folder, file), sha256Hex(await readFile(file)));
  return sha256Hex(parts.join('\n'));
}

/** The registered task with this id, if any. */
export function findTask(registry: Registry, id: string): Entry<TaskDefinition<any>> | undefined {
  return registry.tasks.find((t) => t.definition.id === id);
}

/** The registered baseline or method with this id, if any. */
export function findMethod(registry: Registry, id: string): Entry<MethodDefinition<any>> | undefined {
  return registry.methods.find((m) => m.definition.id === id);
}

/** Why a method does not apply to a task, or undefined when it does. */
export function inapplicableReason(task: TaskDefinition<any>, method: MethodDefinition<any>, taskParams?: Record<string, unknown>): string | undefined {
  const missing = (Object.keys(method.hooks) as (keyof typeof method.hooks)[]).filter(
    (hook) => method.hooks[hook] !== undefined && !task.hooks.includes(hook),
  );
  if (missing.length > 0) return `task ${task.id} does not expose hook${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
  const options = missingNames(method.needs?.fitOptions, task.fitOptions?.shape);
  if (options.length > 0) return `task ${task.id} has no fit option${options.length > 1 ? 's' : ''} ${options.join(', ')}`;
  const known = missingNames(method.needs?.known, task.known?.schema.shape);
  if (known.length > 0) return `task ${task.id} does not declare the known quantit${known.length > 1 ? 'ies' : 'y'} ${known.join(', ')}`;
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
