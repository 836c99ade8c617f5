/** `collapse-bench new-method`: the scaffold passes the metadata checks, and fails only where code is missing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../harness/registry.ts';
import { fixtureRoot } from '../../harness/testing/fixture-root.ts';
import { scaffoldMethod } from './new-method.ts';
import { formatProblem, validateMethods } from '../../harness/validate-methods.ts';

let fixture: ReturnType<typeof fixtureRoot>;
beforeAll(() => {
  fixture = fixtureRoot({});
  cpSync(join(ROOT, 'methods', '_template'), join(fixture.root, 'methods', '_template'), { recursive: true });
  symlinkSync(join(ROOT, 'scripts'), join(fixture.root, 'scripts'));
});
afterAll(() => fixture.cleanup());

const run = promisify(execFile);
async function cli(args: string[], cwd = ROOT) {
  try {
    const { stdout, stderr } = await run('node', [join(ROOT, 'bin', 'collapse-bench.js'), ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('scaffolding', () => {
  it('writes method.ts with the chosen hooks stubbed, README.md with front matter, and a test', () => {
    const files = scaffoldMethod(fixture.root, 'tail-keeper', { hooks: ['pool', 'estimate'] });
    expect(files).toEqual(['methods/tail-keeper/README.md', 'methods/tail-keeper/method.test.ts', 'methods/tail-keeper/method.ts']);
    const source = readFileSync(join(fixture.root, 'methods', 'tail-keeper', 'method.ts'), 'utf8');
    expect(source).toContain("id: 'tail-keeper',");
    expect(source).toContain("title: 'Tail keeper',");
    expect(source).toContain(
      'throw new Error(`not implemented: the pool hook of methods/tail-keeper/method.ts (generation ${ctx.t}, params ${JSON.stringify(p)})`);',
    );
    expect(source).toContain(
      // The formatter wraps this stub's long message onto its own line.
      '`not implemented: the estimate hook of methods/tail-keeper/method.ts (generation ${ctx.t}, ${typeof model} model, params ${JSON.stringify(p)})`,',
    );
    expect(source).not.toMatch(/fit\(ctx|<hook|_template/);
    expect(readFileSync(join(fixture.root, 'methods', 'tail-keeper', 'README.md'), 'utf8')).toMatch(/^---\ntitle: Tail keeper\n/);
  });

  it('passes the metadata checks, and fails the run checks with "not implemented" until the hooks are written', async () => {
    scaffoldMethod(fixture.root, 'stub-only');
    const [report] = await validateMethods(fixture.root, ['methods/stub-only']);
    expect(report.tasks).toContain('gaussian-chain');
    const onChain = report.problems.filter((p) => p.field === 'cell gaussian-chain (quick profile, seed 0)').map(formatProblem);
    expect(onChain).toEqual([
      'methods/stub-only/method.ts: cell gaussian-chain (quick profile, seed 0): fails at the quick profile: not implemented: the pool hook of methods/stub-only/method.ts (generation 1, params {"lambda":0.5}) — write the hook: the scaffold’s stub still throws',
    ]);
    expect(report.problems.every((p) => p.message.includes('not implemented'))).toBe(true);
  });

  it('once the hook is written (and limited to one task), its own test passes under vitest', async () => {
    scaffoldMethod(fixture.root, 'written');
    const file = join(fixture.root, 'methods', 'written', 'method.ts');
    const source = readFileSync(file, 'utf8')
      .replace(
        'throw new Error(`not implemented: the pool hook of methods/written/method.ts (generation ${ctx.t}, params ${JSON.stringify(p)})`);',
        'return { parts: [{ batch: ctx.synthetic(ctx.size) }] };',
      )
      .replace(
        '  hooks: {',
        "  skip: (task) => (task.id === 'gaussian-chain' ? undefined : 'this test runs gaussian-chain only'),\n  hooks: {",
      );
    writeFileSync(file, source);
    const { stdout, stderr } = await run('npx', ['vitest', 'run', '--root', fixture.root, 'methods/written'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', CI: '1' },
    }).catch((e) => e);
    expect(stdout + stderr).toMatch(/Tests\s+2 passed \(2\)/);
  });
});

describe('the new-method command', () => {
  const cases: [string[], string][] = [
    [
      ['Bad_Id'],
      'error: method id "Bad_Id" must be lowercase letters and digits in dash-separated words, starting with a letter (e.g. fresh-data-mixing)',
    ],
    [['a'.repeat(65)], 'error: method id is 65 characters long; at most 64 are allowed'],
    [['replace'], 'error: baselines/replace already exists: choose another id'],
    [
      ['fresh-ok', '--hooks', 'credit'],
      'error: invalid --hooks credit: expected some of pool, fit, estimate (the template has stubs for pool, fit, estimate only)',
    ],
  ];
  it.each(cases)('%j', async (args, message) => {
    const { stderr, code } = await cli(['new-method', ...args]);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(message);
    expect(existsSync(join(ROOT, 'methods', args[0]))).toBe(false);
  });
});
