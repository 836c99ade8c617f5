/**
 * Per-task score scales (TaskDefinition.scoreScale → TaskInfo.scoreScale): a task that names its
 * own oracle (= 0) and reference (= 1) is normalized between them, beside tasks on the default
 * real-only and replace, in one score() call whose IQM spans both.
 */
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, type ResultRecord } from './schema.ts';
import { score, type TaskInfo } from './scoring.ts';
import { taskInfos } from './results.ts';
import { loadRegistry } from './registry.ts';

let nextId = 0;
function record(task: string, method: string, values: number[], seed = 0): ResultRecord {
  const steps = values.map((_, i) => i);
  return {
    schemaVersion: SCHEMA_VERSION,
    id: `a${nextId++}`,
    key: { task, taskParams: {}, method, methodParams: {}, seed },
    status: 'ok',
    stepAxis: task === 'd' ? 'epoch' : 'generation',
    steps,
    metrics: { m: { mean: values, se: values.map(() => 0), n: values.map(() => 1) } },
    budget: { realSamplesPerChain: 0 },
    timing: { wallMs: 1, startedAt: '2025-01-01T00:00:00.000Z' },
    provenance: {
      harnessVersion: '0',
      taskHash: 'x',
      methodHash: 'x',
      harnessHash: 'x',
      gitCommit: null,
      lockfileHash: null,
      node: 'v20',
      backend: 'cpu',
      cpu: 'test',
      date: '2025-01-01',
    },
  };
}

const generational: TaskInfo = { id: 'g', stepAxis: 'generation', primary: { name: 'm', direction: 'lower' } };
const trained: TaskInfo = {
  id: 'd',
  stepAxis: 'epoch',
  primary: { name: 'm', direction: 'higher' },
  scoreScale: { oracle: 'early-stopping', reference: 'dcca' },
};

describe('per-task score scales', () => {
  const records = [
    record('g', 'real-only', [0, 0, 0]),
    record('g', 'replace', [0, 1, 2]),
    record('g', 'x', [0, 0.5, 1]),
    // Higher is better: the oracle holds 1, plain DCCA falls; x loses half as much area.
    record('d', 'early-stopping', [0, 1, 1]),
    record('d', 'dcca', [0, 1, 0]),
    record('d', 'x', [0, 1, 0.5]),
  ];
  const scores = score(records, [generational, trained], { resamples: 50 });
  const row = (task: string, entry: string) => scores.settings.find((s) => s.task === task && s.entry === entry)!;

  it('normalizes a task with its own scale between its oracle (0) and reference (1)', () => {
    expect(row('d', 'early-stopping').normalized).toBe(0);
    expect(row('d', 'dcca').normalized).toBe(1);
    expect(row('d', 'x').normalized).toBeCloseTo(0.5, 12);
  });

  it('keeps real-only and replace on the other tasks', () => {
    expect(row('g', 'real-only').normalized).toBe(0);
    expect(row('g', 'replace').normalized).toBe(1);
    expect(row('g', 'x').normalized).toBeCloseTo(0.5, 12);
  });

  it('an entry present on both kinds gets one IQM over both; one task’s scale entries are n/a on the other', () => {
    const x = scores.entries.find((e) => e.entry === 'x')!;
    expect(x.settings).toBe(2);
    expect(x.iqm).toBeCloseTo(0.5, 12);
    // Each task's scale entries are reference rows there and have no records on the other task.
    for (const name of ['dcca', 'replace'])
      expect(scores.entries.find((e) => e.entry === name)).toMatchObject({ role: 'reference', settings: 0, rank: null });
  });

  it('says which scale entry is missing when a task’s own oracle has no records', () => {
    const partial = score(
      records.filter((r) => r.key.method !== 'early-stopping'),
      [generational, trained],
      { resamples: 10 },
    );
    const dRow = partial.settings.find((s) => s.task === 'd' && s.entry === 'x')!;
    expect(dRow.normalized).toBeNull();
    expect(dRow.normalizedNote).toBe("oracle 'early-stopping' has no records on this setting");
  });

  it('taskInfos passes a task definition’s score scale through (dcca: early-stopping and dcca)', async () => {
    const infos = taskInfos(await loadRegistry());
    expect(infos.find((t) => t.id === 'dcca')!.scoreScale).toEqual({ oracle: 'early-stopping', reference: 'dcca' });
    expect(infos.find((t) => t.id === 'gaussian-chain')!.scoreScale).toBeUndefined();
  });
});
