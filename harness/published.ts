/**
 * The layout of published results (what the nightly run commits and the site reads):
 *
 *   results/index.json                  ResultsIndex: every published run, newest first
 *   results/runs/<run id>/manifest.json RunManifest
 *   results/runs/<run id>/scores.json   ScoresSchema (harness/scores.ts)
 *   results/runs/<run id>/cells/<cell id>.json   ResultRecord, one per cell
 *   results/result-record.schema.json   JSON Schema of a record (`collapse-bench schema`)
 *
 * A local run folder (`runs/latest`) has the same `cells/` and `scores.json` without a manifest.
 */
import { z } from 'zod';

/** A run's scores.json: defined in harness/scores.ts, re-exported with the rest of the published layout. */
export { ScoresSchema } from './scores.ts';

/** One score or rank that moved between two published runs, and the code change that moved it. */
export const RunChange = z.object({
  entry: z.string().describe('entry label (method id, with params when several)'),
  /** Setting key (task/params hash), or null for the aggregate across settings. */
  setting: z.string().nullable(),
  field: z.enum(['iqm', 'rank', 'tier', 'normalized', 'added', 'removed']),
  before: z.number().nullable(),
  after: z.number().nullable(),
  /** What changed in the code: e.g. "methods/fresh-data-mixing changed", "harness changed", "new method". */
  cause: z.string(),
});
export type RunChange = z.infer<typeof RunChange>;

export const RunManifest = z.object({
  id: z.string().describe('folder name under results/runs/, sortable by date'),
  date: z.string(),
  gitCommit: z.string().nullable(),
  harnessVersion: z.string(),
  profile: z.enum(['quick', 'standard', 'full']),
  /** The exact command that reproduces every cell of the run. */
  command: z.string(),
  cells: z.number().int().nonnegative(),
  /** Changes against the previous published run (empty for the first). */
  changes: z.array(RunChange),
  /** Id of the run the changes are computed against; null for the first published run. */
  previous: z.string().nullable().optional(),
  /** Cells per status (ok, failed, skipped, timeout). */
  statuses: z.record(z.string(), z.number().int().nonnegative()).optional(),
});
export type RunManifest = z.infer<typeof RunManifest>;

export const ResultsIndex = z.object({
  schemaVersion: z.literal(1),
  runs: z.array(RunManifest),
});
export type ResultsIndex = z.infer<typeof ResultsIndex>;
