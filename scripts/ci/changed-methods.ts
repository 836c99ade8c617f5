/**
 * Which methods a push or pull request changed, for the CI job that validates them and runs them
 * beside the baselines. Step outputs: `any` (true/false), `ids` and `folders` (space-separated;
 * ids are restricted to lowercase letters, digits and dashes, so they are safe in a shell),
 * `methods` (the changed ids followed by every baseline id, for `--method` flags) and `tasks`
 * (the tasks any changed method applies to, for `--task` flags: baselines run only there).
 *
 *   node --import tsx scripts/ci/changed-methods.ts --base <commit>
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, inapplicableReason, type Registry } from '../../harness/registry.ts';
import { loadRegistry } from '../../harness/registry.ts';
import { main, parseFlags, setOutputs } from './github.ts';

const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Ids of methods/<id>/ folders touched by `paths` that still hold a method.ts (deleted methods are not validated). */
export function changedMethods(paths: readonly string[], root = ROOT): string[] {
  const ids = new Set<string>();
  for (const path of paths) {
    const match = /^methods\/([^/]+)\//.exec(path);
    if (match && ID.test(match[1]) && existsSync(join(root, 'methods', match[1], 'method.ts'))) ids.add(match[1]);
  }
  return [...ids].sort();
}

/** Every method id (when the base commit is unknown, e.g. the first push of a branch). */
export function allMethods(root = ROOT): string[] {
  const dir = join(root, 'methods');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((id) => ID.test(id) && existsSync(join(dir, id, 'method.ts'))).sort();
}

export function baselineIds(root = ROOT): string[] {
  const dir = join(root, 'baselines');
  return readdirSync(dir).filter((id) => ID.test(id) && existsSync(join(dir, id, 'method.ts'))).sort();
}

/** Paths changed between `base` and HEAD, or undefined when git cannot tell (unknown or all-zero base). */
export function changedPaths(base: string, root = ROOT): string[] | undefined {
  if (!/^[0-9a-f]{7,40}$/.test(base) || /^0+$/.test(base)) return undefined;
  try {
    return execFileSync('git', ['diff', '--name-only', `${base}...HEAD`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean);
  } catch {
    return undefined;
  }
}

/** Tasks at least one of the methods applies to (a method the registry cannot load counts for none). */
export function applicableTasks(registry: Registry, ids: readonly string[]): string[] {
  const methods = registry.methods.filter((m) => ids.includes(m.definition.id));
  return registry.tasks.filter((t) => methods.some((m) => inapplicableReason(t.definition, m.definition) === undefined)).map((t) => t.definition.id);
}

export function methodOutputs(ids: readonly string[], tasks: readonly string[], root = ROOT): Record<string, string> {
  return {
    any: String(ids.length > 0),
    ids: ids.join(' '),
    folders: ids.map((id) => `methods/${id}`).join(' '),
    methods: [...ids, ...baselineIds(root)].join(' '),
    tasks: tasks.join(' '),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(async () => {
    const { base } = parseFlags(process.argv.slice(2), { base: '' });
    const paths = changedPaths(base);
    const ids = paths ? changedMethods(paths) : allMethods();
    // A method that does not load is reported by `validate`; here it only applies nowhere.
    const tasks = ids.length ? await loadRegistry().then((r) => applicableTasks(r, ids), () => []) : [];
    const outputs = methodOutputs(ids, tasks);
    setOutputs(outputs);
    console.log(paths ? `changed methods since ${base.slice(0, 12)}: ${outputs.ids || 'none'}` : `base commit unknown: checking every method: ${outputs.ids || 'none'}`);
    if (ids.length) console.log(`they apply to: ${outputs.tasks || 'no task'}`);
  });
}
