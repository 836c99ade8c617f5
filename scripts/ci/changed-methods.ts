/**
 * Which methods a push or pull request changed, for the CI job that validates them and runs them
 * beside the baselines. Step outputs: `any` (true/false), `ids` and `folders` (space-separated;
 * ids follow the one id rule of harness/ids.ts — lowercase letters, digits and dashes — so they
 * are safe in a shell; a changed folder whose name breaks it fails the step, exit code 1),
 * `methods` (the changed ids followed by every baseline id, for `--method` flags) and `tasks`
 * (the tasks any changed method applies to, for `--task` flags: baselines run only there).
 *
 *   node --import tsx scripts/ci/changed-methods.ts --base <commit> [--root <repository>]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, inapplicableReason, type Registry } from '../../harness/registry.ts';
import { loadRegistry } from '../../harness/registry.ts';
import { idProblem, isValidId } from '../../harness/ids.ts';
import { main, parseFlags, setOutputs } from './github.ts';

/**
 * A folder under methods/ whose name breaks the id rule (harness/ids.ts). Never skipped quietly:
 * this job validates only folders it lists, while the nightly discovers every folder, so a
 * method under a name this job ignored would be run without ever being validated.
 */
export class MethodFolderError extends Error {
  constructor(readonly folders: { name: string; problem: string }[]) {
    super(
      folders
        .map(
          ({ name, problem }) =>
            `${JSON.stringify(`methods/${name}`)}: a method folder's name is its id, and this one is not valid: ${problem}; rename the folder and the id in its method.ts`,
        )
        .join('\n'),
    );
  }
}

/** Folders that discovery leaves out (harness/registry.ts): methods/_template, and hidden ones. */
const notDiscovered = (name: string) => name.startsWith('_') || name.startsWith('.');

/** A method's definition file: method.ts, or method.py for a method written in Python. */
const defines = (folder: string) => existsSync(join(folder, 'method.ts')) || existsSync(join(folder, 'method.py'));

/** Ids of the method folders `names`, which must all follow the id rule; those without a method.ts or method.py are left out. */
function methodIds(names: Iterable<string>, root: string): string[] {
  const ids = new Set<string>();
  const invalid: { name: string; problem: string }[] = [];
  for (const name of names) {
    const folder = join(root, 'methods', name);
    // A deleted folder is not validated; anything else that exists is checked, method.ts or not.
    if (notDiscovered(name) || !existsSync(folder) || !statSync(folder).isDirectory()) continue;
    const problem = idProblem(name);
    if (problem) invalid.push({ name, problem });
    else if (defines(folder)) ids.add(name);
  }
  if (invalid.length) throw new MethodFolderError(invalid.sort((a, b) => (a.name < b.name ? -1 : 1)));
  return [...ids].sort();
}

/**
 * Ids of methods/<id>/ folders touched by `paths` that still hold a method.ts or method.py (deleted methods
 * are not validated). Throws MethodFolderError for a touched folder whose name is not an id.
 */
export function changedMethods(paths: readonly string[], root = ROOT): string[] {
  const names = paths.map((path) => /^methods\/([^/]+)\//.exec(path)?.[1]).filter((name) => name !== undefined);
  return methodIds(new Set(names), root);
}

/** Every method id (when the base commit is unknown, e.g. the first push of a branch); throws MethodFolderError as changedMethods does. */
export function allMethods(root = ROOT): string[] {
  const dir = join(root, 'methods');
  return existsSync(dir) ? methodIds(readdirSync(dir), root) : [];
}

export function baselineIds(root = ROOT): string[] {
  const dir = join(root, 'baselines');
  return readdirSync(dir)
    .filter((id) => isValidId(id) && existsSync(join(dir, id, 'method.ts')))
    .sort();
}

/** Paths changed between `base` and HEAD, or undefined when git cannot tell (unknown or all-zero base). */
export function changedPaths(base: string, root = ROOT): string[] | undefined {
  if (!/^[0-9a-f]{7,40}$/.test(base) || /^0+$/.test(base)) return undefined;
  try {
    // -z: paths as they are, NUL-separated; without it git quotes unusual names ("methods/\303\251/…"),
    // and such a folder would match no pattern and go unchecked.
    return execFileSync('git', ['diff', '--name-only', '-z', `${base}...HEAD`], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\0')
      .filter(Boolean);
  } catch {
    return undefined;
  }
}

/** Tasks at least one of the methods applies to (a method the registry cannot load counts for none). */
export function applicableTasks(registry: Registry, ids: readonly string[]): string[] {
  const methods = registry.methods.filter((m) => ids.includes(m.definition.id));
  return registry.tasks
    .filter((t) => methods.some((m) => inapplicableReason(t.definition, m.definition) === undefined))
    .map((t) => t.definition.id);
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
    // --root: another checkout (tests use a fixture); the default is this repository.
    const { base, root } = parseFlags(process.argv.slice(2), { base: '', root: ROOT });
    const paths = changedPaths(base, root);
    let ids: string[];
    try {
      ids = paths ? changedMethods(paths, root) : allMethods(root);
    } catch (error) {
      if (!(error instanceof MethodFolderError)) throw error;
      for (const line of error.message.split('\n')) console.error(`error: ${line}`);
      process.exitCode = 1;
      return;
    }
    // A registry that does not load (a definition that throws, exits or hangs at import) fails the
    // `validate` step that follows; here it is printed and the changed methods apply nowhere.
    const tasks = ids.length
      ? await loadRegistry(root).then(
          (r) => applicableTasks(r, ids),
          (error: unknown) => {
            console.error(`::error::the registry does not load: ${(error as Error).message}`);
            return [];
          },
        )
      : [];
    const outputs = methodOutputs(ids, tasks, root);
    setOutputs(outputs);
    console.log(
      paths
        ? `changed methods since ${base.slice(0, 12)}: ${outputs.ids || 'none'}`
        : `base commit unknown: checking every method: ${outputs.ids || 'none'}`,
    );
    if (ids.length) console.log(`they apply to: ${outputs.tasks || 'no task'}`);
  });
}
