/**
 * Reading result files the site trusts nothing about: each is parsed and checked against its
 * schema, and a bad one stops the build with an error that names the file and the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../../harness/params.ts';
import type { EntryScore, Scores, SettingScore } from '../../harness/scoring.ts';

const Interval = z.object({ low: z.number(), high: z.number() });
const Params = z.record(z.string(), z.union([z.number(), z.string(), z.boolean()]));
const count = z.number().int().nonnegative();

const SettingScoreSchema = z.object({
  setting: z.string(),
  task: z.string(),
  taskParams: Params,
  entry: z.string(),
  method: z.string(),
  methodParams: Params,
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
  iqm: z.number().nullable(),
  ci: Interval.nullable(),
  rank: z.number().int().positive(),
  tier: z.number().int().positive().nullable(),
  coverage: z.object({ applicable: count, total: count }),
  missing: z.array(z.string()),
  settings: count,
  realSamplesPerChain: z.number(),
  wallMs: z.number(),
}) satisfies z.ZodType<EntryScore>;

/** A run's scores.json (harness/scoring.ts `Scores`). */
export const ScoresSchema = z.object({
  settings: z.array(SettingScoreSchema),
  entries: z.array(EntryScoreSchema),
  resamples: z.number().int().positive(),
  confidence: z.number().gt(0).lt(1),
}) satisfies z.ZodType<Scores>;

/**
 * Reads and validates one JSON file.
 * @param what what the file is, for the message: `${path}: invalid ${what} at field "runs.0.date": …`
 * @throws InputError naming the file, and the first offending field.
 */
export function readJsonFile<T>(path: string, schema: z.ZodType<T>, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(`${path}: invalid ${what} at field "${issue.path.join('.') || '(root)'}": ${issue.message}`);
  }
  return result.data;
}
