/**
 * The layout of published results (what the nightly run commits and the site reads):
 *
 *   results/index.json                  ResultsIndex: every published run, newest first
 *   results/runs/<run id>/manifest.json RunManifest
 *   results/runs/<run id>/scores.json   ScoresSchema (harness/scoring.ts Scores)
 *   results/runs/<run id>/cells/<cell id>.json   ResultRecord, one per cell
 *   results/result-record.schema.json   JSON Schema of a record (`collapse-bench schema`)
 *
 * A local run folder (`runs/latest`) has the same `cells/` and `scores.json` without a manifest.
 */
import { z } from 'zod';
import type { EntryScore, Scores, SettingScore, SettingSummary } from './scoring.ts';

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

const Interval = z.object({ low: z.number(), high: z.number() });
const Params = z.record(z.string(), z.union([z.number(), z.string(), z.boolean()]));
const count = z.number().int().nonnegative();
const Improvement = z.object({ over: z.string(), value: z.number().min(0).max(1), ci: Interval.nullable(), settings: count });
const Improvements = z.object({ reference: Improvement.nullable(), bestBaseline: Improvement.nullable() });

const SettingScoreSchema = z.object({
  setting: z.string(),
  task: z.string(),
  taskParams: Params,
  entry: z.string(),
  method: z.string(),
  methodParams: Params,
  role: z.enum(['oracle', 'reference', 'entry']),
  rank: z.number().int().positive().nullable(),
  extraRealData: z.boolean(),
  matched: z.object({ primary: z.number().nullable(), step: z.number().nullable() }).optional(),
  improvement: Improvements,
  seeds: count,
  failed: count,
  timeout: count,
  skipped: count,
  steps: z.array(z.number()),
  curve: z.array(z.number()),
  area: z.number().nullable(),
  normalized: z.number().nullable(),
  normalizedCi: Interval.nullable(),
  normalizedNote: z.string().optional(),
  final: z.number().nullable(),
  finalCi: Interval.nullable(),
  stepsToCollapse: z.number().nullable(),
  censored: z.boolean(),
  realSamplesPerChain: z.number(),
  wallMs: z.number(),
}) satisfies z.ZodType<SettingScore>;

const EntryScoreSchema = z.object({
  entry: z.string(),
  method: z.string(),
  methodParams: Params,
  role: z.enum(['reference', 'entry']),
  basis: z.array(z.string()),
  iqm: z.number().nullable(),
  ci: Interval.nullable(),
  rank: z.number().int().positive().nullable(),
  unranked: z.string().optional(),
  tier: z.number().int().positive().nullable(),
  extraRealData: z.boolean(),
  improvement: Improvements,
  coverage: z.object({ applicable: count, total: count }),
  missing: z.array(z.string()),
  settings: count,
  realSamplesPerChain: z.number(),
  wallMs: z.number(),
}) satisfies z.ZodType<EntryScore>;

const SettingSummarySchema = z.object({
  setting: z.string(),
  task: z.string(),
  taskParams: Params,
  oracle: z.string(),
  reference: z.string(),
  seeds: z.object({ oracle: count, reference: count }),
  gap: z.number().nullable(),
  gapCi: Interval.nullable(),
  collapse: z.boolean(),
  note: z.string().optional(),
  tradeoff: z.object({ metric: z.string(), target: z.number() }).optional(),
}) satisfies z.ZodType<SettingSummary>;

/** A run's scores.json: harness/scoring.ts `Scores`, checked field by field when read. */
export const ScoresSchema = z.object({
  settings: z.array(SettingScoreSchema),
  settingSummaries: z.array(SettingSummarySchema),
  entries: z.array(EntryScoreSchema),
  resamples: z.number().int().positive(),
  confidence: z.number().gt(0).lt(1),
}) satisfies z.ZodType<Scores>;
