/**
 * The nightly restore seeds the run folder with the current cells of the last published run
 * only: a stale cell (each reason) and a timeout are left for the run to recompute, and a
 * published folder holding a misnamed or edited record is refused, naming the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadRegistry, type Registry } from '../../harness/registry.ts';
import { planCells, type PlannedCell } from '../../harness/cells.ts';
import { publishRun } from '../../harness/publish.ts';
import { score } from '../../harness/scoring.ts';
import type { CellKey, ResultRecord } from '../../harness/schema.ts';
import { testRecord } from '../../harness/testing/records.ts';
import { restoreCells } from './restore-cells.ts';

const work = mkdtempSync(join(tmpdir(), 'restore-stale-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const at = (...parts: string[]) => join(work, ...parts);

let registry: Registry;
let cells: PlannedCell[];

beforeAll(async () => {
  registry = await loadRegistry();
  cells = planCells(registry, { tasks: ['gaussian-chain'], methods: ['replace'], profile: 'quick', seeds: 5 });
});

/** A record of `key` as the current code computes it, with `changes` applied. */
function record(key: CellKey, changes: Partial<ResultRecord> = {}, provenance: Partial<ResultRecord['provenance']> = {}): ResultRecord {
  return testRecord(key, changes, {
    taskHash: cells[0].task.hash,
    methodHash: cells[0].method.hash,
    harnessHash: registry.harnessHashOf(key.task, key.method),
    ...provenance,
  });
}

/** Publishes `records` as run `id` into `<work>/<name>/results`, through the real publishRun. */
function publish(name: string, id: string, records: ResultRecord[]): string {
  const from = at(name, 'from');
  mkdirSync(from, { recursive: true });
  const input = records.map((r) => {
    const file = join(from, `${r.id}.json`);
    writeFileSync(file, `${JSON.stringify(r, null, 1)}\n`);
    return { record: r, file };
  });
  const resultsDir = at(name, 'results');
  publishRun({
    resultsDir,
    cells: input,
    scores: score([], []),
    id,
    date: '2025-11-25T03:00:00.000Z',
    gitCommit: null,
    harnessVersion: '0.1.0',
    profile: 'quick',
    command: 'npx collapse-bench run',
  });
  return resultsDir;
}

describe('restoreCells', () => {
  it('restores only the current cell; each stale reason, the timeout and the crash are counted and left out', () => {
    const current = record(cells[0].key);
    const staleOnes = [
      record({ ...cells[1].key, task: 'retired-task' }), // the task no longer exists
      record({ ...cells[1].key, method: 'retired-method' }), // the method no longer exists
      record(cells[1].key, {}, { taskHash: 'an-older-task' }),
      record(cells[2].key, {}, { methodHash: 'an-older-method' }),
      record(cells[3].key, {}, { harnessHash: 'an-older-harness' }),
    ];
    const timeout = record(cells[4].key, {
      status: 'timeout',
      reason: 'exceeded the per-cell time limit of 600 s',
      steps: [],
      metrics: {},
    });
    const crash = record(
      { ...cells[0].key, seed: 7 },
      { status: 'failed', failure: 'crash', reason: "the cell's process was killed (SIGKILL), e.g. out of memory", steps: [], metrics: {} },
    );
    const results = publish('mixed', 'night-1', [current, ...staleOnes, timeout, crash]);
    expect(readdirSync(at('mixed', 'results', 'runs', 'night-1', 'cells'))).toHaveLength(8);

    const restored = restoreCells(registry, results, at('mixed', 'next'));
    // The crash is counted with the timeouts: both are recomputed by the shard that owns them.
    expect(restored).toEqual({ run: 'night-1', restored: 1, stale: 5, timeouts: 2 });
    expect(readdirSync(at('mixed', 'next', 'cells'))).toEqual([`${current.id}.json`]);
    // Copied byte for byte from the published run.
    expect(readFileSync(at('mixed', 'next', 'cells', `${current.id}.json`), 'utf8')).toBe(
      readFileSync(at('mixed', 'results', 'runs', 'night-1', 'cells', `${current.id}.json`), 'utf8'),
    );
  });

  it('restores nothing and creates nothing when no run was published', () => {
    expect(restoreCells(registry, at('none', 'results'), at('none', 'next'))).toEqual({ run: null, restored: 0, stale: 0, timeouts: 0 });
    expect(existsSync(at('none', 'next'))).toBe(false);
  });

  it('refuses a published run holding a record copied under a second name, naming the file', () => {
    const current = record(cells[0].key);
    const results = publish('copied', 'night-1', [current]);
    const published = at('copied', 'results', 'runs', 'night-1', 'cells');
    const copy = join(published, `${cells[1].id}.json`);
    copyFileSync(join(published, `${current.id}.json`), copy);
    expect(() => restoreCells(registry, results, at('copied', 'next'))).toThrow(
      `${copy}: file name does not match the record id ${current.id} (a copied or renamed record would count as extra seeds; the file must be named ${current.id}.json)`,
    );
  });

  it('refuses a published run holding a record whose seed was edited, naming the file', () => {
    const current = record(cells[0].key);
    const results = publish('edited', 'night-1', [current]);
    const file = at('edited', 'results', 'runs', 'night-1', 'cells', `${current.id}.json`);
    writeFileSync(file, JSON.stringify({ ...current, key: { ...current.key, seed: 1 } }));
    expect(() => restoreCells(registry, results, at('edited', 'next'))).toThrow(
      `${file}: record id ${current.id} is not the hash of its key (${cells[1].id})`,
    );
  });
});
