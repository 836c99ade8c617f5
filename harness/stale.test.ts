/**
 * When a stored record stops standing for its cell: every stale reason (task or method gone,
 * task, method or harness code changed), and the records never reused whatever the code
 * (timeouts and crashed processes). A bug that skipped any one hash check must fail here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry, type Registry } from './registry.ts';
import { planCells, type PlannedCell } from './cells.ts';
import { machineDependentReason, reusable, staleReason } from './cache.ts';
import type { ResultRecord } from './schema.ts';
import { testRecord } from './testing/records.ts';

let registry: Registry;
let cell: PlannedCell;

beforeAll(async () => {
  registry = await loadRegistry();
  [cell] = planCells(registry, { tasks: ['gaussian-chain'], methods: ['replace'], profile: 'quick', seeds: 1 });
});

/** The record `cell` would get from the current code, with `changes` applied. */
function record(changes: Partial<ResultRecord> = {}, provenance: Partial<ResultRecord['provenance']> = {}): ResultRecord {
  return testRecord(cell.key, changes, {
    taskHash: cell.task.hash,
    methodHash: cell.method.hash,
    harnessHash: registry.harnessHashOf(cell.key.task, cell.key.method),
    ...provenance,
  });
}
const without = (kind: 'tasks' | 'methods', id: string): Registry => ({
  ...registry,
  [kind]: registry[kind].filter((e) => e.definition.id !== id),
});

/** Each stale reason: the registry the record is judged against, the record, and the exact reason. */
const STALE: { name: string; registry: () => Registry; record: () => ResultRecord; reason: string }[] = [
  {
    name: 'task removed',
    registry: () => without('tasks', 'gaussian-chain'),
    record: () => record(),
    reason: 'task gaussian-chain no longer exists',
  },
  {
    name: 'method removed',
    registry: () => without('methods', 'replace'),
    record: () => record(),
    reason: 'method replace no longer exists',
  },
  {
    name: 'task code changed',
    registry: () => registry,
    record: () => record({}, { taskHash: 'an-older-task' }),
    reason: 'task gaussian-chain changed since the record was computed',
  },
  {
    name: 'method code changed',
    registry: () => registry,
    record: () => record({}, { methodHash: 'an-older-method' }),
    reason: 'method replace changed since the record was computed',
  },
  {
    name: 'harness code changed',
    registry: () => registry,
    record: () => record({}, { harnessHash: 'an-older-harness' }),
    reason: 'harness changed since the record was computed',
  },
];

describe('staleReason', () => {
  it('is undefined for a record of the current code', () => {
    expect(staleReason(record(), registry)).toBeUndefined();
  });

  for (const stale of STALE) {
    it(`names the reason: ${stale.name}`, () => {
      expect(staleReason(stale.record(), stale.registry())).toBe(stale.reason);
    });
  }

  it('compares with the registry’s hashes, not only the record’s: new code in the registry makes the record stale', () => {
    const newer = (kind: 'tasks' | 'methods', id: string): Registry => ({
      ...registry,
      [kind]: registry[kind].map((e) => (e.definition.id === id ? { ...e, hash: `${e.hash}-edited` } : e)),
    });
    expect(staleReason(record(), newer('tasks', 'gaussian-chain'))).toBe('task gaussian-chain changed since the record was computed');
    expect(staleReason(record(), newer('methods', 'replace'))).toBe('method replace changed since the record was computed');
    expect(staleReason(record(), { ...registry, harnessHashOf: () => 'a-newer-harness' })).toBe(
      'harness changed since the record was computed',
    );
    // Another task's or method's change does not touch this record.
    expect(staleReason(record(), newer('tasks', 'regression'))).toBeUndefined();
    expect(staleReason(record(), newer('methods', 'accumulate'))).toBeUndefined();
  });

  it('gives the first reason when several hold: a gone task or method, then task, method, harness', () => {
    const neither = { ...without('tasks', 'gaussian-chain'), methods: without('methods', 'replace').methods };
    expect(staleReason(record(), neither)).toBe('task gaussian-chain no longer exists');
    expect(staleReason(record({}, { taskHash: 'a', methodHash: 'b', harnessHash: 'c' }), registry)).toBe(
      'task gaussian-chain changed since the record was computed',
    );
    expect(staleReason(record({}, { methodHash: 'b', harnessHash: 'c' }), registry)).toBe(
      'method replace changed since the record was computed',
    );
  });
});

describe('reusable', () => {
  it('reuses a current record that is ok, skipped, or failed because the method or task threw', () => {
    expect(reusable(record(), cell, registry)).toBe(true);
    expect(reusable(record({ status: 'skipped', reason: 'not applicable' }), cell, registry)).toBe(true);
    expect(reusable(record({ status: 'failed', reason: 'boom', failure: 'error' }), cell, registry)).toBe(true);
    // Records written before the failure field existed: a throw, reused as before.
    expect(reusable(record({ status: 'failed', reason: 'boom' }), cell, registry)).toBe(true);
  });

  for (const stale of STALE) {
    it(`recomputes a stale record: ${stale.name}`, () => {
      expect(reusable(stale.record(), cell, stale.registry())).toBe(false);
    });
  }

  it('recomputes a timeout and a crashed process even with current code', () => {
    const timeout = record({ status: 'timeout', reason: 'exceeded the per-cell time limit of 600 s' });
    const crash = record({ status: 'failed', reason: "the cell's process died (exit code 137)", failure: 'crash' });
    expect(staleReason(timeout, registry)).toBeUndefined();
    expect(staleReason(crash, registry)).toBeUndefined();
    expect(reusable(timeout, cell, registry)).toBe(false);
    expect(reusable(crash, cell, registry)).toBe(false);
  });

  it('recomputes when there is no record, or the record is another cell’s', () => {
    expect(reusable(undefined, cell, registry)).toBe(false);
    const [, other] = planCells(registry, { tasks: ['gaussian-chain'], methods: ['replace'], profile: 'quick', seeds: 2 });
    expect(reusable(record(), other, registry)).toBe(false);
  });
});

describe('machineDependentReason', () => {
  it('is timeout or crash for the records recomputed whatever the code, else undefined', () => {
    expect(machineDependentReason(record({ status: 'timeout' }))).toBe('timeout');
    expect(machineDependentReason(record({ status: 'failed', failure: 'crash' }))).toBe('crash');
    expect(machineDependentReason(record({ status: 'failed', failure: 'error' }))).toBeUndefined();
    expect(machineDependentReason(record({ status: 'failed' }))).toBeUndefined();
    expect(machineDependentReason(record())).toBeUndefined();
    expect(machineDependentReason(record({ status: 'skipped' }))).toBeUndefined();
  });
});
