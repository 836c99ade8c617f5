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
    const child = execFile(
      'node',
      [BIN, ...args],
      { cwd: ROOT, maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        running.delete(child);
        resolve({ stdout, stderr, code: error ? Number((error as { code?: number }).code ?? 1) : 0 });
      },
    );
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
const tinyDiffusion = [
  '--set',
  'train_steps=30',
  '--set',
  'pretrain_steps=30',
  '--set',
  'epochs=2',
  '--set',
  'real=100',
  '--set',
  'eval_samples=100',
];
const numbers = (records: ResultRecord[]) => records.map((r) => JSON.stringify([r.id, r.status, r.steps, r.metrics, r.budget]));

describe('smoke: every task × method through the CLI', () => {
  it('runs, prints one JSON document, and every applicable cell is ok', async () => {
    const { records, scores } = await runJson([...tiny, ...tinyDiffusion, '--out', join(work, 'smoke')]);
    const list = JSON.parse((await cli(['list', '--json'])).stdout) as { tasks: { id: string }[]; methods: { id: string }[] };
    expect(records.length).toBe(list.tasks.length * list.methods.length * 2);
    for (const r of records)
      expect([r.key.task, r.key.method, r.status, r.reason]).toEqual([
        r.key.task,
        r.key.method,
        r.status === 'skipped' ? 'skipped' : 'ok',
        r.reason,
      ]);
    expect(scores.entries.map((e) => e.entry).sort()).toEqual(list.methods.map((m) => m.id).sort());
    // replace is the reference (= 1) of every task that does not name its own score scale.
    expect(scores.entries.find((e) => e.entry === 'replace')!.role).toBe('reference');
    const asReference = scores.settings.filter((r) => r.entry === 'replace' && r.role === 'reference');
    expect(asReference.length).toBeGreaterThan(0);
    for (const row of asReference) expect(row.normalized).toBe(1);
  });
});

describe('the issue’s reference command', () => {
  const args = [
    '--task',
    'gaussian-chain',
    '--method',
    'replace',
    '--set',
    'dim=1',
    '--set',
    'samples=10',
    '--set',
    'estimator=mle',
    '--set',
    'generations=10',
    '--set',
    'replicates=20000',
    '--seeds',
    '1',
  ];

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
    const strip = (s: Scores) =>
      JSON.stringify({
        ...s,
        settings: s.settings.map((x) => ({ ...x, wallMs: 0 })),
        entries: s.entries.map((x) => ({ ...x, wallMs: 0 })),
      });
    expect(strip(merged.scores)).toBe(strip(single.scores));
  });
});

describe('resuming', () => {
  it('after kill -9 mid-run, a rerun keeps the saved cells and completes the rest', async () => {
    const out = join(work, 'killed');
    const baselines = ['replace', 'accumulate', 'accumulate-subsample', 'real-only'].flatMap((m) => ['--method', m]);
    const args = [
      'run',
      '--task',
      'gaussian-chain',
      ...baselines,
      '--set',
      'generations=30',
      '--set',
      'replicates=20000',
      '--seeds',
      '2',
      '--jobs',
      '1',
      '--out',
      out,
    ];
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
    [
      ['--set', 'bogus=1'],
      'error: unknown --set bogus (task gaussian-chain accepts: dim, samples, samples_growth, estimator, generations, replicates, variance, rho, known_variance; method parameters are set as <method-id>.<name>)',
    ],
    [['--set', 'replace.alpha=1'], 'error: unknown --set replace.alpha (method replace accepts: no parameters)'],
    [
      ['--task', 'nope'],
      `error: unknown --task "nope" (known: ${readdirSync(join(ROOT, 'benchmarks'))
        .filter((d) => !d.startsWith('_'))
        .sort()
        .join(', ')})`,
    ],
    [['--shard', '3/2'], 'error: invalid --shard "3/2": expected k/N with 1 ≤ k ≤ N, e.g. 1/4'],
  ];
  it.each(cases)('%j', async (args, message) => {
    const { stderr, code, stdout } = await cli(args[0] === '--task' ? ['run', ...args] : ['run', '--task', 'gaussian-chain', ...args]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe(message);
  });
});

describe('usage errors: one line, a hint, exit 2 like every input error', () => {
  const cases: [string[], string, string][] = [
    [
      ['run', '--task', 'gaussian-chain', '--seed', '1'],
      "error: unknown option '--seed' (did you mean --seeds?)",
      'see collapse-bench run --help',
    ],
    [['run', '--seeds'], "error: option '--seeds <n>' argument missing", 'see collapse-bench run --help'],
    [
      ['run', '--seeds', '0'],
      "error: option '--seeds <n>' argument '0' is invalid. It must be a positive integer.",
      'see collapse-bench run --help',
    ],
    [
      ['run', '--profile', 'fast'],
      "error: option '--profile <name>' argument 'fast' is invalid. Allowed choices are quick, standard, full.",
      'see collapse-bench run --help',
    ],
    [['new-method'], "error: missing required argument 'id'", 'see collapse-bench new-method --help'],
    [['lst'], "error: unknown command 'lst' (did you mean list?)", 'see collapse-bench --help'],
  ];
  it.each(cases)('%j', async (args, message, hint) => {
    const { stdout, stderr, code } = await cli(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([message, hint]);
  });

  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await cli(['--version'])).toEqual({ stdout: `${version}\n`, stderr: '', code: 0 });
  });

  it('--help still exits with 0', async () => {
    const { stdout, code } = await cli(['run', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: collapse-bench run \[options\]/);
  });
});

describe('list', () => {
  it('shows every task id, method id and parameter name in full (the names `--set` takes)', async () => {
    const doc = JSON.parse((await cli(['list', '--json'])).stdout) as {
      tasks: { id: string; params: { name: string }[] }[];
      methods: { id: string; params: { name: string }[] }[];
    };
    const { stdout, code } = await cli(['list']);
    expect(code).toBe(0);
    // Every table cell and every word of a heading, as whole tokens: a cut name never matches.
    const tokens = new Set(stdout.split('\n').flatMap((line) => line.split(/[│\s]+/)));
    const names = [...doc.tasks, ...doc.methods].flatMap((owner) => [owner.id, ...owner.params.map((p) => p.name)]);
    expect(names.length).toBeGreaterThan(doc.tasks.length + doc.methods.length);
    expect(names.filter((name) => !tokens.has(name))).toEqual([]);
  });
});

describe('a run into a folder that holds other cells', () => {
  const out = join(work, 'shared-folder');
  const scaleEntries = ['--method', 'replace', '--method', 'real-only'];
  const cellFile = (task: string, method: string) => {
    const files = readdirSync(join(out, 'cells')).map((f) => join(out, 'cells', f));
    return files.find((f) => {
      const { key } = JSON.parse(readFileSync(f, 'utf8')) as ResultRecord;
      return key.task === task && key.method === method;
    })!;
  };

  it('scores every current cell of the folder (scores.json too), not the run’s subset, and prints per-task tables', async () => {
    await runJson(['--task', 'gaussian-chain', ...scaleEntries, '--method', 'accumulate', ...tiny, '--out', out]);
    // One of those cells goes stale (as if its task's code had changed since): it must not be scored.
    const stale = cellFile('gaussian-chain', 'accumulate');
    const record = JSON.parse(readFileSync(stale, 'utf8')) as ResultRecord;
    writeFileSync(stale, JSON.stringify({ ...record, provenance: { ...record.provenance, taskHash: 'changed' } }));

    const { stdout, stderr, code } = await cli(['run', '--task', 'regression', ...scaleEntries, ...tiny, '--out', out]);
    expect(code, stderr).toBe(0);
    const written = JSON.parse(readFileSync(join(out, 'scores.json'), 'utf8')) as Scores;
    const scored = JSON.parse((await cli(['score', '--json', '--results', out])).stdout) as { scores: Scores };
    expect(JSON.stringify(written)).toBe(JSON.stringify(scored.scores));
    expect([...new Set(written.settings.map((r) => r.task))]).toEqual(['gaussian-chain', 'regression']);
    const seeds = (task: string, entry: string) => written.settings.find((r) => r.task === task && r.entry === entry)?.seeds;
    expect([seeds('gaussian-chain', 'accumulate'), seeds('gaussian-chain', 'replace'), seeds('regression', 'replace')]).toEqual([1, 2, 2]);
    expect(stderr).toContain(
      `scores below: all 9 current cells in ${out} (5 from earlier runs; use a fresh --out to score this run alone)`,
    );
    expect(stderr).toContain(`1 stale record(s) in ${out} not scored`);

    // The per-task table: the ranked entry first, then the task's scale entries as reference rows.
    const lines = stdout.split('\n');
    const title = lines.findIndex((l) => l.startsWith('gaussian-chain — normalized collapse area'));
    expect(title, stdout).toBeGreaterThanOrEqual(0);
    expect(lines[title]).toContain('(real-only = 0, replace = 1)');
    const rows = lines.slice(title + 4, title + 7).map((l) =>
      l
        .split('│')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
    expect(rows.map((r) => [r[0], r[1], r[4]])).toEqual([
      ['1', 'accumulate', '1'],
      ['oracle', 'real-only', '2'],
      ['reference', 'replace', '2'],
    ]);
    expect(rows[0][3]).toMatch(/^\[-?\d\.\d{3}, -?\d\.\d{3}\]$/);
    expect(lines.some((l) => l.startsWith('regression — normalized collapse area'))).toBe(true);
    expect(lines.some((l) => l.startsWith('Leaderboard across tasks'))).toBe(true);
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
    expect(stderr.trim()).toBe(
      `error: ${file}: invalid result record at field "metrics.w2.se": Invalid input: expected array, received string`,
    );
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
    const { stdout } = await cli([
      'theory',
      '--task',
      'gaussian-chain',
      '--set',
      'samples=10',
      '--set',
      'estimator=mle',
      '--set',
      'generations=2',
      '--json',
    ]);
    const doc = JSON.parse(stdout) as { curves: { metric: string; values: number[] }[] };
    expect(doc.curves.find((c) => c.metric === 'var_ratio')!.values).toEqual(
      [0.9, 0.9 * 0.9, 0.9 * 0.9 * 0.9].map((v, i) => expect.closeTo(v, 14 - i)),
    );
  });

  it('schema prints the JSON Schema of result records', async () => {
    const schema = JSON.parse((await cli(['schema'])).stdout);
    expect(schema.properties.status.enum).toEqual(['ok', 'failed', 'skipped', 'timeout']);
  });
});
