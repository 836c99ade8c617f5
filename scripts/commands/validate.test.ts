/** `collapse-bench validate` on fixture methods: each rejection names the file and field and says how to fix it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../harness/registry.ts';
import { fixtureRoot } from '../../harness/testing/fixture-root.ts';
import { formatProblem, validateMethods, type MethodReport } from '../../harness/validate-methods.ts';

const header = `import { z } from 'zod';\nimport { defineMethod } from '../../harness/types.ts';\nimport { replacePool } from '../../harness/generations.ts';\n`;
/** A method that runs on gaussian-chain only, so the fixtures do not depend on the other tasks. */
const method = (
  id: string,
  {
    params = 'z.object({})',
    hooks = 'pool: replacePool',
    skip = `(task) => (task.id === 'gaussian-chain' ? undefined : 'fixture: gaussian-chain only')`,
    before = '',
  } = {},
) =>
  `${header}${before}\nexport default defineMethod({ id: '${id}', title: '${id}', kind: 'method', summary: 'test fixture', papers: [], params: ${params}, hooks: { ${hooks} }, skip: ${skip} });\n`;
/** A pool hook whose per-sample weights are the bits of `value`: 1 + bit (i mod `bits`). */
const weightedBy = (value: string, bits: number) =>
  `pool(ctx) { const bitsOf = ${value}; const batch = ctx.synthetic(ctx.size); const weights = new Float64Array(ctx.replicates * ctx.size).map((_, i) => 1 + ((bitsOf >>> (i % ${bits})) & 1)); return { parts: [{ batch, weights }] }; }`;
const readme = (title: string | undefined) =>
  `---\n${title === undefined ? 'authors: A. Contributor' : `title: ${title}`}\n---\n\n# Fixture\n`;

const methods: Record<string, string> = {
  good: method('good', { params: `z.object({ alpha: z.number().min(0).max(1).default(0.5).describe('unused share') })` }),
  'no-title': method('no-title'),
  'no-front-matter': method('no-front-matter'),
  'no-default': method('no-default', { params: `z.object({ alpha: z.number().min(0).describe('mixing share') })` }),
  'no-description': method('no-description', { params: `z.object({ alpha: z.number().default(0.5) })` }),
  'plain-params': method('plain-params', { params: `{ alpha: 0.5 }` }),
  'no-task': method('no-task', { skip: '(task) => `needs labelled data, which ${task.id} lacks`' }),
  random: method('random', {
    hooks: `pool(ctx) { const batch = ctx.synthetic(ctx.size); const weights = new Float64Array(ctx.replicates * ctx.size).map(() => 0.5 + Math.random()); return { parts: [{ batch, weights }] }; }`,
  }),
  stateful: method('stateful', {
    before: 'let calls = 0; // kept between calls: a second run of the cell in the same process differs',
    hooks: `pool(ctx) { if (ctx.t === 1) calls++; return { parts: [{ batch: ctx.synthetic(ctx.size + calls) }] }; }`,
  }),
  // Sample i's weight is bit i mod 22 of the process id (ids are below 2^22 on Linux): two processes
  // never give the same weights. Identical when the cell runs twice in one process.
  pid: method('pid', { hooks: weightedBy('process.pid', 22) }),
  // The same with the clock read to the second: the passes are more than a second apart, so they
  // read different seconds, whatever the machine's speed.
  clock: method('clock', { hooks: weightedBy('Math.floor(Date.now() / 1000)', 32) }),
  slow: method('slow', {
    hooks: `pool(ctx) { const end = Date.now() + 30_000; while (Date.now() < end); return { parts: [{ batch: ctx.synthetic(ctx.size) }] }; }`,
  }),
};

let fixture: ReturnType<typeof fixtureRoot>;
let reports: Map<string, MethodReport>;
const problems = (id: string) => reports.get(id)!.problems.map(formatProblem);

beforeAll(async () => {
  fixture = fixtureRoot(methods);
  for (const id of Object.keys(methods)) {
    writeFileSync(
      join(fixture.root, 'methods', id, 'README.md'),
      id === 'no-front-matter' ? '# A method\n\nNo front matter.\n' : readme(id === 'no-title' ? undefined : id),
    );
  }
  // The slow one alone under a short budget; the others under the default (60 s), so that a
  // loaded machine cannot push them over it.
  const ids = Object.keys(methods).filter((id) => id !== 'slow');
  const list = [
    ...(await validateMethods(
      fixture.root,
      ids.map((id) => `methods/${id}`),
    )),
    ...(await validateMethods(fixture.root, ['methods/slow'], { budgetMs: 2000 })),
  ];
  reports = new Map(list.map((r) => [r.folder.slice('methods/'.length), r]));
}, 120_000);
afterAll(() => fixture.cleanup());

describe('validate accepts', () => {
  it('a method with front matter, described parameters, an applicable task, deterministic and fast', () => {
    expect(problems('good')).toEqual([]);
    expect(reports.get('good')).toMatchObject({ id: 'good', tasks: ['gaussian-chain'], cells: [{ task: 'gaussian-chain', status: 'ok' }] });
  });
});

describe('validate rejects, naming the file and field and the fix', () => {
  it('a README without a title', () => {
    expect(problems('no-title')).toEqual([
      'methods/no-title/README.md: title: missing from the front matter — add a line `title: <the method’s name>` between the --- lines at the top of README.md',
    ]);
  });

  it('a README without front matter', () => {
    expect(problems('no-front-matter')).toEqual([
      'methods/no-front-matter/README.md: front matter: missing — start README.md with YAML front matter: a line `---`, then `title: <the method’s name>`, then `---`',
    ]);
  });

  it('an invalid parameters schema: a field without a default or a description, or not a zod object', () => {
    expect(problems('no-default')).toEqual([
      'methods/no-default/method.ts: params.alpha: has no default — add `.default(<value>)`: every parameter needs one',
      'methods/no-default/method.ts: params.alpha: the defaults do not validate: Invalid input: expected number, received undefined — make each default satisfy its own constraints',
    ]);
    expect(problems('no-description')).toEqual([
      "methods/no-description/method.ts: params.alpha: has no description — add `.describe('<one line: what it is, its unit>')`",
    ]);
    expect(problems('plain-params')).toEqual([
      "methods/plain-params/method.ts: params: is not a zod object schema — declare `params: z.object({ alpha: z.number().default(0.5).describe('…') })`, or `z.object({})` when there are none",
    ]);
  });

  it('a method that applies to no task', () => {
    const [problem, ...rest] = reports.get('no-task')!.problems;
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({
      file: 'methods/no-task/method.ts',
      field: 'hooks',
      fix: 'implement only hooks that some task exposes (`collapse-bench list` shows each task’s hooks), or return undefined from skip() for at least one task',
    });
    expect(problem.message).toMatch(/^applies to no task \(.*needs labelled data, which gaussian-chain lacks.*\)$/);
  });

  const acrossProcesses = (id: string) =>
    new RegExp(
      `^methods/${id}/method\\.ts: cell gaussian-chain \\(quick profile, seed 0\\): is nondeterministic: ${id} × gaussian-chain \\(seed 0\\) gave different numbers when computed again in a new process after a pause \\(metrics\\.\\w+\\.mean\\[1\\]: [-\\d.e]+ vs [-\\d.e]+\\) — draw randomness only from ctx\\.rng \\(seeded from the cell key\\); never read Math\\.random\\(\\), the clock \\(Date\\.now\\(\\), performance\\.now\\(\\)\\) or the process \\(process\\.pid, process\\.hrtime\\)$`,
    );

  it.each([
    ['random', 'Math.random()'],
    ['pid', 'process.pid'],
    ['clock', 'the clock to the second'],
  ])('a method (%s) that reads %s: its cell differs in a second pass, in a new process after a pause', (id) => {
    expect(problems(id)).toHaveLength(1);
    expect(problems(id)[0]).toMatch(acrossProcesses(id));
  });

  it('a method that keeps state between calls (a module-level counter): its cell differs when run again in the same process', () => {
    expect(problems('stateful')).toHaveLength(1);
    expect(problems('stateful')[0]).toMatch(
      /^methods\/stateful\/method\.ts: cell gaussian-chain \(quick profile, seed 0\): is nondeterministic: stateful × gaussian-chain \(seed 0\) gave different numbers when computed again in the same process \(metrics\.\w+\.mean\[1\]: [-\d.e]+ vs [-\d.e]+\) — keep no state between calls outside the cell: module-level variables outlive the cell, so derive everything from the hook’s arguments \(ctx\.t, ctx\.history, ctx\.rng\)$/,
    );
  });

  it('a method that exceeds its per-cell time budget at the quick profile', () => {
    expect(problems('slow')).toEqual([
      'methods/slow/method.ts: cell gaussian-chain (quick profile, seed 0): exceeds the per-cell time budget of 2 s at the quick profile (killed) — make the quick profile cheap (vectorize over replicates; avoid per-sample loops in JavaScript objects), or raise --budget if the task itself is slow',
    ]);
  });
});

describe('the validate command', () => {
  const cli = async (args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)('node', [join(ROOT, 'bin', 'collapse-bench.js'), ...args], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
      });
      return { stdout, stderr, code: 0 };
    } catch (error) {
      const e = error as { stdout: string; stderr: string; code: number };
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    }
  };

  it('prints one line per problem and exits 1', async () => {
    const { stdout, code } = await cli([
      'validate',
      '--static',
      join(fixture.root, 'methods', 'no-title'),
      join(fixture.root, 'methods', 'good', 'method.ts'),
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe(
      '✗ methods/no-title\n' +
        '  methods/no-title/README.md: title: missing from the front matter — add a line `title: <the method’s name>` between the --- lines at the top of README.md\n' +
        '✓ methods/good — applies to gaussian-chain\n',
    );
  });

  it('refuses a folder that is not a method folder', async () => {
    const { stderr, code } = await cli(['validate', 'harness']);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('error: invalid folder "harness": expected methods/<id> or baselines/<id>');
  });
});

describe('the shipped methods', () => {
  it('pass the static checks (front matter, definition, parameters, applicability)', async () => {
    const { readdirSync, existsSync } = await import('node:fs');
    const folders = readdirSync(join(ROOT, 'methods'))
      .filter((id) => !id.startsWith('_') && existsSync(join(ROOT, 'methods', id, 'method.ts')))
      .map((id) => join(ROOT, 'methods', id));
    const reports = await validateMethods(ROOT, folders, { run: false });
    expect(reports.flatMap((r) => r.problems.map(formatProblem))).toEqual([]);
    expect(reports).toHaveLength(folders.length);
  }, 120_000);
});
