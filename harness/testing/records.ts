/** A well-formed result record for tests: an ok two-step cell of `key`, with `changes` applied. */
import { cellId } from '../cells.ts';
import { SCHEMA_VERSION, type CellKey, type ResultRecord } from '../schema.ts';

export function testRecord(
  key: CellKey,
  changes: Partial<ResultRecord> = {},
  provenance: Partial<ResultRecord['provenance']> = {},
): ResultRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    id: cellId(key), // the real id: readers check that it is the hash of the key
    key,
    status: 'ok',
    stepAxis: 'generation',
    steps: [0, 1],
    metrics: { err: { mean: [0, 1], se: [0, 0], n: [1, 1] } },
    budget: { realSamplesPerChain: 0 },
    timing: { wallMs: 1, startedAt: '2025-01-01T00:00:00.000Z' },
    provenance: {
      harnessVersion: '0.1.0',
      taskHash: 'task-0',
      methodHash: 'method-0',
      harnessHash: 'harness-0',
      gitCommit: null,
      lockfileHash: null,
      node: 'v20.19.0',
      backend: 'js-float64',
      cpu: 'test',
      date: '2025-01-01T00:00:00.000Z',
      ...provenance,
    },
    ...changes,
  };
}
