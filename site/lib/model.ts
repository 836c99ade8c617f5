/**
 * The website's data model: everything the pages render, as plain JSON. The loader
 * (load.ts) builds it from a results folder and the registry; the Astro build reads it back
 * from one file, so the pages never import task or method code.
 *
 * Method metadata (titles, READMEs, parameter names) comes from pull requests and is
 * untrusted: pages interpolate it through Astro expressions (escaped) and render Markdown
 * only through markdown.ts (raw HTML disabled).
 */
import type { RunChange } from '../../harness/published.ts';
import type { ParamInfo } from '../../harness/params.ts';
import type { ResultRecord } from '../../harness/schema.ts';
import type { EntryScore, Scores } from '../../harness/scoring.ts';
import type { HookName, MetricSpec, Paper, Profile, TheoryCurve } from '../../harness/types.ts';

/** Bumped when the shape below changes incompatibly. */
export const SITE_DATA_VERSION = 1;

export interface SiteTask {
  id: string;
  title: string;
  /** One paragraph: the protocol in plain words. */
  summary: string;
  papers: Paper[];
  stepAxis: 'generation' | 'epoch';
  metrics: MetricSpec[];
  hooks: HookName[];
  params: ParamInfo[];
  /** Per-profile overrides of the defaults. */
  profiles: Record<Profile, Record<string, unknown>>;
  /** benchmarks/<id>/README.md (Markdown source), or null when absent. */
  readme: string | null;
  /** The task defines closed-form curves (`theory`). */
  hasTheory: boolean;
  /** The scale of this task's normalized score: the entries scoring 0 and 1 (TaskDefinition.scoreScale); default real-only and replace. */
  scoreScale: { oracle: string; reference: string };
  /** The metric the primary one is traded against (TaskBase.tradeoff), or null. */
  tradeoff: string | null;
}

/** A method README: YAML front matter (title, authors, paper, …) and the Markdown body. */
export interface MethodReadme {
  meta: Record<string, unknown>;
  body: string;
}

export interface SiteMethod {
  id: string;
  kind: 'baseline' | 'method';
  title: string;
  summary: string;
  papers: Paper[];
  params: ParamInfo[];
  /** Hooks the method implements (derived from its code). */
  hooks: HookName[];
  readme: MethodReadme | null;
  /** Task id → why the method does not apply there, or null when it applies (derived from hooks). */
  applicability: Record<string, string | null>;
  /** Folder relative to the repository root, e.g. `methods/fresh-data-mixing`. */
  folder: string;
  /** The language its hooks are written in (methods/<id>/method.ts or method.py). */
  language: 'TypeScript' | 'Python';
}

/** A record left out of the scores because the code that produced it has changed since. */
export interface StaleRecord {
  id: string;
  task: string;
  method: string;
  seed: number;
  reason: string;
}

/** One run: a published one (results/runs/<id>/) or the local run folder. */
export interface SiteRun {
  /** Run id (folder name under results/runs/), or `local`. */
  id: string;
  date: string | null;
  /** Commits of the run's records (one unless the folder mixes runs). */
  gitCommits: string[];
  harnessVersions: string[];
  /** The parameter profile (a published run's manifest; inferred for a local folder: "custom" or "mixed" when not one profile). */
  profile: Profile | 'custom' | 'mixed' | null;
  /** Fewest and most seeds behind any score row. */
  seeds: { min: number; max: number };
  /** The command that reproduces the run, when known. */
  command: string | null;
  cells: number;
  /** Changes against the previous published run, with their causes. */
  changes: RunChange[];
  /** Records of this run computed by code that has changed since (never scored as current). */
  stale: StaleRecord[];
  /** The leaderboard as published with this run (scores.json), or the re-scored one for the local run. */
  entries: EntryScore[];
}

/** The run the leaderboard shows: its current records, scored here. */
export interface CurrentResults {
  run: SiteRun;
  /** Current (non-stale) records, every status. */
  records: ResultRecord[];
  /** Scores over `records` across every task. */
  scores: Scores;
  /** Scores over each task's records alone (the per-task leaderboard), by task id. */
  byTask: Record<string, Scores>;
  /** Closed-form curves per setting key. */
  theory: { setting: string; curves: TheoryCurve[] }[];
  /** What one unit of a setting's real-data budget is (TaskBase.budgetUnit), per setting key. */
  budgetUnits: Record<string, string>;
  /** The primary metric's name per setting key (a task's primary may depend on its parameters, e.g. recursive-lm's char variant). */
  primaryMetrics: Record<string, string>;
}

export interface SiteData {
  version: typeof SITE_DATA_VERSION;
  generatedAt: string;
  source: {
    kind: 'local' | 'published' | 'none';
    /** The folder read, relative to the repository root where possible. */
    path: string | null;
  };
  /** collapse-bench version of the code that built the site. */
  harnessVersion: string;
  tasks: SiteTask[];
  /** Baselines first, then methods, each sorted by id. */
  methods: SiteMethod[];
  /** Null when there are no results at all. */
  current: CurrentResults | null;
  /** Published runs, newest first (for a local folder: the local run alone). */
  runs: SiteRun[];
  /** The reader's own run folder (runs/latest), scored, when the site shows published results: labelled as theirs. */
  local: CurrentResults | null;
  /** JSON Schema of a result record. */
  recordSchema: unknown;
}
