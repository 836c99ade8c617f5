/**
 * The schemas of the result files the site trusts nothing about: load.ts reads each through
 * harness/json-file.ts against its schema here, and a bad one stops the build with an error that
 * names the file and the field.
 */
import { z } from 'zod';
import type { EntryScore, Scores, SettingScore, SettingSummary } from '../../harness/scoring.ts';

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

/** A run's scores.json (harness/scoring.ts `Scores`). */
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

export const ScoresSchema = z.object({
  settings: z.array(SettingScoreSchema),
  settingSummaries: z.array(SettingSummarySchema),
  entries: z.array(EntryScoreSchema),
  resamples: z.number().int().positive(),
  confidence: z.number().gt(0).lt(1),
}) satisfies z.ZodType<Scores>;

