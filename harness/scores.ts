/**
 * What a run's scores are: the output of harness/scoring.ts `score`, written as a run's
 * `scores.json` (harness/publish.ts) and checked field by field when read back (`ScoresSchema`).
 * Described once, here, as zod schemas; the TypeScript types are inferred from them.
 *
 * Field order matters: parsing with a schema yields its fields in the schema's order, and
 * published scores are written as parsed.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();

/** Canonical task or method parameters, as in a record's `key` (harness/schema.ts `CellKey`). */
export const ParamsSchema = z.record(z.string(), z.union([z.number(), z.string(), z.boolean()]));
export type Params = z.infer<typeof ParamsSchema>;

/** A closed interval. */
export const IntervalSchema = z.object({
  low: z.number(),
  high: z.number(),
});
export type Interval = z.infer<typeof IntervalSchema>;

/** An entry's part in a setting: its oracle (0), its reference (1), or an entry scored between them. */
export const RoleSchema = z.enum(['oracle', 'reference', 'entry']);
export type Role = z.infer<typeof RoleSchema>;

/**
 * rliable's probability of improvement P(X < Y): the chance that a seed of the entry X degrades
 * less than a seed of the comparator Y (ties count one half), averaged over the settings compared.
 */
export const ImprovementSchema = z.object({
  /** The comparator's entry label (for `bestBaseline`, per setting; "several" across settings that differ). */
  over: z.string(),
  value: z.number().min(0).max(1),
  /** Percentile interval from resampling both entries' seeds (stratified over settings). */
  ci: IntervalSchema.nullable(),
  /** Settings compared. */
  settings: count,
});
export type Improvement = z.infer<typeof ImprovementSchema>;

/** Probability of improvement over the reference, and over the best baseline. */
const ImprovementsSchema = z.object({
  reference: ImprovementSchema.nullable(),
  bestBaseline: ImprovementSchema.nullable(),
});

/** What a setting's scale entries (oracle = 0, reference = 1) say about it: whether there is collapse to mitigate at all. */
export const SettingSummarySchema = z.object({
  setting: z.string(),
  task: z.string(),
  taskParams: ParamsSchema,
  oracle: z.string(),
  reference: z.string(),
  /** Seeds of the oracle and of the reference. */
  seeds: z.object({ oracle: count, reference: count }),
  /** Degradation gap reference − oracle (in the scored quantity, larger = more collapse); null when a scale entry is missing. */
  gap: z.number().nullable(),
  gapCi: IntervalSchema.nullable(),
  /** True when the gap's interval lies above 0: the reference collapses significantly more than the oracle. */
  collapse: z.boolean(),
  /** Why `collapse` is false (or a scale entry is missing). */
  note: z.string().optional(),
  /** For tasks with a trade-off metric: the target every non-oracle cell reaches, and where it comes from. */
  tradeoff: z.object({ metric: z.string(), target: z.number() }).optional(),
});
export type SettingSummary = z.infer<typeof SettingSummarySchema>;

/** Scores of one entry on one setting. One row per setting × entry with at least one record. */
export const SettingScoreSchema = z.object({
  /** Setting key: `<task id>/<first 12 hex digits of hashValue(taskParams)>`. */
  setting: z.string(),
  task: z.string(),
  taskParams: ParamsSchema,
  /** Entry label (see {@link EntryScore.entry}). */
  entry: z.string(),
  method: z.string(),
  methodParams: ParamsSchema,
  role: RoleSchema,
  /**
   * 1-based rank among this setting's `entry` rows with a normalized score (ascending); null for
   * the scale entries (oracle and reference), for rows without a score and on settings without collapse.
   */
  rank: z.number().int().positive().nullable(),
  /** The entry consumed more fresh real data than the reference (it solves an easier problem). */
  extraRealData: z.boolean(),
  /** Trade-off tasks: the primary metric where the seed's trade-off curve first reaches the target (seed mean), and at which step (seed mean). */
  matched: z.object({ primary: z.number().nullable(), step: z.number().nullable() }).optional(),
  /** Probability of improvement over the setting's reference, and over its best baseline (the lowest-scoring baseline entry using no extra real data). */
  improvement: ImprovementsSchema,
  /** Number of ok cells (seeds) that entered the scores; 1 means every interval is a point. */
  seeds: count,
  /** Records with status `failed` (excluded from every score). */
  failed: count,
  /** Records with status `timeout` (excluded from every score). */
  timeout: count,
  /** Records with status `skipped` (excluded from every score). */
  skipped: count,
  /** Steps of the curve: those common to every ok cell, in the first cell's order. */
  steps: z.array(z.number()),
  /** Per-step mean over seeds of the primary metric's `mean` series. */
  curve: z.array(z.number()),
  /** Seed-averaged trapezoidal area under the primary metric curve; null without ok cells. */
  area: z.number().nullable(),
  /**
   * Normalized collapse area (A − A_oracle) / (A_reference − A_oracle) on the degradation
   * curve; 0 = oracle, 1 = reference, lower is better. Null (with `normalizedNote`) when it is
   * undefined here.
   */
  normalized: z.number().nullable(),
  /** Percentile bootstrap interval of `normalized` over seeds. */
  normalizedCi: IntervalSchema.nullable(),
  /** Why `normalized` is null, or what was left out of its interval. */
  normalizedNote: z.string().optional(),
  /** Last-step value of `curve`. */
  final: z.number().nullable(),
  /** Percentile bootstrap interval of `final` over seeds. */
  finalCi: IntervalSchema.nullable(),
  /**
   * First step whose seed-averaged primary value is strictly past the task's collapse threshold
   * (above it when lower is better, below it when higher is better); null when never
   * (`censored`) or when the task defines no threshold (not censored).
   */
  stepsToCollapse: z.number().nullable(),
  /** True when a threshold exists and the curve never passes it. */
  censored: z.boolean(),
  /** Mean over ok cells of `budget.realSamplesPerChain`; 0 without ok cells. */
  realSamplesPerChain: z.number(),
  /** Sum over ok cells of `timing.wallMs`. */
  wallMs: z.number(),
});
export type SettingScore = z.infer<typeof SettingScoreSchema>;

/** Scores of one entry across settings. */
export const EntryScoreSchema = z.object({
  /**
   * Entry label: the method id when all of that method's records in the run share one set of
   * method params, else `id(k=v, …)` listing every param, keys sorted.
   */
  entry: z.string(),
  method: z.string(),
  methodParams: ParamsSchema,
  /** `reference` when the entry is a scale entry (oracle or reference) somewhere and has ok records as an entry nowhere: never ranked. */
  role: z.enum(['reference', 'entry']),
  /** Task ids of the settings the IQM is taken over (sorted): settings with collapse where the entry has a normalized score as an entry. */
  basis: z.array(z.string()),
  /** Interquartile mean of the normalized scores over the basis settings. */
  iqm: z.number().nullable(),
  /** Stratified percentile bootstrap interval of `iqm` (strata: settings). */
  ci: IntervalSchema.nullable(),
  /**
   * 1-based rank among entries with the same `basis` and track (harness/scoring.ts `trackKey`), by `iqm` ascending (ties by
   * label); null for references, entries without a score and entries whose interval is wider than one normalized unit
   * (`unranked` says which).
   */
  rank: z.number().int().positive().nullable(),
  /** Why `rank` is null. */
  unranked: z.string().optional(),
  /** Significance tier among the ranked entries of the same basis and track (see harness/scoring.ts `assignTiers`); null when unranked. */
  tier: z.number().int().positive().nullable(),
  /** True when the entry used extra fresh real data on some basis setting (see {@link SettingScore.extraRealData}). */
  extraRealData: z.boolean(),
  /** Probability of improvement over the reference and over the best baseline, averaged over the basis settings. */
  improvement: ImprovementsSchema,
  /** Distinct task ids with at least one non-skipped record of this entry (it applies there), of those in `tasks`. */
  coverage: z.object({ applicable: count, total: count }),
  /** Setting keys present in the run that are not in the basis (no score, a scale entry there, or no collapse). */
  missing: z.array(z.string()),
  /** Number of settings in the basis (the IQM's n). */
  settings: count,
  /** Mean over the entry's ok cells of `budget.realSamplesPerChain`; 0 without ok cells. */
  realSamplesPerChain: z.number(),
  /** Sum over the entry's ok cells of `timing.wallMs`. */
  wallMs: z.number(),
});
export type EntryScore = z.infer<typeof EntryScoreSchema>;

/** Everything harness/scoring.ts `score` computes; plain JSON. A run's scores.json, checked field by field when read. */
export const ScoresSchema = z.object({
  /** Sorted by setting key, then entry label. */
  settings: z.array(SettingScoreSchema),
  /** One per setting, sorted by setting key. */
  settingSummaries: z.array(SettingSummarySchema),
  /** Entries, then references; entries grouped by basis (more tasks first), each group by rank, unranked last. */
  entries: z.array(EntryScoreSchema),
  /** Bootstrap resamples (ScoreOptions.resamples). */
  resamples: z.number().int().positive(),
  /** Two-sided coverage of the percentile intervals (ScoreOptions.confidence). */
  confidence: z.number().gt(0).lt(1),
});
export type Scores = z.infer<typeof ScoresSchema>;
