/** The CLI end to end, through the real `collapse-bench` binary, at tiny budgets. */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ROOT } from '../harness/registry.ts';
import type { ResultRecord } from '../harness/schema.ts';
import type { Scores } from '../harness/scoring.ts';

const BIN = join(ROOT, 'bin', 'collapse-bench.js');
const work = mkdtempSync(join(tmpdir(), 'cli-'));
/** CLI processes still running: a test that times out leaves its process behind, killed here. */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill();
  rmSync(work, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile('node', [BIN, ...args], { cwd: ROOT, maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      running.delete(child);
      resolve({ stdout, stderr, code: error ? Number((error as { code?: number }).code ?? 1) : 0 });
    });
    running.add(child);
  });
}
async function runJson(args: string[]): Promise<{ records: ResultRecord[]; scores: Scores }> {
  const { stdout, stderr, code } = await cli(['run', '--json', ...args]);
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout);
}
const tiny = ['--set', 'generations=3', '--set', 'replicates=40', '--seeds', '2'];
// The diffusion tasks' budgets have their own names: few steps and samples.
const tinyDiffusion = ['--set', 'train_steps=30', '--set', 'pretrain_steps=30', '--set', 'epochs=2', '--set', 'real=100', '--set', 'eval_samples=100'];
const numbers = (records: ResultRecord[]) => records.map((r) => JSON.stringify([r.id, r.status, r.steps, r.metrics, r.budget]));

describe('smoke: every task × method through the CLI', () => {
  it('runs, prints one JSON document, and every applicable cell is ok', async () => {
    const { records, scores } = await runJson([...tiny, ...tinyDiffusion, '--out', join(work, 'smoke')]);
    const list = JSON.parse((await cli(['list', '--json'])).stdout) as { tasks: { id: string }[]; methods: { id: string }[] };
    expect(records.length).toBe(list.tasks.length * list.methods.length * 2);
    for (const r of records) expect([r.key.task, r.key.method, r.status, r.reason]).toEqual([r.key.task, r.key.method, r.status === 'skipped' ? 'skipped' : 'ok', r.reason]);
    expect(scores.entries.map((e) => e.entry).sort()).toEqual(list.methods.map((m) => m.id).sort());
    const replace = scores.entries.find((e) => e.entry === 'replace')!;
    expect(replace.iqm).toBe(1);
  });
});

describe('the issue’s reference command', () => {
  const args = ['--task', 'gaussian-chain', '--method', 'replace', '--set', 'dim=1', '--set', 'samples=10', '--set', 'estimator=mle', '--set', 'generations=10', '--set', 'replicates=20000', '--seeds', '1'];

  it('reproduces E[σ²_n] = (1−1/M)^n within 3 SE and is byte-identical twice', async () => {
    const first = await runJson([...args, '--out', join(work, 'ref-a')]);
    const second = await runJson([...args, '--out', join(work, 'ref-b')]);
    expect(numbers(second.records)).toEqual(numbers(first.records));
    const { mean, se } = first.records[0].metrics.var_ratio;
    for (const t of [0, 5, 10]) expect(Math.abs(mean[t] - 0.9 ** (t + 1)) / se[t]).toBeLessThan(3);
  });
});

describe('sharding', () => {
  it('--shard 1/2 and 2/2 into one folder score exactly like the unsharded run', async () => {
    const base = ['--task', 'gaussian-chain', ...tiny];
    const whole = await runJson([...base, '--out', join(work, 'whole')]);
    const one = await runJson([...base, '--shard', '1/2', '--out', join(work, 'sharded')]);
    const two = await runJson([...base, '--shard', '2/2', '--out', join(work, 'sharded')]);
    expect(one.records.length + two.records.length).toBe(whole.records.length);
    const merged = JSON.parse((await cli(['score', '--json', '--results', join(work, 'sharded')])).stdout);
    const single = JSON.parse((await cli(['score', '--json', '--results', join(work, 'whole')])).stdout);
    const strip = (s: Scores) => JSON.stringify({ ...s, settings: s.settings.map((x) => ({ ...x, wallMs: 0 })), entries: s.entries.map((x) => ({ ...x, wallMs: 0 })) });
    expect(strip(merged.scores)).toBe(strip(single.scores));
  });
});

describe('resuming', () => {
  it('after kill -9 mid-run, a rerun keeps the saved cells and completes the rest', async () => {
    const out = join(work, 'killed');
    const baselines = ['replace', 'accumulate', 'accumulate-subsample', 'real-only'].flatMap((m) => ['--method', m]);
    const args = ['run', '--task', 'gaussian-chain', ...baselines, '--set', 'generations=30', '--set', 'replicates=20000', '--seeds', '2', '--jobs', '1', '--out', out];
    const child = spawn('node', [BIN, ...args], { cwd: ROOT, detached: true, stdio: 'ignore' });
    const cells = join(out, 'cells');
    const count = () => (existsSync(cells) ? readdirSync(cells).filter((f) => f.endsWith('.json')).length : 0);
    while (count() < 2) await new Promise((r) => setTimeout(r, 100));
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const saved = readdirSync(cells).filter((f) => f.endsWith('.json'));
    expect(saved.length).toBeGreaterThanOrEqual(2);
    expect(saved.length).toBeLessThan(8);
    const before = Object.fromEntries(saved.map((f) => [f, readFileSync(join(cells, f), 'utf8')]));
    const { records } = await runJson(args.slice(1));
    expect(records.length).toBe(8);
    expect(records.every((r) => r.status === 'ok')).toBe(true);
    for (const [file, text] of Object.entries(before)) expect(readFileSync(join(cells, file), 'utf8')).toBe(text);
  });
});

describe('input errors name the field and the fix', () => {
  const cases: [string[], string][] = [
    [['--set', 'samples=abc'], 'error: invalid --set samples: "abc" is not a number (task gaussian-chain)'],
    [['--set', 'samples=1'], 'error: invalid --set samples: 1 is too small: must be >=2 (task gaussian-chain)'],
    [['--set', 'estimator=median'], 'error: invalid --set estimator: "median" is not one of mle, unbiased (task gaussian-chain)'],
    [['--set', 'bogus=1'], 'error: unknown --set bogus (task gaussian-chain accepts: dim, samples, samples_growth, estimator, generations, replicates, variance, rho, known_variance; method parameters are set as <method-id>.<name>)'],
    [['--set', 'replace.alpha=1'], 'error: unknown --set replace.alpha (method replace accepts: no parameters)'],
    [['--task', 'nope'], `error: unknown --task "nope" (known: ${readdirSync(join(ROOT, 'benchmarks')).filter((d) => !d.startsWith('_')).sort().join(', ')})`],
    [['--shard', '3/2'], 'error: invalid --shard "3/2": expected k/N with 1 ≤ k ≤ N, e.g. 1/4'],
  ];
  it.each(cases)('%j', async (args, message) => {
    const { stderr, code, stdout } = await cli(args[0] === '--task' ? ['run', ...args] : ['run', '--task', 'gaussian-chain', ...args]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe(message);
  });
});

describe('score, verify, report, theory, schema', () => {
  const out = join(work, 'tools');
  it('verify reproduces saved records bit for bit and flags a tampered one', async () => {
    await runJson(['--task', 'gaussian-chain', '--method', 'replace', '--method', 'accumulate-subsample', ...tiny, '--out', out]);
    const ok = await cli(['verify', out, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ verified: 4, differing: [], stale: [] });
    const file = join(out, 'cells', readdirSync(join(out, 'cells'))[0]);
    const record = JSON.parse(readFileSync(file, 'utf8')) as ResultRecord;
    record.metrics.w2.mean[1] += 1e-12;
    writeFileSync(file, JSON.stringify(record));
    const bad = await cli(['verify', out, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).differing).toEqual([{ id: record.id, what: 'metrics' }]);
  });

  it('score refuses a schema-invalid record, naming the file and field', async () => {
    const dir = join(work, 'corrupt', 'cells');
    await runJson(['--task', 'gaussian-chain', '--method', 'replace', ...tiny, '--seeds', '1', '--out', join(work, 'corrupt')]);
    const file = join(dir, readdirSync(dir)[0]);
    const record = JSON.parse(readFileSync(file, 'utf8'));
    record.metrics.w2.se = 'oops';
    writeFileSync(file, JSON.stringify(record));
    const { code, stderr } = await cli(['score', '--results', join(work, 'corrupt')]);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(`error: ${file}: invalid result record at field "metrics.w2.se": Invalid input: expected array, received string`);
  });

  it('report writes one self-contained HTML file', async () => {
    const { stdout, code } = await cli(['report', '--results', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^report: .*report\.html/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<svg/);
    expect(html).not.toMatch(/<script/);
  });

  it('theory --json gives the closed forms for the given parameters', async () => {
    const { stdout } = await cli(['theory', '--task', 'gaussian-chain', '--set', 'samples=10', '--set', 'estimator=mle', '--set', 'generations=2', '--json']);
    const doc = JSON.parse(stdout) as { curves: { metric: string; values: number[] }[] };
    expect(doc.curves.find((c) => c.metric === 'var_ratio')!.values).toEqual([0.9, 0.9 * 0.9, 0.9 * 0.9 * 0.9].map((v, i) => expect.closeTo(v, 14 - i)));
  });

  it('schema prints the JSON Schema of result records', async () => {
    const schema = JSON.parse((await cli(['schema'])).stdout);
    expect(schema.properties.status.enum).toEqual(['ok', 'failed', 'skipped', 'timeout']);
  });
});
