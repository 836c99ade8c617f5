/** The changelog between two published runs: what moved, and which code change moved it. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { computeChanges, publishRun, readIndex, runId, type RunSnapshot } from './publish.ts';
import { score, type TaskInfo } from './scoring.ts';
import type { CellKey, ResultRecord } from './schema.ts';
import { cellId } from './cells.ts';

const TASKS: TaskInfo[] = [{ id: 't', stepAxis: 'generation', primary: { name: 'err', direction: 'lower' } }];
const FOLDERS = {
  t: 'benchmarks/t',
  'real-only': 'baselines/real-only',
  replace: 'baselines/replace',
  m1: 'methods/m1',
  m2: 'methods/m2',
  early: 'baselines/early',
  ref: 'baselines/ref',
};
const CURVES: Record<string, number[]> = {
  'real-only': [0, 0.1, 0.2],
  replace: [0, 1, 2],
  m1: [0, 0.5, 1],
  m2: [0, 0.2, 0.4],
  early: [0, 0.1, 0.2],
  ref: [0, 1, 2],
};

type Hashes = Partial<{ task: string; method: string; harness: string; lockfile: string }>;
function record(method: string, seed: number, shift = 0, hashes: Hashes = {}): ResultRecord {
  const mean = CURVES[method].map((v, i) => v + shift * i + 0.01 * seed * i);
  const key: CellKey = { task: 't', taskParams: { n: 1 }, method, methodParams: {}, seed };
  return {
    schemaVersion: 1,
    // The real id: reading a published run back checks that the id is the hash of the key.
    id: cellId(key),
    key,
    status: 'ok',
    stepAxis: 'generation',
    steps: [0, 1, 2],
    metrics: { err: { mean, se: [0, 0, 0], n: [1, 1, 1] } },
    budget: { realSamplesPerChain: 0 },
    timing: { wallMs: 1, startedAt: '2025-01-01T00:00:00.000Z' },
    provenance: {
      harnessVersion: '0.1.0',
      taskHash: hashes.task ?? 'task-0',
      methodHash: hashes.method ?? `${method}-0`,
      harnessHash: hashes.harness ?? 'harness-0',
      gitCommit: null,
      lockfileHash: hashes.lockfile ?? 'lock-0',
      node: 'v20.19.0',
      backend: 'js-float64',
      cpu: 'test',
      date: '2025-01-01T00:00:00.000Z',
    },
  };
}
function run(methods: Record<string, { shift?: number; hashes?: Hashes }>, common: Hashes = {}, tasks: TaskInfo[] = TASKS): RunSnapshot {
  const records = Object.entries(methods).flatMap(([m, o]) =>
    [0, 1, 2].map((seed) => record(m, seed, o.shift, { ...common, ...o.hashes })),
  );
  return { records, scores: score(records, tasks, { resamples: 200 }) };
}
const base = { 'real-only': {}, replace: {}, m1: {} };

describe('computeChanges', () => {
  it('is empty when nothing moved', () => {
    expect(computeChanges(run(base), run(base), FOLDERS)).toEqual([]);
  });

  it('attributes a moved score to the method whose code changed', () => {
    const after = run({ ...base, m1: { shift: -0.2, hashes: { method: 'm1-1' } } });
    const changes = computeChanges(run(base), after, FOLDERS);
    expect(changes.map((c) => [c.entry, c.setting === null ? null : 'setting', c.field, c.cause])).toEqual([
      ['m1', 'setting', 'normalized', 'methods/m1 changed'],
      ['m1', null, 'iqm', 'methods/m1 changed'],
    ]);
    const iqm = changes.find((c) => c.field === 'iqm')!;
    expect(iqm.after!).toBeLessThan(iqm.before!);
  });

  it('attributes every moved score to a change of a scale entry (oracle or reference) or of the harness', () => {
    const scale = computeChanges(run(base), run({ ...base, replace: { shift: 0.5, hashes: { method: 'replace-1' } } }), FOLDERS);
    expect(scale.find((c) => c.entry === 'm1' && c.field === 'iqm')?.cause).toBe('baselines/replace changed (scale entry)');
    const harness = computeChanges(run(base), run({ ...base, m1: { shift: 0.1 } }, { harness: 'harness-1', lockfile: 'lock-1' }), FOLDERS);
    expect(harness.find((c) => c.entry === 'm1' && c.field === 'iqm')?.cause).toBe(
      'harness changed; dependencies changed (package-lock.json)',
    );
  });

  it('names the scale entries a task declares (as dcca and diffusion-align do), not real-only and replace', () => {
    const own: TaskInfo[] = [{ ...TASKS[0], scoreScale: { oracle: 'early', reference: 'ref' } }];
    const before = run({ early: {}, ref: {}, m1: {} }, {}, own);
    const changes = computeChanges(before, run({ early: {}, ref: { shift: 0.5, hashes: { method: 'ref-1' } }, m1: {} }, {}, own), FOLDERS);
    expect(changes.find((c) => c.entry === 'm1' && c.field === 'iqm')?.cause).toBe('baselines/ref changed (scale entry)');
  });

  it('attributes a harness change only to the cells whose harness hash changed (hashes are per cell)', () => {
    const withM2 = { ...base, m2: {} };
    // m2's cells reach a harness module that changed; m1's moved without any change of its own.
    const changes = computeChanges(
      run(withM2),
      run({ ...withM2, m1: { shift: 0.1 }, m2: { shift: 0.1, hashes: { harness: 'harness-1' } } }),
      FOLDERS,
    );
    expect(changes.find((c) => c.entry === 'm2' && c.field === 'iqm')?.cause).toBe('harness changed');
    expect(changes.find((c) => c.entry === 'm1' && c.field === 'iqm')?.cause).toBe(
      'no code change recorded (same task, method and harness hashes): nondeterminism or platform',
    );
  });

  it('reports a new method, and ranks it moved past as caused by it', () => {
    const changes = computeChanges(run(base), run({ ...base, m2: {} }), FOLDERS);
    expect(changes.filter((c) => c.entry === 'm2').map((c) => [c.setting === null, c.field, c.before, c.cause])).toEqual([
      [false, 'added', null, 'new method methods/m2'],
      [true, 'added', null, `new method methods/m2; settings added: ${changes.find((c) => c.entry === 'm2' && c.setting)!.setting}`],
    ]);
    expect(changes.find((c) => c.entry === 'm1' && c.field === 'rank')).toMatchObject({
      before: 1,
      after: 2,
      cause: 'other entries moved: m2',
    });
  });

  it('says so when numbers moved without any hash change', () => {
    const changes = computeChanges(run(base), run({ ...base, m1: { shift: 0.1 } }), FOLDERS);
    expect(changes.find((c) => c.field === 'iqm')?.cause).toBe(
      'no code change recorded (same task, method and harness hashes): nondeterminism or platform',
    );
  });
});

describe('publishRun', () => {
  const dir = mkdtempSync(join(tmpdir(), 'publish-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function cellsOf(snapshot: RunSnapshot, name: string) {
    const folder = join(dir, name);
    mkdirSync(folder, { recursive: true });
    return snapshot.records.map((record) => {
      const file = join(folder, `${record.id}.json`);
      writeFileSync(file, `${JSON.stringify(record, null, 1)}\n`);
      return { record, file };
    });
  }
  const common = {
    resultsDir: join(dir, 'results'),
    gitCommit: 'abc',
    harnessVersion: '0.1.0',
    profile: 'quick' as const,
    command: 'npx collapse-bench run',
    folders: FOLDERS,
  };

  it('writes the layout, puts the newest run first, and compares with the previous one', () => {
    const first = run(base);
    const one = publishRun({ ...common, cells: cellsOf(first, 'a'), scores: first.scores, date: '2025-11-24T03:00:00.000Z' });
    expect(one).toMatchObject({ id: '2025-11-24T03-00-00Z', previous: null, changes: [], cells: 9, statuses: { ok: 9 } });
    const second = run({ ...base, m1: { shift: -0.2, hashes: { method: 'm1-1' } } });
    const two = publishRun({ ...common, cells: cellsOf(second, 'b'), scores: second.scores, date: '2025-11-25T03:00:00.000Z' });
    expect(two.previous).toBe(one.id);
    expect(two.changes.map((c) => c.cause)).toEqual(['methods/m1 changed', 'methods/m1 changed']);
    expect(readIndex(common.resultsDir).runs.map((r) => r.id)).toEqual([two.id, one.id]);
    const m1 = `${second.records.find((r) => r.key.method === 'm1' && r.key.seed === 0)!.id}.json`;
    const copied = readFileSync(join(common.resultsDir, 'runs', two.id, 'cells', m1), 'utf8');
    expect(copied).toBe(readFileSync(join(dir, 'b', m1), 'utf8'));
    expect(JSON.parse(readFileSync(join(common.resultsDir, 'result-record.schema.json'), 'utf8')).properties.status.enum).toEqual([
      'ok',
      'failed',
      'skipped',
      'timeout',
    ]);
  });

  it('names runs by date, sortably, without colons', () => {
    expect(runId(new Date('2025-11-25T02:13:07.123Z'))).toBe('2025-11-25T02-13-07Z');
  });
});
