/**
 * `new-method <id>`: copies methods/_template/ to methods/<id>/ — method.ts with the chosen hooks
 * stubbed to throw "not implemented", README.md with front matter, and a test that runs
 * `collapse-bench validate` — so a contributor starts from files that already pass the metadata
 * checks and fail, with a clear message, only where code is missing.
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../../harness/registry.ts';
import { InputError } from '../../harness/params.ts';
import { idProblem } from '../../harness/ids.ts';
import { HOOK_NAMES, type HookName } from '../../harness/types.ts';

/** Hooks the template has stubs for. */
export const TEMPLATE_HOOKS: readonly HookName[] = ['pool', 'fit', 'estimate'];
const TEMPLATE = '_template';
const TEMPLATE_TITLE = 'Method template';

export interface ScaffoldOptions {
  /** Human-readable name. @default the id, capitalized, with spaces for dashes */
  title?: string;
  /** Hooks to stub. @default ['pool'] */
  hooks?: HookName[];
}

/** Writes methods/<id>/ under `root` from methods/_template/ and returns the files written (relative to root). */
export function scaffoldMethod(root: string, id: string, options: ScaffoldOptions = {}): string[] {
  // The one id rule (harness/ids.ts) that discovery and CI apply to the folder this creates.
  const problem = idProblem(id);
  if (problem) throw new InputError(`method ${problem}`);
  for (const dir of ['methods', 'baselines']) {
    if (existsSync(join(root, dir, id))) throw new InputError(`${dir}/${id} already exists: choose another id`);
  }
  const hooks = options.hooks ?? ['pool'];
  for (const hook of hooks) {
    if (!TEMPLATE_HOOKS.includes(hook)) {
      const known = (HOOK_NAMES as readonly string[]).includes(hook)
        ? ` (the template has stubs for ${TEMPLATE_HOOKS.join(', ')} only)`
        : '';
      throw new InputError(`invalid --hooks ${hook}: expected some of ${TEMPLATE_HOOKS.join(', ')}${known}`);
    }
  }
  if (hooks.length === 0) throw new InputError(`invalid --hooks: name at least one of ${TEMPLATE_HOOKS.join(', ')}`);
  const title = options.title ?? id.charAt(0).toUpperCase() + id.slice(1).replaceAll('-', ' ');

  const from = join(root, 'methods', TEMPLATE);
  const to = join(root, 'methods', id);
  mkdirSync(to, { recursive: true });
  const written: string[] = [];
  for (const file of readdirSync(from).sort()) {
    let text = readFileSync(join(from, file), 'utf8');
    if (file === 'method.ts') text = keepHooks(text, hooks);
    // The test reads the id from method.ts: it must keep the template's own guard as written.
    if (file !== 'method.test.ts') text = text.replaceAll(TEMPLATE_TITLE, title).replaceAll(TEMPLATE, id);
    writeFileSync(join(to, file), text);
    written.push(relative(root, join(to, file)));
  }
  return written;
}

/** Drops the `// <hook name>` … `// </hook name>` blocks of hooks not asked for, and the markers. */
function keepHooks(text: string, hooks: readonly HookName[]): string {
  return text.replace(/^[ \t]*\/\/ <hook (\w+)>\n([\s\S]*?)^[ \t]*\/\/ <\/hook \1>\n/gm, (_, hook: HookName, body: string) =>
    hooks.includes(hook) ? body : '',
  );
}

export function register(program: Command): void {
  program
    .command('new-method')
    .description('scaffold methods/<id>/ (method.ts with stubbed hooks, README.md with front matter, a test) from methods/_template')
    .argument('<id>', 'method id: lowercase, dashes, e.g. fresh-data-mixing')
    .option('--title <title>', 'human-readable name (default: from the id)')
    .option('--hooks <list>', `hooks to stub, comma-separated: some of ${TEMPLATE_HOOKS.join(', ')}`, 'pool')
    .action((id: string, opts: { title?: string; hooks: string }) => {
      const hooks = opts.hooks
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean) as HookName[];
      const files = scaffoldMethod(ROOT, id, { title: opts.title, hooks });
      for (const file of files) console.log(`created ${file}`);
      console.log(pc.bold('\nnext:'));
      console.log(
        `  1. write the hooks in methods/${id}/method.ts (they throw "not implemented" until you do) and describe the method in README.md`,
      );
      console.log(`  2. npx collapse-bench validate methods/${id}      # metadata, applicability, determinism, time budget`);
      console.log(`  3. npx collapse-bench run --method ${id} --method replace --method real-only`);
      console.log('  4. open a pull request: CI validates the method and posts its scores against the baselines');
    });
}
