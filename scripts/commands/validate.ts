/** `validate [methods/<id> …]`: the command around harness/validate-methods.ts — folders in, reports out. */
import type { Command } from 'commander';
import pc from 'picocolors';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ROOT } from '../../harness/registry.ts';
import { InputError } from '../../harness/params.ts';
import { DEFAULT_BUDGET_S, formatProblem, validateMethods } from '../../harness/validate-methods.ts';
import { printJson, positiveInt } from '../output.ts';

/** Method folders given on the command line (files are taken as their folder), or every methods/<id>. */
export function resolveFolders(args: string[], cwd = process.cwd()): { root: string; folders: string[] } {
  if (args.length === 0) {
    const base = join(ROOT, 'methods');
    const ids = existsSync(base)
      ? readdirSync(base, { withFileTypes: true })
          .filter((d) => d.isDirectory() && !/^[_.]/.test(d.name))
          .map((d) => d.name)
          .sort()
      : [];
    return { root: ROOT, folders: ids.map((id) => `methods/${id}`) };
  }
  const absolute = args.map((arg) => {
    const abs = resolve(cwd, arg);
    return existsSync(abs) && statSync(abs).isFile() ? dirname(abs) : abs;
  });
  const roots = new Set<string>();
  for (const abs of absolute) {
    const parent = basename(dirname(abs));
    if (parent !== 'methods' && parent !== 'baselines')
      throw new InputError(`invalid folder ${JSON.stringify(relative(cwd, abs) || '.')}: expected methods/<id> or baselines/<id>`);
    if (!existsSync(abs))
      throw new InputError(`no such folder: ${relative(cwd, abs)} (scaffold one with \`collapse-bench new-method ${basename(abs)}\`)`);
    roots.add(dirname(dirname(abs)));
  }
  if (roots.size > 1) throw new InputError(`the folders belong to different checkouts: ${[...roots].join(', ')}`);
  const root = [...roots][0];
  return { root, folders: absolute.map((abs) => relative(root, abs)) };
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('check methods before review: README front matter, parameters, applicability, determinism and time at the quick profile')
    .argument('[folders...]', 'method folders (default: every methods/<id>)')
    .option('--budget <seconds>', 'per-cell wall-time budget at the quick profile', positiveInt, DEFAULT_BUDGET_S)
    .option('--static', 'skip running cells (metadata checks only)')
    .option('--json', 'print the reports as JSON on stdout')
    .action(async (args: string[], opts: { budget: number; static?: boolean; json?: boolean }) => {
      const { root, folders } = resolveFolders(args);
      const reports = await validateMethods(root, folders, { run: !opts.static, budgetMs: opts.budget * 1000 });
      const ok = reports.every((r) => r.problems.length === 0);
      if (opts.json) printJson({ ok, methods: reports });
      else {
        if (reports.length === 0) console.log('no methods to validate (methods/ has none)');
        for (const r of reports) {
          if (r.problems.length === 0) {
            const slowest = Math.max(0, ...r.cells.map((c) => c.wallMs));
            const ran = r.cells.length ? `; deterministic; slowest cell ${(slowest / 1000).toFixed(2)} s of ${opts.budget} s` : '';
            console.log(
              pc.green(`✓ ${r.folder}`) +
                (r.tasks.length
                  ? ` — applies to ${r.tasks.join(', ')}${ran}`
                  : ' — metadata only (not discovered: folders starting with _ never run)'),
            );
          } else {
            console.log(pc.red(`✗ ${r.folder}`));
            for (const p of r.problems) console.log(`  ${formatProblem(p)}`);
          }
        }
      }
      if (!ok) process.exitCode = 1;
    });
}
