/**
 * The checks a method must pass before review (the `validate` command and every method's test
 * run them). Static: the README's
 * front matter, the definition (id, kind, title, hooks), the parameter schema, a unique id, and
 * at least one task it applies to. Dynamic: each applicable task's quick-profile cell (seed 0)
 * is computed by the runner twice in one child process (so state kept between calls shows), then
 * once more in a new process after a pause (so a dependence on the process or the clock shows);
 * every run must finish within the per-cell time budget and give bit-identical numbers. Every
 * problem names the file and the field, and says how to fix it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { definitionFile, findMethod, loadRegistry, inapplicableReason, PYTHON_SHIM, type Registry } from './registry.ts';
import { pythonMethod } from './python-method.ts';
import { planCells, type PlannedCell } from './cells.ts';
import { ResultStore } from './cache.ts';
import { runCells } from './runner.ts';
import { runProvenance } from './provenance.ts';
import { canonicalJson } from './hash.ts';
import { splitFrontMatter } from './front-matter.ts';
import { HOOK_NAMES, type MethodDefinition, type AnyMethod } from './types.ts';
import type { ResultRecord } from './schema.ts';

/** Per-cell wall-time budget at the quick profile when --budget is not given, in seconds. */
export const DEFAULT_BUDGET_S = 60;

/**
 * The front matter of a method's README.md (YAML between `---` lines at the top, split by
 * harness/front-matter.ts as the site splits it). `title` is required; other keys are allowed,
 * and these are checked when present.
 */
export const MethodFrontMatter = z.looseObject({
  /** The method's name, as the leaderboard and its page show it. */
  title: z.string().trim().min(1),
  /** The folder name, when given. */
  id: z.string().optional(),
  /** Who wrote the method (shown on the site). */
  authors: z.union([z.string(), z.array(z.string())]).optional(),
  /** Link to the paper (https). */
  paper: z.url({ protocol: /^https?$/ }).optional(),
  /** Link to the method's own page or code. */
  url: z.url({ protocol: /^https?$/ }).optional(),
});
export type MethodFrontMatter = z.infer<typeof MethodFrontMatter>;

export interface Problem {
  /** Path relative to the registry root, e.g. `methods/foo/README.md`. */
  file: string;
  /** The field at fault, e.g. `title`, `params.alpha`, or the cell for run-time checks. */
  field: string;
  message: string;
  fix: string;
}

export interface CellCheck {
  task: string;
  status: ResultRecord['status'];
  /** Slowest of the cell's runs, in milliseconds. */
  wallMs: number;
}

export interface MethodReport {
  /** Folder relative to the registry root. */
  folder: string;
  id: string | null;
  /** Tasks the method applies to (empty when the definition did not load). */
  tasks: string[];
  cells: CellCheck[];
  problems: Problem[];
}

export interface ValidateOptions {
  /** Run the quick-profile cells (determinism and time budget). @default true */
  run?: boolean;
  /** Per-cell wall-time budget in milliseconds. @default 60_000 */
  budgetMs?: number;
}

/** One line per problem: `file: field: message — fix`. */
export function formatProblem(p: Problem): string {
  return `${p.file}: ${p.field}: ${p.message} — ${p.fix}`;
}

/** Validates method (or baseline) folders of the registry at `root`. */
export async function validateMethods(root: string, folders: string[], options: ValidateOptions = {}): Promise<MethodReport[]> {
  const { run = true, budgetMs = DEFAULT_BUDGET_S * 1000 } = options;
  const reports: MethodReport[] = [];
  const runnable: MethodReport[] = [];
  for (const folder of folders) {
    const { report, loaded } = await checkStatic(root, resolve(root, folder));
    reports.push(report);
    // README problems do not stop the run checks; a definition that does not load does.
    if (loaded) runnable.push(report);
  }
  if (runnable.length === 0) return reports;

  let registry: Registry;
  try {
    registry = await loadRegistry(root);
  } catch (error) {
    for (const report of runnable) {
      report.problems.push({
        file: report.folder,
        field: '(registry)',
        message: `the suite does not load: ${(error as Error).message}`,
        fix: 'fix the file named there first',
      });
    }
    return reports;
  }

  const cells: { report: MethodReport; cell: PlannedCell }[] = [];
  for (const report of runnable) {
    const entry = report.id === null ? undefined : findMethod(registry, report.id);
    if (!entry) continue; // a folder the registry does not discover (methods/_template): static checks only
    const reasons: string[] = [];
    for (const { definition: task } of registry.tasks) {
      const reason = inapplicableReason(task, entry.definition);
      if (reason) reasons.push(reason);
      else report.tasks.push(task.id);
    }
    if (report.tasks.length === 0) {
      report.problems.push({
        file: `${report.folder}/${definitionFile(entry, 'method')}`,
        field: 'hooks',
        message: `applies to no task (${reasons.join('; ') || 'there are no tasks'})`,
        fix: 'implement only hooks that some task exposes (`collapse-bench list` shows each task’s hooks), or return undefined from skip() for at least one task',
      });
      continue;
    }
    for (const task of report.tasks) {
      for (const cell of planCells(registry, { tasks: [task], methods: [report.id!], profile: 'quick', seeds: 1 }))
        cells.push({ report, cell });
    }
  }
  if (!run || cells.length === 0) return reports;

  const { repeated, later } = await computeTwice(
    registry,
    cells.map((c) => c.cell),
    budgetMs,
  );

  for (const { report, cell } of cells) {
    const [first, again] = repeated.get(cell.id) ?? [];
    const second = later.get(cell.id);
    const runs = second ? [first, again, second] : [first, again];
    const where = { file: `${report.folder}/method.ts`, field: `cell ${cell.key.task} (quick profile, seed 0)` };
    report.cells.push({
      task: cell.key.task,
      status: runs.find((r) => r.status !== 'ok')?.status ?? 'ok',
      wallMs: Math.max(...runs.map((r) => r.timing.wallMs)),
    });
    const budget = `${budgetMs / 1000} s`;
    const slow = runs.find(overBudget(budgetMs));
    if (slow) {
      report.problems.push({
        ...where,
        message: `exceeds the per-cell time budget of ${budget} at the quick profile${slow.status === 'timeout' ? ' (killed)' : ` (${(slow.timing.wallMs / 1000).toFixed(1)} s)`}`,
        fix: 'make the quick profile cheap (vectorize over replicates; avoid per-sample loops in JavaScript objects), or raise --budget if the task itself is slow',
      });
      continue;
    }
    const failed = runs.find((r) => r.status === 'failed');
    if (failed) {
      const stub = /not implemented/.test(failed.reason ?? '');
      report.problems.push({
        ...where,
        message: `fails at the quick profile: ${failed.reason}`,
        fix: stub
          ? 'write the hook: the scaffold’s stub still throws'
          : `reproduce with \`collapse-bench run --task ${cell.key.task} --method ${cell.key.method} --seeds 1 --fail-fast\``,
      });
      continue;
    }
    const cellName = `${cell.key.method} × ${cell.key.task} (seed ${cell.key.seed})`;
    // Across the passes first: a method that reads the clock may or may not differ within one
    // process (that depends on timing) but always differs across the passes, so the verdict is stable.
    const acrossPasses = second && firstDifference(first, second);
    const withinProcess = firstDifference(first, again);
    if (acrossPasses) {
      report.problems.push({
        ...where,
        message: `is nondeterministic: ${cellName} gave different numbers when computed again in a new process after a pause (${acrossPasses})`,
        fix: 'draw randomness only from ctx.rng (seeded from the cell key); never read Math.random(), the clock (Date.now(), performance.now()) or the process (process.pid, process.hrtime)',
      });
    } else if (withinProcess) {
      report.problems.push({
        ...where,
        message: `is nondeterministic: ${cellName} gave different numbers when computed again in the same process (${withinProcess})`,
        fix: 'keep no state between calls outside the cell: module-level variables outlive the cell, so derive everything from the hook’s arguments (ctx.t, ctx.history, ctx.rng)',
      });
    }
  }
  return reports;
}

/**
 * The gap between the two determinism passes, in milliseconds. Over one second, so that a method
 * reading the clock at one-second resolution (e.g. Math.floor(Date.now() / 1000), or a date
 * formatted to the second) reads another value in the second pass even when its cells are quick.
 */
export const PASS_GAP_MS = 1100;

/** A run that was killed at the budget or finished past it. */
const overBudget = (budgetMs: number) => (record: ResultRecord) => record.status === 'timeout' || record.timing.wallMs > budgetMs;

/**
 * Computes each cell through the runner in two passes, into two temporary result stores (force:
 * true, so nothing stored is reused). Pass 1 runs each cell twice in a row: the runner keeps its
 * child process for consecutive cells of one task and method, so the repeat shows state kept
 * between calls (a module-level counter). Pass 2 starts after pass 1 has finished and a pause,
 * from a new runCells call and so in new child processes: it shows numbers that depend on the
 * process (process.pid), the clock or Math.random. Pass 2 skips cells that already failed or ran
 * past the budget in pass 1: their problem is known, and a rerun would only cost time.
 */
async function computeTwice(
  registry: Registry,
  planned: PlannedCell[],
  budgetMs: number,
): Promise<{ repeated: Map<string, ResultRecord[]>; later: Map<string, ResultRecord> }> {
  const provenance = runProvenance(registry);
  const repeated = new Map<string, ResultRecord[]>();
  const later = new Map<string, ResultRecord>();
  const pass = async (cells: PlannedCell[], onRecord: (record: ResultRecord) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'validate-'));
    try {
      await runCells(cells, new ResultStore(dir), registry, provenance, { jobs: 1, timeoutMs: budgetMs, force: true, onRecord });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  await pass(
    planned.flatMap((cell) => [cell, cell]),
    (record) => repeated.set(record.id, [...(repeated.get(record.id) ?? []), record]),
  );
  const clean = planned.filter((cell) => repeated.get(cell.id)!.every((r) => r.status !== 'failed' && !overBudget(budgetMs)(r)));
  if (clean.length > 0) {
    await sleep(PASS_GAP_MS);
    await pass(clean, (record) => later.set(record.id, record));
  }
  return { repeated, later };
}

/** The first differing number between two records of one cell, as `metrics.w2.mean[3]: a vs b`; undefined when identical. */
export function firstDifference(a: ResultRecord, b: ResultRecord): string | undefined {
  const walk = (x: unknown, y: unknown, path: string): string | undefined => {
    if (canonicalJson(x) === canonicalJson(y)) return undefined;
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length) {
      for (let i = 0; i < x.length; i++) {
        const d = walk(x[i], y[i], `${path}[${i}]`);
        if (d) return d;
      }
    }
    if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y)) {
      for (const key of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
        const d = walk((x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
        if (d) return d;
      }
    }
    return `${path}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`;
  };
  return walk(
    { status: a.status, reason: a.reason, steps: a.steps, metrics: a.metrics, budget: a.budget },
    { status: b.status, reason: b.reason, steps: b.steps, metrics: b.metrics, budget: b.budget },
    '',
  );
}

// ---------------------------------------------------------------------------------------
// Static checks

async function checkStatic(root: string, abs: string): Promise<{ report: MethodReport; loaded: boolean }> {
  const folder = relative(root, abs);
  const name = basename(abs);
  const kind = basename(dirname(abs)) === 'baselines' ? 'baseline' : 'method';
  const report: MethodReport = { folder, id: null, tasks: [], cells: [], problems: [] };
  const problem = (file: string, field: string, message: string, fix: string) =>
    report.problems.push({ file: `${folder}/${file}`, field, message, fix });

  const readme = join(abs, 'README.md');
  if (!existsSync(readme))
    problem(
      'README.md',
      '(file)',
      'not found',
      'add a README.md that starts with front matter (`---`, `title: …`, `---`) and describes the method in plain words',
    );
  else checkFrontMatter(readFileSync(readme, 'utf8'), name, (field, message, fix) => problem('README.md', field, message, fix));

  if (existsSync(join(abs, 'method.py')) && !existsSync(join(abs, 'method.ts'))) return checkPythonStatic(abs, name, report, problem);
  const file = join(abs, 'method.ts');
  if (!existsSync(file)) {
    problem('method.ts', '(file)', 'not found', `scaffold one with \`collapse-bench new-method ${name}\``);
    return { report, loaded: false };
  }
  const before = report.problems.length;
  let definition: AnyMethod | undefined;
  try {
    definition = ((await import(pathToFileURL(file).href)) as { default?: AnyMethod }).default;
  } catch (error) {
    problem(
      'method.ts',
      '(module)',
      `does not load: ${(error as Error).message.split('\n')[0]}`,
      'fix that error (`npx tsc --noEmit` shows type errors)',
    );
    return { report, loaded: false };
  }
  if (!definition || typeof definition !== 'object') {
    problem('method.ts', '(default export)', 'missing', 'end the file with `export default defineMethod({ … })`');
    return { report, loaded: false };
  }
  const m = definition;
  if (m.id !== name)
    problem(
      'method.ts',
      'id',
      `is ${JSON.stringify(m.id)} but the folder is ${JSON.stringify(name)}`,
      `set \`id: '${name}'\`: the id is the folder name`,
    );
  else report.id = m.id;
  if (m.kind !== kind)
    problem(
      'method.ts',
      'kind',
      `is ${JSON.stringify(m.kind)}`,
      `set \`kind: '${kind}'\` (folders under ${kind === 'method' ? 'methods' : 'baselines'}/ hold ${kind}s)`,
    );
  const other = join(root, kind === 'method' ? 'baselines' : 'methods', name);
  if (existsSync(join(other, 'method.ts')))
    problem('method.ts', 'id', `"${name}" is already used by ${relative(root, other)}`, 'choose another id: rename the folder and the id');
  for (const field of ['title', 'summary'] as const) {
    if (typeof m[field] !== 'string' || m[field].trim() === '')
      problem(
        'method.ts',
        field,
        'is missing or empty',
        `add \`${field}: '…'\` (${field === 'title' ? 'a short human-readable name' : 'one sentence: what the method changes'})`,
      );
  }
  if (!Array.isArray(m.papers))
    problem('method.ts', 'papers', 'is missing', 'add `papers: [{ title, authors, year, url }]` (an empty list when there is no paper)');
  checkParams(m.params, (field, message, fix) => problem('method.ts', field, message, fix));
  const hooks = m.hooks && typeof m.hooks === 'object' ? Object.entries(m.hooks).filter(([, fn]) => fn !== undefined) : [];
  if (!m.hooks || typeof m.hooks !== 'object')
    problem('method.ts', 'hooks', 'is missing', `add \`hooks: { pool(ctx, params) { … } }\` (hooks: ${HOOK_NAMES.join(', ')})`);
  else if (hooks.length === 0) problem('method.ts', 'hooks', 'implements no hook', `implement at least one of ${HOOK_NAMES.join(', ')}`);
  for (const [hook, fn] of hooks) {
    if (!(HOOK_NAMES as readonly string[]).includes(hook))
      problem('method.ts', `hooks.${hook}`, 'is not a hook', `rename it to one of ${HOOK_NAMES.join(', ')}`);
    else if (typeof fn !== 'function')
      problem('method.ts', `hooks.${hook}`, 'is not a function', `write it as \`${hook}(ctx, params) { … }\``);
  }
  if (m.skip !== undefined && typeof m.skip !== 'function')
    problem('method.ts', 'skip', 'is not a function', 'write it as `skip(task) { return task.id === … ? undefined : "reason" }`');
  return { report, loaded: report.problems.length === before };
}

/** A method written in Python: its method.json (read as the harness reads it; no Python runs here). */
function checkPythonStatic(
  abs: string,
  name: string,
  report: MethodReport,
  problem: (file: string, field: string, message: string, fix: string) => void,
): { report: MethodReport; loaded: boolean } {
  const before = report.problems.length;
  let definition: MethodDefinition<Record<string, unknown>>;
  try {
    definition = pythonMethod(abs, PYTHON_SHIM);
  } catch (error) {
    const message = (error as Error).message.replace(`${join(abs, 'method.json')}: `, '');
    const field = /^field ([^:]+): /.exec(message);
    problem(
      'method.json',
      field ? field[1] : '(file)',
      field ? message.slice(field[0].length) : message,
      'see methods/generation-weighting-py/method.json and CONTRIBUTING.md "Methods in Python"',
    );
    return { report, loaded: false };
  }
  if (definition.id !== name)
    problem(
      'method.json',
      'id',
      `is ${JSON.stringify(definition.id)} but the folder is ${JSON.stringify(name)}`,
      `set "id": "${name}": the id is the folder name`,
    );
  else report.id = definition.id;
  checkParams(definition.params, (field, message, fix) => problem('method.json', field, message, fix));
  return { report, loaded: report.problems.length === before };
}

function checkFrontMatter(text: string, name: string, problem: (field: string, message: string, fix: string) => void): void {
  const split = splitFrontMatter(text);
  if (!split) {
    problem(
      'front matter',
      'missing',
      'start README.md with YAML front matter: a line `---`, then `title: <the method’s name>`, then `---`',
    );
    return;
  }
  let data: unknown;
  try {
    data = parseYaml(split.yaml);
  } catch (error) {
    problem(
      'front matter',
      `is not valid YAML (${(error as Error).message.split('\n')[0]})`,
      'fix the YAML between the --- lines (quote values that contain a colon)',
    );
    return;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    problem(
      'front matter',
      'is not a YAML mapping',
      'write `key: value` lines between the --- lines, starting with `title: <the method’s name>`',
    );
    return;
  }
  const fields = data as Record<string, unknown>;
  if (fields.title === undefined)
    problem(
      'title',
      'missing from the front matter',
      'add a line `title: <the method’s name>` between the --- lines at the top of README.md',
    );
  const result = MethodFrontMatter.safeParse(data);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const field = issue.path.join('.');
      if (field === 'title' && fields.title === undefined) continue;
      problem(
        field || 'front matter',
        `is invalid: ${issue.message}`,
        field === 'title'
          ? 'write `title: <the method’s name>` (a non-empty string)'
          : 'see the front matter of methods/_template/README.md',
      );
    }
  }
  if (typeof fields.id === 'string' && fields.id !== name)
    problem('id', `is ${JSON.stringify(fields.id)} but the folder is ${JSON.stringify(name)}`, `write \`id: ${name}\` or remove the line`);
}

interface JsonField {
  type?: string;
  default?: unknown;
  description?: string;
  enum?: unknown[];
}

function checkParams(params: unknown, problem: (field: string, message: string, fix: string) => void): void {
  const schema = params as z.ZodType & { _zod?: { def?: { type?: string } } };
  if (!schema || typeof schema !== 'object' || schema._zod?.def?.type !== 'object') {
    problem(
      'params',
      'is not a zod object schema',
      "declare `params: z.object({ alpha: z.number().default(0.5).describe('…') })`, or `z.object({})` when there are none",
    );
    return;
  }
  let json: { properties?: Record<string, JsonField> };
  try {
    json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as typeof json;
  } catch (error) {
    problem(
      'params',
      `cannot be described (${(error as Error).message})`,
      'use only numbers, integers, strings, booleans and enums as parameters',
    );
    return;
  }
  for (const [name, field] of Object.entries(json.properties ?? {})) {
    const at = `params.${name}`;
    if (!['number', 'integer', 'string', 'boolean'].includes(field.type ?? (field.enum ? 'string' : ''))) {
      problem(
        at,
        `has type ${field.type ?? 'unknown'}`,
        'parameters are numbers, integers, strings, booleans or enums (they are set from the command line with --set)',
      );
    }
    if (field.default === undefined) problem(at, 'has no default', 'add `.default(<value>)`: every parameter needs one');
    if (!field.description) problem(at, 'has no description', "add `.describe('<one line: what it is, its unit>')`");
  }
  const parsed = schema.safeParse({});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    problem(
      `params.${issue.path.join('.')}`,
      `the defaults do not validate: ${issue.message}`,
      'make each default satisfy its own constraints',
    );
  }
}

// ---------------------------------------------------------------------------------------
// The command
