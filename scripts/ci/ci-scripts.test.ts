/**
 * The CI helper scripts as GitHub Actions runs them — as processes, with a temporary
 * GITHUB_STEP_SUMMARY and GITHUB_OUTPUT — and without them (a developer's machine).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { ROOT, loadRegistry } from '../../harness/registry.ts';
import { readCellFiles } from '../../harness/publish.ts';
import { scoreRecords, sortRecords } from '../../harness/results.ts';
import type { ResultRecord } from '../../harness/schema.ts';
import { fixtureRoot } from '../../harness/testing/fixture-root.ts';
import { deltas } from './pr-summary.ts';
import { MethodFolderError, allMethods, applicableTasks, baselineIds, changedMethods, methodOutputs } from './changed-methods.ts';

const work = mkdtempSync(join(tmpdir(), 'ci-scripts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const at = (...parts: string[]) => join(work, ...parts);

interface Outcome {
  stdout: string;
  stderr: string;
  code: number;
  summary: string;
  outputs: Record<string, string>;
}
/**
 * Runs a command the way a workflow step does; `actions: false` runs it as on a developer's
 * machine: GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, CI and GITHUB_ACTIONS unset. `env` is set last.
 */
async function step(
  args: string[],
  { actions = true, env: extra = {} }: { actions?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<Outcome> {
  const dir = mkdtempSync(join(work, 'step-'));
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.GITHUB_STEP_SUMMARY;
  delete env.GITHUB_OUTPUT;
  if (!actions) {
    delete env.CI;
    delete env.GITHUB_ACTIONS;
  }
  if (actions) {
    // The runner creates both files before a step starts.
    writeFileSync((env.GITHUB_STEP_SUMMARY = join(dir, 'summary.md')), '');
    writeFileSync((env.GITHUB_OUTPUT = join(dir, 'output.txt')), '');
  }
  Object.assign(env, extra);
  let result: { stdout: string; stderr: string; code: number };
  try {
    const { stdout, stderr } = await promisify(execFile)('node', args, { cwd: ROOT, env, maxBuffer: 1 << 26 });
    result = { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    result = { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
  const summary = actions ? readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8') : '';
  const outputs: Record<string, string> = {};
  // GITHUB_OUTPUT holds `name<<DELIMITER\nvalue\nDELIMITER` blocks.
  if (actions && existsSync(env.GITHUB_OUTPUT!) && statSync(env.GITHUB_OUTPUT!).isFile())
    for (const m of readFileSync(env.GITHUB_OUTPUT!, 'utf8').matchAll(/^(\S+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) outputs[m[1]] = m[3];
  return { ...result, summary, outputs };
}
const script = (name: string, ...args: string[]) => ['--import', 'tsx', join(ROOT, 'scripts', 'ci', `${name}.ts`), ...args];
const cli = (...args: string[]) => [join(ROOT, 'bin', 'collapse-bench.js'), ...args];

// The pull-request run: "accumulate" plays the changed method beside the other baselines.
const RUN = [
  '--task',
  'gaussian-chain',
  '--method',
  'accumulate',
  '--method',
  'replace',
  '--method',
  'real-only',
  '--seeds',
  '3',
  '--set',
  'generations=5',
  '--set',
  'replicates=300',
];
beforeAll(async () => {
  const run = await step(cli('run', ...RUN, '--out', at('pr'), '--json'), { actions: false });
  expect(run.code, run.stderr).toBe(0);
}, 60_000);

describe('pr-summary', () => {
  it('writes the changed method’s scores, deltas against the baselines with intervals, and runtime to the job summary', async () => {
    const { code, summary, outputs, stderr } = await step(script('pr-summary', '--results', at('pr'), '--methods', 'accumulate'));
    expect(code, stderr).toBe(0);
    expect(summary).toContain('<h2>CollapseBench: changed methods at the quick profile</h2>');
    expect(summary).toContain('<h3>accumulate</h3>');
    expect(summary).toMatch(/<th>Δ vs real-only<\/th><th>Δ vs replace<\/th>/);
    expect(summary).toMatch(
      /<td>accumulate<\/td><td>-?\d\.\d{3} \[-?\d\.\d{3}, -?\d\.\d{3}\]<\/td><td>1 among entries scored on gaussian-chain<\/td>/,
    );
    expect(summary).toMatch(/<td>\d+\.\d s<\/td>/);
    expect(summary).toContain(
      '<code>npx collapse-bench run --task gaussian-chain --method accumulate --method real-only --method replace</code>',
    );
    expect(outputs).toEqual({ failed: '0', methods: 'accumulate' });
    expect(stderr).toContain('summary written to the job summary');
  });

  it('prints the summary on stdout when GITHUB_STEP_SUMMARY is unset, instead of throwing', async () => {
    const { code, stdout, stderr } = await step(script('pr-summary', '--results', at('pr'), '--methods', 'accumulate'), { actions: false });
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('<h3>accumulate</h3>');
    expect(stderr).toContain('summary written to the stdout');
  });

  it('lists failed cells with their reasons and counts them in the `failed` output', async () => {
    cpSync(at('pr'), at('pr-failed'), { recursive: true });
    const [{ file, record }] = readCellFiles(at('pr-failed')).filter((c) => c.record.key.method === 'accumulate');
    writeFileSync(
      file,
      JSON.stringify({ ...record, status: 'failed', reason: 'pool hook threw <boom>', steps: [], metrics: {} } satisfies ResultRecord),
    );
    const { summary, outputs } = await step(script('pr-summary', '--results', at('pr-failed'), '--methods', 'accumulate'));
    expect(outputs.failed).toBe('1');
    expect(summary).toContain(`<li>failed: gaussian-chain seed ${record.key.seed} — pool hook threw &lt;boom&gt;</li>`);
  });

  it('Δ vs replace is the normalized score − 1 (replace scores 1), with an interval around it', async () => {
    const registry = await loadRegistry();
    const records = sortRecords(readCellFiles(at('pr')).map((c) => c.record));
    const scores = scoreRecords(records, registry);
    const row = scores.settings.find((r) => r.method === 'accumulate')!;
    const [vsReplace, vsOracle] = deltas(records, scores, registry, row, ['replace', 'real-only']);
    expect(vsReplace.value).toBeCloseTo(row.normalized! - 1, 12);
    expect(vsOracle.value).toBe(row.normalized);
    for (const d of [vsReplace, vsOracle]) expect(d.ci!.low <= d.value! && d.value! <= d.ci!.high).toBe(true);
  });

  it('refuses a folder without records, saying how to make them', async () => {
    const { code, stderr } = await step(script('pr-summary', '--results', at('nothing'), '--methods', 'x'));
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      `error: no current records in ${at('nothing')}: run \`collapse-bench run --method <id> … --out ${at('nothing')}\` first`,
    );
  });
});

describe('changed-methods', () => {
  it('keeps methods/<id> folders that still hold a method.ts, with shell-safe ids only', () => {
    const fixture = fixtureRoot({ 'tail-keeper': '', 'fresh-mix': '' });
    try {
      mkdirSync(join(fixture.root, 'methods', '_template'));
      const paths = [
        'methods/tail-keeper/method.ts',
        'methods/tail-keeper/README.md',
        'methods/fresh-mix/README.md',
        'methods/deleted/method.ts',
        'methods/_template/method.ts',
        'methods/$(evil)/method.ts',
        'harness/generations.ts',
      ];
      expect(changedMethods(paths, fixture.root)).toEqual(['fresh-mix', 'tail-keeper']);
      const outputs = methodOutputs(['tail-keeper'], ['gaussian-chain'], fixture.root);
      expect(outputs).toEqual({
        any: 'true',
        ids: 'tail-keeper',
        folders: 'methods/tail-keeper',
        methods: ['tail-keeper', ...baselineIds(fixture.root)].join(' '),
        tasks: 'gaussian-chain',
      });
      expect(outputs.methods.split(' ')).toEqual(expect.arrayContaining(['real-only', 'replace', 'accumulate']));
      expect(methodOutputs([], [], fixture.root).any).toBe('false');
    } finally {
      fixture.cleanup();
    }
  });

  it('sets the step outputs; an unknown base commit checks every method', async () => {
    const { code, outputs, stdout } = await step(script('changed-methods', '--base', '0000000000000000000000000000000000000000'));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^base commit unknown: checking every method/);
    expect(Object.keys(outputs).sort()).toEqual(['any', 'folders', 'ids', 'methods', 'tasks']);
    expect(outputs.methods.split(' ')).toEqual(expect.arrayContaining(['replace', 'real-only']));
  });

  it('fails loudly, naming the folder and the rule, for a touched method folder whose name is not an id', () => {
    const fixture = fixtureRoot({ 'tail-keeper': '', Tail_Keeper: '', 'dash-': '' });
    try {
      mkdirSync(join(fixture.root, 'methods', 'Notes Only'));
      const rule =
        'must be lowercase letters and digits in dash-separated words, starting with a letter (e.g. fresh-data-mixing); rename the folder and the id in its method.ts';
      const touched = [
        'methods/tail-keeper/method.ts',
        'methods/Tail_Keeper/method.ts',
        'methods/Notes Only/README.md',
        'methods/dash-/method.ts',
      ];
      let error: unknown;
      try {
        changedMethods(touched, fixture.root);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MethodFolderError);
      expect((error as Error).message.split('\n')).toEqual([
        `"methods/Notes Only": a method folder's name is its id, and this one is not valid: id "Notes Only" ${rule}`,
        `"methods/Tail_Keeper": a method folder's name is its id, and this one is not valid: id "Tail_Keeper" ${rule}`,
        `"methods/dash-": a method folder's name is its id, and this one is not valid: id "dash-" ${rule}`,
      ]);
      // Checking every method (base unknown) finds them too; valid folders alone pass.
      expect(() => allMethods(fixture.root)).toThrow(MethodFolderError);
      expect(changedMethods(['methods/tail-keeper/method.ts'], fixture.root)).toEqual(['tail-keeper']);
    } finally {
      fixture.cleanup();
    }
  });

  it('as a step: exits 1 with one error line per invalid folder, and sets no outputs', async () => {
    const long = 'a'.repeat(65);
    const fixture = fixtureRoot({ 'tail-keeper': '', [long]: '' });
    try {
      const { code, stderr, stdout, outputs } = await step(script('changed-methods', '--base', '0000000', '--root', fixture.root));
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.trim()).toBe(
        `error: "methods/${long}": a method folder's name is its id, and this one is not valid: id is 65 characters long; at most 64 are allowed; rename the folder and the id in its method.ts`,
      );
      expect(outputs).toEqual({});
    } finally {
      fixture.cleanup();
    }
  });

  it('in CI, fails when it cannot write its step outputs: GITHUB_OUTPUT unset, or not a writable file', async () => {
    const fixture = fixtureRoot({});
    try {
      const args = script('changed-methods', '--base', '0000000', '--root', fixture.root);
      // A developer's machine: no outputs to set, no error.
      expect((await step(args, { actions: false })).code).toBe(0);
      const unset = await step(args, { actions: false, env: { CI: 'true' } });
      expect(unset.code).toBe(2);
      expect(unset.stderr.trim()).toBe(
        'error: cannot set the step outputs any, ids, folders, methods, tasks: GITHUB_OUTPUT is not set, although this runs in CI (CI or GITHUB_ACTIONS is set)',
      );
      const folder = mkdtempSync(join(work, 'output-dir-'));
      const unwritable = await step(args, { env: { GITHUB_OUTPUT: folder } });
      expect(unwritable.code).toBe(2);
      expect(unwritable.stderr.trim()).toBe(
        `error: cannot write the step outputs to GITHUB_OUTPUT (${folder}): EISDIR: illegal operation on a directory, open '${folder}'`,
      );
      const missing = await step(args, { env: { GITHUB_OUTPUT: join(folder, 'absent.txt') } });
      expect(missing.code).toBe(2);
      expect(missing.stderr.trim()).toBe(
        `error: cannot write the step outputs to GITHUB_OUTPUT (${join(folder, 'absent.txt')}): Missing file at path: ${join(folder, 'absent.txt')}`,
      );
    } finally {
      fixture.cleanup();
    }
  });

  it('lists the tasks the changed methods apply to, so baselines run only there', async () => {
    const registry = await loadRegistry();
    expect(applicableTasks(registry, ['accumulate'])).toContain('gaussian-chain');
    expect(applicableTasks(registry, [])).toEqual([]);
  });
});

describe('the nightly’s plan and publish summaries', () => {
  it('plan-outputs gives the matrix and a summary of each shard’s work', async () => {
    const planned = await step(cli('plan', ...RUN, '--shards', '2', '--results', at('pr'), '--out', at('plan.json')), { actions: false });
    expect(planned.code, planned.stderr).toBe(0);
    const { code, outputs, summary } = await step(script('plan-outputs', '--plan', at('plan.json')));
    expect(code).toBe(0);
    expect(JSON.parse(outputs.matrix)).toEqual({
      include: [
        { shard: '1/2', name: 'shard-1-of-2', cells: 5, todo: 0 },
        { shard: '2/2', name: 'shard-2-of-2', cells: 4, todo: 0 },
      ],
    });
    expect(outputs).toMatchObject({ todo: '0', cells: '9' });
    expect(summary).toContain('<h2>Nightly plan: 9 cells at the quick profile</h2>');
  });

  it('publish-summary shows the leaderboard, the reproducing command and the changes', async () => {
    const published = await step(cli('publish', '--from', at('pr'), '--results', at('results'), '--plan', at('plan.json'), '--id', 'n1'), {
      actions: false,
    });
    expect(published.code, published.stderr).toBe(0);
    expect(published.stdout).toMatch(
      /^published 9 cells as .*n1 \(the first published run\)\nreproduce: .*npx collapse-bench run --profile quick --task gaussian-chain/,
    );
    const { code, outputs, summary } = await step(script('publish-summary', '--results', at('results')));
    expect(code).toBe(0);
    expect(outputs).toEqual({ run: 'n1' });
    expect(summary).toContain('<h2>Published run n1</h2>');
    expect(summary).toContain('<h3>First published run</h3>');
    expect(summary).toMatch(/<td>1 \(on gaussian-chain\)<\/td><td>1<\/td><td>accumulate<\/td><td>0\.\d{3} \[/);
    // References (scale entries: oracle = 0, reference = 1) are listed, never ranked.
    expect(summary).toMatch(/<td>—<\/td><td>—<\/td><td>real-only<\/td><td>n\/a<\/td>/);
  });
});
