/**
 * The site's data loader: reads a results folder and the registry into a {@link SiteData}.
 *
 * Two layouts are read (harness/published.ts):
 * - published results: `index.json` + `runs/<id>/{manifest.json, scores.json, cells/}`; the
 *   newest run is the leaderboard, every run is history;
 * - a local run folder (`runs/latest`): `cells/` (+ `scores.json`, not needed: the site
 *   re-scores), shown as one unpublished run.
 *
 * Every file is validated; a corrupt or schema-invalid one is an error naming the file and
 * field. Records computed by code that has changed since (stale) are never scored as current:
 * the leaderboard scores the current records of the newest run, and stale ones are listed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ResultStore, staleReason } from '../../harness/cache.ts';
import { paramInfo, InputError } from '../../harness/params.ts';
import { ResultsIndex, RunManifest, ScoresSchema } from '../../harness/published.ts';
import { applicability, loadRegistry, ROOT, type Registry } from '../../harness/registry.ts';
import { baselineIds, primaryMetric, scoreRecords, sortRecords, taskInfos, theoryBySetting } from '../../harness/results.ts';
import { resultRecordJsonSchema, type ResultRecord } from '../../harness/schema.ts';
import { score, type Scores } from '../../harness/scoring.ts';
import { hashValue } from '../../harness/hash.ts';
import { HOOK_NAMES, PROFILES, type HookName, type Profile } from '../../harness/types.ts';
import { parseReadme } from './markdown.ts';
import {
  SITE_DATA_VERSION,
  type CurrentResults,
  type SiteData,
  type SiteMethod,
  type SiteRun,
  type SiteTask,
  type StaleRecord,
} from './model.ts';
import { readJsonFile } from '../../harness/json-file.ts';

export interface LoadOptions {
  /**
   * A local run folder or a published results folder. null: build without results (the
   * empty state). A path that does not exist is an error.
   * @default defaultResults(root)
   */
  results?: string | null;
  /**
   * The repository root whose tasks and methods are described (tests pass a fixture root).
   * @default the repository holding harness/
   */
  root?: string;
  /**
   * The reader's own run folder, shown beside published results and labelled as theirs (only
   * when `results` is a published folder). null: none.
   * @default runs/latest under root when it has cells
   */
  local?: string | null;
  /** @default now */
  now?: Date;
}

/** Published `results/` when it has an index, else `runs/latest` when it has cells, else null. */
export function defaultResults(root = ROOT): string | null {
  if (existsSync(join(root, 'results', 'index.json'))) return join(root, 'results');
  if (existsSync(join(root, 'runs', 'latest', 'cells'))) return join(root, 'runs', 'latest');
  return null;
}

export async function loadSiteData(options: LoadOptions = {}): Promise<SiteData> {
  const root = options.root ?? ROOT;
  const results = options.results === undefined ? defaultResults(root) : options.results;
  const registry = await loadRegistry(root);
  const base: Omit<SiteData, 'source' | 'current' | 'runs' | 'local'> = {
    version: SITE_DATA_VERSION,
    generatedAt: (options.now ?? new Date()).toISOString(),
    harnessVersion: (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version,
    tasks: siteTasks(registry),
    methods: siteMethods(registry),
    recordSchema: resultRecordJsonSchema(),
  };
  if (results === null) return { ...base, source: { kind: 'none', path: null }, current: null, runs: [], local: null };

  const dir = resolve(results);
  const shown = displayPath(dir, root);
  if (!existsSync(dir))
    throw new InputError(
      `results not found: ${shown} (run \`collapse-bench run --out ${shown}\` first, or leave --results out to build without results)`,
    );
  if (!existsSync(join(dir, 'index.json')))
    return { ...base, source: { kind: 'local', path: shown }, ...local(dir, registry), local: null };
  // Published results, and the reader's own run beside them when there is one.
  const localDir = options.local === undefined ? join(root, 'runs', 'latest') : options.local;
  const mine = localDir && existsSync(join(localDir, 'cells')) ? local(resolve(localDir), registry).current : null;
  if (mine) mine.run.id = `local (${displayPath(resolve(localDir!), root)})`;
  return { ...base, source: { kind: 'published', path: shown }, ...published(dir, registry), local: mine };
}

// ---------------------------------------------------------------------------------------
// Results

function local(dir: string, registry: Registry): Pick<SiteData, 'current' | 'runs'> {
  const records = sortRecords(new ResultStore(dir).readAll());
  if (records.length === 0) return { current: null, runs: [] };
  const { current, stale } = split(records, registry);
  const scored = currentResults(current, registry);
  const run: SiteRun = {
    id: 'local',
    date:
      records
        .map((r) => r.provenance.date)
        .sort()
        .at(-1) ?? null,
    gitCommits: unique(records.map((r) => r.provenance.gitCommit ?? 'unknown')),
    harnessVersions: unique(records.map((r) => r.provenance.harnessVersion)),
    profile: inferProfile(current, registry),
    seeds: seedRange(scored.scores),
    command: null,
    cells: records.length,
    changes: [],
    stale,
    entries: scored.scores.entries,
  };
  return { current: { run, ...scored }, runs: [run] };
}

function published(dir: string, registry: Registry): Pick<SiteData, 'current' | 'runs'> {
  const indexPath = join(dir, 'index.json');
  const index = readJsonFile(indexPath, ResultsIndex, 'results index');
  let current: CurrentResults | null = null;
  const runs = index.runs.map((manifest, i): SiteRun => {
    const runDir = join(dir, 'runs', manifest.id);
    if (!existsSync(runDir))
      throw new InputError(`${indexPath}: invalid results index at field "runs.${i}.id": run folder runs/${manifest.id} does not exist`);
    const manifestPath = join(runDir, 'manifest.json');
    if (existsSync(manifestPath)) {
      const own = readJsonFile(manifestPath, RunManifest, 'run manifest');
      if (own.id !== manifest.id)
        throw new InputError(
          `${manifestPath}: invalid run manifest at field "id": "${own.id}" does not match its folder and index entry "${manifest.id}"`,
        );
    }
    const records = sortRecords(new ResultStore(runDir).readAll());
    const scoresPath = join(runDir, 'scores.json');
    const publishedScores = existsSync(scoresPath) ? readJsonFile(scoresPath, ScoresSchema, 'scores') : null;
    const { current: ok, stale } = split(records, registry);
    const run: SiteRun = {
      id: manifest.id,
      date: manifest.date,
      gitCommits: manifest.gitCommit ? [manifest.gitCommit] : unique(records.map((r) => r.provenance.gitCommit ?? 'unknown')),
      harnessVersions: [manifest.harnessVersion],
      profile: manifest.profile,
      seeds: { min: 0, max: 0 },
      command: manifest.command,
      cells: manifest.cells,
      changes: manifest.changes,
      stale,
      entries: publishedScores?.entries ?? [],
    };
    // The newest run is the leaderboard, re-scored over its current records only.
    if (i === 0 && records.length > 0) {
      current = { run, ...currentResults(ok, registry) };
      run.seeds = seedRange(current.scores);
    }
    return run;
  });
  return { current, runs };
}

/** Fewest and most seeds (ok cells) behind any score row of the run; 0 and 0 without scores. */
function seedRange(scores: Scores): { min: number; max: number } {
  const seeds = scores.settings.filter((r) => r.seeds > 0).map((r) => r.seeds);
  return seeds.length ? { min: Math.min(...seeds), max: Math.max(...seeds) } : { min: 0, max: 0 };
}

/**
 * The profile a local folder's records were run at: the one whose resolved parameters equal
 * every record's task parameters; "custom" when some record's parameters match no profile (a
 * `--set` override or a sweep), "mixed" when records match different profiles.
 */
export function inferProfile(records: readonly ResultRecord[], registry: Registry): SiteRun['profile'] {
  const found = new Set<Profile | 'custom'>();
  const seen = new Set<string>();
  for (const r of records) {
    const key = hashValue([r.key.task, r.key.taskParams]);
    if (seen.has(key)) continue;
    seen.add(key);
    const task = registry.tasks.find((t) => t.definition.id === r.key.task)?.definition;
    if (!task) continue;
    const own = hashValue(r.key.taskParams);
    const match = PROFILES.find((p) => hashValue(task.params.parse({ ...task.profiles[p] })) === own);
    found.add(match ?? 'custom');
  }
  if (found.size === 0) return null;
  return found.size === 1 ? [...found][0] : found.has('custom') ? 'custom' : 'mixed';
}

function split(records: ResultRecord[], registry: Registry): { current: ResultRecord[]; stale: StaleRecord[] } {
  const current: ResultRecord[] = [];
  const stale: StaleRecord[] = [];
  for (const record of records) {
    const reason = staleReason(record, registry);
    if (reason) stale.push({ id: record.id, task: record.key.task, method: record.key.method, seed: record.key.seed, reason });
    else current.push(record);
  }
  return { current, stale };
}

function currentResults(records: ResultRecord[], registry: Registry): Omit<CurrentResults, 'run'> {
  const scores = scoreRecords(records, registry);
  const byTask: CurrentResults['byTask'] = {};
  for (const info of taskInfos(registry)) {
    const mine = records.filter((r) => r.key.task === info.id);
    if (mine.length) byTask[info.id] = score(mine, [info], { baselines: baselineIds(registry) });
  }
  const budgetUnits: Record<string, string> = {};
  const primaryMetrics: Record<string, string> = {};
  for (const row of scores.settings) {
    if (row.setting in budgetUnits) continue;
    const task = registry.tasks.find((t) => t.definition.id === row.task)?.definition;
    if (task) primaryMetrics[row.setting] = primaryMetric(task, row.taskParams).name;
    const unit = task?.budgetUnit;
    budgetUnits[row.setting] = typeof unit === 'function' ? unit(task!.params.parse(row.taskParams)) : (unit ?? 'samples');
  }
  return { records, scores, byTask, theory: theoryBySetting(registry, scores), budgetUnits, primaryMetrics };
}

// ---------------------------------------------------------------------------------------
// Tasks and methods

function siteTasks(registry: Registry): SiteTask[] {
  return registry.tasks.map(({ definition: t, folder }) => ({
    id: t.id,
    title: t.title,
    summary: t.summary,
    papers: t.papers,
    stepAxis: t.stepAxis,
    metrics: t.metrics,
    hooks: t.hooks,
    params: paramInfo(t.params),
    profiles: t.profiles,
    readme: readText(join(registry.root, folder, 'README.md')),
    hasTheory: typeof t.theory === 'function',
    scoreScale: t.scoreScale ?? { oracle: 'real-only', reference: 'replace' },
    tradeoff: t.tradeoff?.metric ?? null,
  }));
}

function siteMethods(registry: Registry): SiteMethod[] {
  const matrix = applicability(registry);
  return registry.methods.map(({ definition: m, folder, language }) => {
    const readmePath = join(registry.root, folder, 'README.md');
    const text = readText(readmePath);
    const hooks = HOOK_NAMES.filter((h) => (m.hooks as Partial<Record<HookName, unknown>>)[h] !== undefined);
    return {
      id: m.id,
      kind: m.kind,
      title: m.title,
      summary: m.summary,
      papers: m.papers,
      params: paramInfo(m.params),
      hooks,
      readme: text === null ? null : parseReadme(text, `${folder}/README.md`),
      applicability: Object.fromEntries(registry.tasks.map(({ definition: t }) => [t.id, matrix[t.id][m.id]])),
      folder,
      language: language === 'python' ? 'Python' : 'TypeScript',
    };
  });
}

// ---------------------------------------------------------------------------------------
// Helpers

function readText(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

/** Relative to the repository root when inside it, else absolute. */
function displayPath(path: string, root: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
