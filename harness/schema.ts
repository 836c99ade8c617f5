/**
 * The result format: one record per cell, schema-versioned and provenance-stamped.
 * `collapse-bench schema` prints it as JSON Schema (results/result-record.schema.json).
 */
import { z } from 'zod';

export const SCHEMA_VERSION = 1;

const params = z.record(z.string(), z.union([z.number(), z.string(), z.boolean()]));

/** The unit of work, caching and sharding. Its hash seeds the cell's random streams. */
export const CellKey = z.object({
  task: z.string().describe('task id (benchmarks/<id>)'),
  taskParams: params.describe('fully resolved task parameters'),
  method: z.string().describe('baseline or method id'),
  methodParams: params.describe('fully resolved method parameters'),
  seed: z.number().int().nonnegative(),
});
export type CellKey = z.infer<typeof CellKey>;

/** One metric's curve, columnar and aligned with `steps`: mean, standard error and count over replicates. */
export const MetricSeries = z.object({
  mean: z.array(z.number()),
  se: z.array(z.number()),
  n: z.array(z.number().int()),
});
export type MetricSeries = z.infer<typeof MetricSeries>;

export const Provenance = z.object({
  harnessVersion: z.string(),
  /** sha256 of the task folder's files (less README and tests) and of the files outside harness/ they import (registry.ts hashEntry). */
  taskHash: z.string(),
  /** The same for the method or baseline folder. */
  methodHash: z.string(),
  /** sha256 of the numeric harness modules this cell's loop, task and method reach (registry.ts cellHarnessHashes): editing one stales only the cells that import it. */
  harnessHash: z.string(),
  gitCommit: z.string().nullable(),
  lockfileHash: z.string().nullable(),
  node: z.string(),
  backend: z.string(),
  cpu: z.string(),
  date: z.string(),
});
export type Provenance = z.infer<typeof Provenance>;

/**
 * What a model's samples look like at one step, small enough to draw: a task's `snapshot`
 * (replicate 0 only). `step` null is the real data the chain starts from.
 */
export const Snapshot = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('points'),
    step: z.number().nullable(),
    x: z.array(z.number()),
    y: z.array(z.number()),
    label: z.array(z.number().int()),
  }),
  z.object({ kind: z.literal('text'), step: z.number().nullable(), lines: z.array(z.string()) }),
  z.object({ kind: z.literal('gaussian'), step: z.number().nullable(), mean: z.array(z.number()), variance: z.array(z.number()) }),
]);
export type Snapshot = z.infer<typeof Snapshot>;

export const CellStatus = z.enum(['ok', 'failed', 'skipped', 'timeout']);
export type CellStatus = z.infer<typeof CellStatus>;

export const ResultRecord = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  /** Short hash of the canonical cell key; the cache file name. */
  id: z.string(),
  key: CellKey,
  status: CellStatus,
  /** Why a cell failed, timed out or was skipped. */
  reason: z.string().optional(),
  failure: z
    .enum(['error', 'crash'])
    .optional()
    .describe(
      "how a failed cell failed: 'error' = the method or task threw (deterministic: the record is reused); " +
        "'crash' = the cell's process died or was killed, e.g. out of memory (machine-dependent: recomputed on the next run, like a timeout)",
    ),
  stepAxis: z.enum(['generation', 'epoch']),
  steps: z.array(z.number()),
  metrics: z.record(z.string(), MetricSeries),
  budget: z.object({
    /** Fresh real samples consumed beyond generation 0, per chain (replicate). */
    realSamplesPerChain: z.number(),
  }),
  /** Pictures of the samples at a few steps (first, middle, last) and of the real data, where the task draws them. */
  snapshots: z.array(Snapshot).optional(),
  timing: z.object({ wallMs: z.number(), startedAt: z.string() }),
  provenance: Provenance,
});
export type ResultRecord = z.infer<typeof ResultRecord>;

/** JSON Schema of a result record, for consumers outside TypeScript. */
export function resultRecordJsonSchema(): unknown {
  return z.toJSONSchema(ResultRecord, { target: 'draft-2020-12' });
}
