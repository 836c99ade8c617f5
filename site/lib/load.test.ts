/** The site's data loader on real records from a tiny CLI run: layouts, empty state, stale records, refusing bad files. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../harness/registry.ts';
import type { ResultsIndex, RunManifest } from '../../harness/published.ts';
import type { ResultRecord } from '../../harness/schema.ts';
import { loadSiteData } from './load.ts';

const work = mkdtempSync(join(tmpdir(), 'site-load-'));
const run = join(work, 'run');
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  const args = [
    'run',
    '--task',
    'gaussian-chain',
    '--method',
    'replace',
    '--method',
    'real-only',
    '--method',
    'accumulate',
    '--seeds',
    '2',
    '--set',
    'generations=3',
    '--set',
    'replicates=40',
    '--out',
    run,
  ];
  await promisify(execFile)('node', [join(ROOT, 'bin', 'collapse-bench.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
  });
});

const cellFiles = (dir: string) =>
  readdirSync(join(dir, 'cells'))
    .filter((f) => f.endsWith('.json'))
    .sort();

/** A copy of the run folder, to damage. */
function copyRun(name: string): string {
  const dir = join(work, name);
  cpSync(run, dir, { recursive: true });
  return dir;
}

/** results/ with the run published `count` times (newest first), as harness/published.ts lays it out. */
function publish(name: string, count: number): string {
  const dir = join(work, name);
  const runs: RunManifest[] = [];
  for (let i = 0; i < count; i++) {
    const id = `2025-01-0${count - i}T00-00-00Z`;
    cpSync(run, join(dir, 'runs', id), { recursive: true });
    const manifest: RunManifest = {
      id,
      date: `2025-01-0${count - i}T00:00:00Z`,
      gitCommit: 'abc123',
      harnessVersion: '0.1.0',
      profile: 'quick',
      command: 'npx collapse-bench run --profile quick',
      cells: 6,
      changes:
        i === 0 && count > 1
          ? [{ entry: 'accumulate', setting: null, field: 'iqm', before: 0.3, after: 0.2, cause: 'baselines/accumulate changed' }]
          : [],
    };
    writeFileSync(join(dir, 'runs', id, 'manifest.json'), JSON.stringify(manifest));
    runs.push(manifest);
  }
  const index: ResultsIndex = { schemaVersion: 1, runs };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  return dir;
}

describe('loadSiteData', () => {
  it('builds the empty state without results: tasks and methods, no scores', async () => {
    const data = await loadSiteData({ results: null });
    expect(data.source).toEqual({ kind: 'none', path: null });
    expect(data.current).toBeNull();
    expect(data.runs).toEqual([]);
    expect(data.tasks.map((t) => t.id)).toContain('gaussian-chain');
    expect(data.methods.map((m) => m.id)).toEqual(expect.arrayContaining(['replace', 'real-only', 'accumulate', 'accumulate-subsample']));
    const replace = data.methods.find((m) => m.id === 'replace')!;
    expect(replace.applicability['gaussian-chain']).toBeNull();
    expect(replace.hooks).toEqual(['pool']);
  });

  it('reads a local run folder and scores its records', async () => {
    const data = await loadSiteData({ results: run });
    expect(data.source.kind).toBe('local');
    expect(data.current!.records).toHaveLength(6);
    expect(data.current!.scores.entries.map((e) => e.entry).sort()).toEqual(['accumulate', 'real-only', 'replace']);
    expect(data.current!.byTask['gaussian-chain'].entries).toHaveLength(3);
    expect(data.current!.theory).toHaveLength(1);
    expect(data.runs).toEqual([data.current!.run]);
    expect(data.current!.run.stale).toEqual([]);
  });

  it('reads published results: the newest run is the leaderboard, every run is history with its changes', async () => {
    const data = await loadSiteData({ results: publish('published', 2) });
    expect(data.source.kind).toBe('published');
    expect(data.runs.map((r) => r.id)).toEqual(['2025-01-02T00-00-00Z', '2025-01-01T00-00-00Z']);
    expect(data.current!.run.id).toBe('2025-01-02T00-00-00Z');
    expect(data.runs[0].changes).toEqual([
      { entry: 'accumulate', setting: null, field: 'iqm', before: 0.3, after: 0.2, cause: 'baselines/accumulate changed' },
    ]);
    expect(data.runs[0].entries.map((e) => e.entry).sort()).toEqual(['accumulate', 'real-only', 'replace']);
  });

  it('flags a record whose code changed since as stale and leaves it out of the scores', async () => {
    const dir = copyRun('stale');
    const [first] = cellFiles(dir);
    const path = join(dir, 'cells', first);
    const record = JSON.parse(readFileSync(path, 'utf8')) as ResultRecord;
    record.provenance.methodHash = 'old';
    writeFileSync(path, JSON.stringify(record));
    const data = await loadSiteData({ results: dir });
    expect(data.current!.run.stale).toEqual([
      {
        id: record.id,
        task: 'gaussian-chain',
        method: record.key.method,
        seed: record.key.seed,
        reason: `method ${record.key.method} changed since the record was computed`,
      },
    ]);
    expect(data.current!.records.map((r) => r.id)).not.toContain(record.id);
  });
});

describe('loadSiteData refuses bad files, naming the file and the field', () => {
  it('a cell that is not JSON', async () => {
    const dir = copyRun('not-json');
    const path = join(dir, 'cells', cellFiles(dir)[0]);
    writeFileSync(path, '{"schemaVersion": 1,');
    await expect(loadSiteData({ results: dir })).rejects.toThrow(new RegExp(`^${path.replaceAll('.', '\\.')}: not valid JSON`));
  });

  it('a schema-invalid cell', async () => {
    const dir = copyRun('bad-cell');
    const path = join(dir, 'cells', cellFiles(dir)[0]);
    const record = JSON.parse(readFileSync(path, 'utf8'));
    record.metrics.w2.mean = 'oops';
    writeFileSync(path, JSON.stringify(record));
    await expect(loadSiteData({ results: dir })).rejects.toThrow(
      `${path}: invalid result record at field "metrics.w2.mean": Invalid input: expected array, received string`,
    );
  });

  it('a schema-invalid results index', async () => {
    const dir = publish('bad-index', 1);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    index.runs[0].cells = -1;
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    await expect(loadSiteData({ results: dir })).rejects.toThrow(
      `${join(dir, 'index.json')}: invalid results index at field "runs.0.cells": Too small: expected number to be >=0`,
    );
  });

  it('an index that lists a run folder that does not exist', async () => {
    const dir = publish('missing-run', 1);
    rmSync(join(dir, 'runs'), { recursive: true });
    await expect(loadSiteData({ results: dir })).rejects.toThrow(
      `${join(dir, 'index.json')}: invalid results index at field "runs.0.id": run folder runs/2025-01-01T00-00-00Z does not exist`,
    );
  });

  it('a schema-invalid scores.json', async () => {
    const dir = publish('bad-scores', 1);
    const path = join(dir, 'runs', '2025-01-01T00-00-00Z', 'scores.json');
    const scores = JSON.parse(readFileSync(path, 'utf8'));
    scores.entries[0].iqm = 'best';
    writeFileSync(path, JSON.stringify(scores));
    await expect(loadSiteData({ results: dir })).rejects.toThrow(
      `${path}: invalid scores at field "entries.0.iqm": Invalid input: expected number, received string`,
    );
  });

  it('a results folder that does not exist', async () => {
    await expect(loadSiteData({ results: join(work, 'nope') })).rejects.toThrow(
      `results not found: ${join(work, 'nope')} (run \`collapse-bench run --out ${join(work, 'nope')}\` first, or leave --results out to build without results)`,
    );
  });

  it('an empty run folder is the empty state, not an error', async () => {
    mkdirSync(join(work, 'empty', 'cells'), { recursive: true });
    const data = await loadSiteData({ results: join(work, 'empty') });
    expect(data.source.kind).toBe('local');
    expect(data.current).toBeNull();
  });
});
