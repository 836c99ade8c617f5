/**
 * The nightly pipeline end to end, locally, through the real CLI and CI scripts: plan → 3 shards
 * in separate processes → merge → score → publish (manifest, changelog) → restore for the next
 * night → Pages folder. The merge must equal a single-process run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { ROOT, loadRegistry } from '../../harness/registry.ts';
import { canonicalJson } from '../../harness/hash.ts';
import { readCellFiles, readIndex } from '../../harness/publish.ts';
import type { RunManifest } from '../../harness/published.ts';
import { scoreRecords, sortRecords } from '../../harness/results.ts';
import type { ResultRecord } from '../../harness/schema.ts';
import type { Scores } from '../../harness/scoring.ts';
import { buildPlan, type PlanDocument } from '../commands/plan.ts';
import { mergeResults } from '../commands/merge.ts';
import { publishFolder } from '../commands/publish.ts';
import { restoreCells } from './restore-cells.ts';
import { sampleRecords } from '../commands/verify.ts';
import { assemblePages } from './pages.ts';

const BIN = join(ROOT, 'bin', 'collapse-bench.js');
const work = mkdtempSync(join(tmpdir(), 'nightly-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const at = (...parts: string[]) => join(work, ...parts);

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [BIN, ...args], {
      cwd: ROOT,
      maxBuffer: 1 << 26,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
async function ok(args: string[]): Promise<string> {
  const { stdout, stderr, code } = await cli(args);
  expect(code, stderr).toBe(0);
  return stdout;
}

// A small but real selection: three tasks' worth of settings would make the test slow; one task,
// four entries (oracle, reference, two more), two seeds, a sweep of two settings.
const SELECTION = [
  '--task',
  'gaussian-chain',
  '--method',
  'replace',
  '--method',
  'real-only',
  '--method',
  'accumulate',
  '--method',
  'accumulate-subsample',
  '--seeds',
  '2',
  '--set',
  'generations=4',
  '--set',
  'replicates=300',
  '--set',
  'samples=10,20',
];
/** What must match bit for bit between runs: everything but timing and provenance. */
const numbers = (records: ResultRecord[]) =>
  sortRecords(records).map((r) =>
    canonicalJson({ id: r.id, key: r.key, status: r.status, reason: r.reason, steps: r.steps, metrics: r.metrics, budget: r.budget }),
  );
const withoutTime = (s: Scores) =>
  canonicalJson({ ...s, settings: s.settings.map((x) => ({ ...x, wallMs: 0 })), entries: s.entries.map((x) => ({ ...x, wallMs: 0 })) });

let plan: PlanDocument;
const timings: Record<string, number> = {};
async function timed<T>(name: string, f: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await f();
  } finally {
    timings[name] = Math.round(performance.now() - start);
  }
}
afterAll(() => console.log(`nightly pipeline timings (ms): ${JSON.stringify(timings)}`));

beforeAll(async () => {
  plan = JSON.parse(
    await timed('plan', () => ok(['plan', ...SELECTION, '--profile', 'quick', '--shards', '3', '--results', at('cache'), '--json'])),
  );
  writeFileSync(at('plan.json'), JSON.stringify(plan));
  // The three shards as the matrix runs them: separate processes, the plan's own run flags.
  await timed('3 shards in parallel', () =>
    Promise.all(
      plan.matrix.include.map((s) =>
        ok(['run', ...plan.runArgs, '--shard', s.shard, '--out', at('shards', s.name), '--jobs', '1', '--json']),
      ),
    ),
  );
  await timed('merge', () =>
    ok(['merge', ...plan.matrix.include.map((s) => at('shards', s.name)), '--plan', at('plan.json'), '--out', at('merged'), '--json']),
  );
  await timed('single process', () => ok(['run', ...plan.runArgs, '--out', at('whole'), '--jobs', '1', '--json']));
}, 120_000);

describe('plan', () => {
  it('lists every cell once, assigns shards round-robin, and gives a matrix entry per shard', () => {
    expect(plan.counts).toEqual({ total: 16, new: 16, stale: 0, current: 0, skipped: 0 });
    expect(plan.cells.map((c) => c.shard)).toEqual(plan.cells.map((_, i) => (i % 3) + 1));
    expect(plan.matrix.include).toEqual([
      { shard: '1/3', name: 'shard-1-of-3', cells: 6, todo: 6 },
      { shard: '2/3', name: 'shard-2-of-3', cells: 5, todo: 5 },
      { shard: '3/3', name: 'shard-3-of-3', cells: 5, todo: 5 },
    ]);
    expect(plan.command).toBe(`collapse-bench run --profile quick ${SELECTION.join(' ')}`);
  });
});

describe('merge', () => {
  it('equals a single-process run: the same cells with the same numbers, and the same scores', async () => {
    const merged = readCellFiles(at('merged')).map((c) => c.record);
    const whole = readCellFiles(at('whole')).map((c) => c.record);
    expect(merged).toHaveLength(16);
    expect(numbers(merged)).toEqual(numbers(whole));
    const scores = (dir: string) => JSON.parse(readFileSync(join(dir, 'scores.json'), 'utf8')) as Scores;
    expect(withoutTime(scores(at('merged')))).toBe(withoutTime(scores(at('whole'))));
    // Each shard's record files are copied byte for byte.
    const first = plan.cells[0].id;
    expect(readFileSync(at('merged', 'cells', `${first}.json`), 'utf8')).toBe(
      readFileSync(at('shards', 'shard-1-of-3', 'cells', `${first}.json`), 'utf8'),
    );
  });

  it('refuses a cell whose numbers differ between two shards, naming both files', async () => {
    const registry = await loadRegistry();
    cpSync(at('shards', 'shard-1-of-3'), at('tampered'), { recursive: true });
    const id = plan.cells[0].id;
    const file = at('tampered', 'cells', `${id}.json`);
    const record = JSON.parse(readFileSync(file, 'utf8')) as ResultRecord;
    record.metrics.w2.mean[2] += 1e-9;
    writeFileSync(file, JSON.stringify(record));
    expect(() => mergeResults(registry, [at('shards', 'shard-1-of-3'), at('tampered')], at('refused'))).toThrow(
      `cell ${id} (gaussian-chain × replace, seed 0) has different numbers in ${at('shards', 'shard-1-of-3', 'cells', `${id}.json`)} and ${file} (metrics.w2.mean[2]: ${record.metrics.w2.mean[2] - 1e-9} vs ${record.metrics.w2.mean[2]}): refusing to merge — were the shards run from different code, or is the method nondeterministic? (\`collapse-bench validate\` checks)`,
    );
  });

  it('refuses to merge when a planned shard is missing, and says which to rerun', async () => {
    const { code, stderr } = await cli([
      'merge',
      at('shards', 'shard-1-of-3'),
      at('shards', 'shard-2-of-3'),
      '--plan',
      at('plan.json'),
      '--out',
      at('partial'),
    ]);
    expect(code).toBe(2);
    const missing = plan.cells.find((c) => c.shard === 3)!;
    expect(stderr.trim()).toBe(
      `error: 5 planned cell(s) missing from the merged folders, e.g. ${missing.id} (${missing.task} × ${missing.method}, seed ${missing.seed}) — rerun shard(s) 3/3 with \`${plan.command} --shard k/3\``,
    );
  });
});

describe('publish', () => {
  let first: RunManifest;

  it('writes the run with a manifest holding the exact reproducing command', async () => {
    first = JSON.parse(
      await timed('publish', () =>
        ok(['publish', '--from', at('merged'), '--results', at('results'), '--plan', at('plan.json'), '--id', 'night-1', '--json']),
      ),
    );
    expect(first).toMatchObject({ id: 'night-1', profile: 'quick', cells: 16, changes: [], previous: null, statuses: { ok: 16 } });
    const run = `npx ${plan.command} --out runs/reproduce`;
    expect([run, `git checkout ${first.gitCommit} && npm ci && ${run}`]).toContain(first.command);
    expect(readdirSync(at('results'))).toEqual(['index.json', 'result-record.schema.json', 'runs']);
    expect(readdirSync(at('results', 'runs', 'night-1')).sort()).toEqual(['cells', 'manifest.json', 'scores.json']);
    expect(readIndex(at('results')).runs.map((r) => r.id)).toEqual(['night-1']);
  });

  it('writes a changelog against the previous run, attributing each change to the code that changed', async () => {
    // Make night-1 look as if it ran an older accumulate: another code hash, other numbers.
    const registry = await loadRegistry();
    const dir = at('results', 'runs', 'night-1');
    const records = readCellFiles(dir).map(({ record, file }) => {
      if (record.key.method !== 'accumulate') return record;
      const older = {
        ...record,
        provenance: { ...record.provenance, methodHash: 'an-older-accumulate' },
        metrics: { ...record.metrics, w2: { ...record.metrics.w2, mean: record.metrics.w2.mean.map((v) => v * 1.5) } },
      };
      writeFileSync(file, JSON.stringify(older));
      return older;
    });
    writeFileSync(join(dir, 'scores.json'), JSON.stringify(scoreRecords(sortRecords(records), registry)));
    const second = await publishFolder({ from: at('merged'), results: at('results'), plan: at('plan.json'), id: 'night-2' });
    expect(second.previous).toBe('night-1');
    const accumulate = second.changes.filter((c) => c.entry === 'accumulate');
    expect(accumulate.map((c) => c.field)).toEqual(expect.arrayContaining(['normalized', 'normalized', 'iqm']));
    for (const change of accumulate) expect(change.cause).toBe('baselines/accumulate changed');
    for (const change of second.changes.filter((c) => c.entry !== 'accumulate'))
      expect(change.cause).toBe('other entries moved: accumulate');
    expect(readIndex(at('results')).runs.map((r) => r.id)).toEqual(['night-2', 'night-1']);
  });

  it('the next night restores the current cells and computes none of them again', async () => {
    const restored = restoreCells(await loadRegistry(), at('results'), at('next'));
    expect(restored).toEqual({ run: 'night-2', restored: 16, stale: 0, timeouts: 0 });
    const next = await buildPlan({
      tasks: ['gaussian-chain'],
      methods: ['replace', 'real-only', 'accumulate', 'accumulate-subsample'],
      profile: 'quick',
      seeds: 2,
      sets: ['generations=4', 'replicates=300', 'samples=10,20'],
      shards: 3,
      results: at('next'),
    });
    expect(next.counts).toMatchObject({ total: 16, current: 16, new: 0, stale: 0 });
    expect(next.matrix.include.map((s) => s.todo)).toEqual([0, 0, 0]);
  });

  it('the plan job verifies a sample of the restored cells and stops when one no longer reproduces', async () => {
    // As the nightly's verify step runs it, on the folder restore-cells wrote.
    const ok = await cli(['verify', at('next'), '--sample', '3', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ verified: 3, differing: [], stale: [], skipped: 0, unsampled: 13 });
    const ids = readdirSync(at('next', 'cells')).map((f) => f.replace(/\.json$/, ''));
    const [sampled] = sampleRecords(
      ids.map((id) => ({ id })),
      1,
    );
    const file = at('next', 'cells', `${sampled.id}.json`);
    const original = readFileSync(file, 'utf8');
    const record = JSON.parse(original) as ResultRecord;
    record.metrics.w2.mean[0] += 1e-9;
    writeFileSync(file, JSON.stringify(record));
    try {
      const bad = await cli(['verify', at('next'), '--sample', '3', '--json']);
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.stdout)).toMatchObject({ verified: 2, differing: [{ id: sampled.id, what: 'metrics' }] });
    } finally {
      writeFileSync(file, original);
    }
  }, 60_000);

  it('assembles the Pages folder: the site build when there is one, else the HTML report, with the raw results', () => {
    expect(assemblePages({ results: at('results'), out: at('site-a'), siteDist: at('no-site') })).toBe('report');
    expect(readFileSync(at('site-a', 'index.html'), 'utf8')).toMatch(/<svg/);
    expect(existsSync(at('site-a', 'results', 'runs', 'night-2', 'manifest.json'))).toBe(true);
    cpSync(at('site-a'), at('built'), { recursive: true });
    writeFileSync(at('built', 'index.html'), '<!doctype html><title>site</title>');
    expect(assemblePages({ results: at('results'), out: at('site-b'), siteDist: at('built') })).toBe('site');
    expect(readFileSync(at('site-b', 'index.html'), 'utf8')).toBe('<!doctype html><title>site</title>');
  });
});
