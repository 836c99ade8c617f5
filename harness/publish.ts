/**
 * Publishing a scored run into the results folder (layout: harness/published.ts), and the
 * changelog against the previous published run: which scores, ranks and tiers moved, each
 * attributed to the code change that moved it. Attribution reads the content hashes every
 * record carries (task, method, harness, lockfile, Node), so it needs no git history.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRecordFile } from './cache.ts';
import { readJsonFile } from './json-file.ts';
import { InputError } from './params.ts';
import { ResultsIndex, RunManifest, ScoresSchema, type RunChange } from './published.ts';
import { resultRecordJsonSchema, type ResultRecord } from './schema.ts';
import type { Scores } from './scoring.ts';

/** What the changelog compares: a run's scores and the records they were computed from. */
export interface RunSnapshot {
  scores: Scores;
  records: readonly ResultRecord[];
}

export interface PublishedRun extends RunSnapshot {
  manifest: RunManifest;
}

// ---------------------------------------------------------------------------------------
// Reading and writing the results folder

export function indexPath(resultsDir: string): string {
  return join(resultsDir, 'index.json');
}

export function runDir(resultsDir: string, id: string): string {
  return join(resultsDir, 'runs', id);
}

/** The index of published runs, newest first; empty when nothing was published yet. */
export function readIndex(resultsDir: string): ResultsIndex {
  const path = indexPath(resultsDir);
  if (!existsSync(path)) return { schemaVersion: 1, runs: [] };
  return readJsonFile(path, ResultsIndex, 'results index');
}

export function readPublishedRun(resultsDir: string, id: string): PublishedRun {
  const dir = runDir(resultsDir, id);
  const manifest = readJsonFile(join(dir, 'manifest.json'), RunManifest, 'run manifest');
  const scores = readJsonFile(join(dir, 'scores.json'), ScoresSchema, 'scores');
  return { manifest, scores, records: readCellFiles(dir).map((c) => c.record) };
}

/** Every record file of a results folder (`<dir>/cells/*.json`) with its path, in file-name order; an invalid one is an error naming it. */
export function readCellFiles(dir: string): { record: ResultRecord; file: string }[] {
  const cells = join(dir, 'cells');
  if (!existsSync(cells)) return [];
  return readdirSync(cells)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ record: parseRecordFile(join(cells, f)), file: join(cells, f) }));
}

/** A folder name sortable by date: `2025-11-25T02-13-07Z` (no colons, for every filesystem). */
export function runId(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(':', '-');
}

export interface PublishInput {
  resultsDir: string;
  /** The records to publish (current ones), each with the file it was read from: copied byte for byte. */
  cells: readonly { record: ResultRecord; file: string }[];
  scores: Scores;
  /** Run id; default: {@link runId} of `date`. */
  id?: string;
  date: string;
  gitCommit: string | null;
  harnessVersion: string;
  profile: RunManifest['profile'];
  /** The exact command that reproduces every cell. */
  command: string;
  /** Folder of each task and method id (e.g. `methods/foo`), to name causes; ids not listed are named as ids. */
  folders?: Readonly<Record<string, string>>;
}

/**
 * Writes `runs/<id>/{cells/, scores.json, manifest.json}`, puts the manifest first in
 * `index.json` and refreshes the record JSON Schema. The changelog compares with the newest
 * run already in the index. Returns the new manifest.
 */
export function publishRun(input: PublishInput): RunManifest {
  const index = readIndex(input.resultsDir);
  let id = input.id ?? runId(new Date(input.date));
  if (!/^[\w.-]+$/.test(id)) throw new InputError(`invalid run id ${JSON.stringify(id)}: use letters, digits, '.', '_' and '-' only`);
  if (input.id === undefined) for (let n = 2; existsSync(runDir(input.resultsDir, id)); n++) id = `${runId(new Date(input.date))}-${n}`;
  if (existsSync(runDir(input.resultsDir, id)))
    throw new InputError(`run ${id} is already published in ${input.resultsDir}: choose another --id`);

  const previous = index.runs[0];
  const changes = previous
    ? computeChanges(
        readPublishedRun(input.resultsDir, previous.id),
        { scores: input.scores, records: input.cells.map((c) => c.record) },
        input.folders,
      )
    : [];
  const statuses: Record<string, number> = {};
  for (const { record } of input.cells) statuses[record.status] = (statuses[record.status] ?? 0) + 1;
  const manifest: RunManifest = {
    id,
    date: input.date,
    gitCommit: input.gitCommit,
    harnessVersion: input.harnessVersion,
    profile: input.profile,
    command: input.command,
    cells: input.cells.length,
    changes,
    previous: previous?.id ?? null,
    statuses,
  };

  const dir = runDir(input.resultsDir, id);
  mkdirSync(join(dir, 'cells'), { recursive: true });
  for (const { record, file } of input.cells) copyFileSync(file, join(dir, 'cells', `${record.id}.json`));
  writeJson(join(dir, 'scores.json'), input.scores);
  writeJson(join(dir, 'manifest.json'), manifest);
  writeJson(join(input.resultsDir, 'result-record.schema.json'), resultRecordJsonSchema());
  // The index last: a run is published once the index names it.
  writeJson(indexPath(input.resultsDir), { schemaVersion: 1, runs: [manifest, ...index.runs] } satisfies ResultsIndex);
  return manifest;
}

function writeJson(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 1)}\n`);
  renameSync(tmp, path);
}

// ---------------------------------------------------------------------------------------
// The changelog

/** Content hashes seen in a run's records, per component. */
interface CodeState {
  /** Per cell's task and method (`task\nmethod`): harness hashes are per cell (registry.ts cellHarnessHashes). */
  harness: Map<string, string>;
  lockfile: string;
  node: string;
  tasks: Map<string, string>;
  methods: Map<string, string>;
}

function codeState(records: readonly ResultRecord[]): CodeState {
  const sets = {
    harness: new Map<string, Set<string>>(),
    lockfile: new Set<string>(),
    node: new Set<string>(),
    tasks: new Map<string, Set<string>>(),
    methods: new Map<string, Set<string>>(),
  };
  const add = (map: Map<string, Set<string>>, id: string, hash: string) => (map.get(id) ?? map.set(id, new Set()).get(id)!).add(hash);
  for (const r of records) {
    add(sets.harness, `${r.key.task}\n${r.key.method}`, r.provenance.harnessHash);
    sets.lockfile.add(r.provenance.lockfileHash ?? 'none');
    sets.node.add(r.provenance.node);
    add(sets.tasks, r.key.task, r.provenance.taskHash);
    add(sets.methods, r.key.method, r.provenance.methodHash);
  }
  // Reused records may come from older commits with equal code: equal sets mean equal code.
  const join = (s: Set<string>) => [...s].sort().join(' + ');
  return {
    harness: new Map([...sets.harness].map(([k, v]) => [k, join(v)])),
    lockfile: join(sets.lockfile),
    node: join(sets.node),
    tasks: new Map([...sets.tasks].map(([k, v]) => [k, join(v)])),
    methods: new Map([...sets.methods].map(([k, v]) => [k, join(v)])),
  };
}

/**
 * Every score that moved between two runs, attributed to code changes:
 * - per entry (setting null): `iqm`, `rank`, `tier`, or `added` / `removed`;
 * - per setting × entry: `normalized`, or `added` / `removed` when the entry gained or lost the setting.
 * Numbers are compared exactly: cells are deterministic, so unchanged code gives identical scores.
 * A cause names what changed among the harness, the setting's task, the entry's method and the
 * setting's scale entries (the oracle = 0 and the reference = 1 of its normalized score, e.g.
 * real-only and replace, or dcca's early-stopping and dcca: a change to either moves every score
 * of the setting), the
 * lockfile and Node; a rank or tier that moved
 * while the entry's own IQM did not is attributed to the entries that did move.
 */
export function computeChanges(previous: RunSnapshot, current: RunSnapshot, folders: Readonly<Record<string, string>> = {}): RunChange[] {
  const before = codeState(previous.records);
  const after = codeState(current.records);
  const name = (id: string, kind: 'task' | 'method') => folders[id] ?? `${kind} ${id}`;
  // The scale entries (oracle and reference) of each task's settings, as either run scored them.
  const scaleEntries = new Map<string, Set<string>>();
  for (const s of [...previous.scores.settingSummaries, ...current.scores.settingSummaries]) {
    const set = scaleEntries.get(s.task) ?? new Set<string>();
    set.add(s.oracle).add(s.reference);
    scaleEntries.set(s.task, set);
  }
  const scaleEntriesOf = (tasks: string[]) => [...new Set(tasks.flatMap((task) => [...(scaleEntries.get(task) ?? [])]))].sort();

  /** What changed for `methods` (the entry's method first, then the settings' scale entries) on `tasks`. */
  const codeCauses = (methods: string[], tasks: string[]): string[] => {
    const out: string[] = [];
    const pairs = [...new Set(tasks)].flatMap((task) => [...new Set(methods)].map((method) => `${task}\n${method}`));
    // Only cells both runs have: an entry or setting that one run lacks is named below as added or removed.
    const differs = (pair: string) =>
      before.harness.has(pair) && after.harness.has(pair) && before.harness.get(pair) !== after.harness.get(pair);
    if (pairs.some(differs)) out.push('harness changed');
    for (const task of [...new Set(tasks)].sort()) {
      const a = before.tasks.get(task);
      const b = after.tasks.get(task);
      if (a === undefined && b !== undefined) out.push(`new task ${name(task, 'task')}`);
      else if (a !== undefined && b === undefined) out.push(`${name(task, 'task')} removed`);
      else if (a !== b) out.push(`${name(task, 'task')} changed`);
    }
    for (const method of [...new Set(methods)]) {
      const a = before.methods.get(method);
      const b = after.methods.get(method);
      const scale = method !== methods[0] ? ' (scale entry)' : '';
      if (a === undefined && b !== undefined) out.push(`new method ${name(method, 'method')}${scale}`);
      else if (a !== undefined && b === undefined) out.push(`${name(method, 'method')} removed${scale}`);
      else if (a !== b) out.push(`${name(method, 'method')} changed${scale}`);
    }
    if (before.lockfile !== after.lockfile) out.push('dependencies changed (package-lock.json)');
    if (before.node !== after.node) out.push(`Node changed (${before.node} → ${after.node})`);
    return out;
  };
  const explain = (causes: string[]) =>
    causes.length ? causes.join('; ') : 'no code change recorded (same task, method and harness hashes): nondeterminism or platform';

  const changes: RunChange[] = [];

  // Per setting × entry.
  const rowKey = (r: { setting: string; entry: string }) => `${r.entry}\u0000${r.setting}`;
  const beforeRows = new Map(previous.scores.settings.map((r) => [rowKey(r), r]));
  const afterRows = new Map(current.scores.settings.map((r) => [rowKey(r), r]));
  const rowKeys = [...new Set([...beforeRows.keys(), ...afterRows.keys()])].sort();
  const movedSettings = new Map<string, string[]>(); // entry -> settings gained or lost
  for (const key of rowKeys) {
    const a = beforeRows.get(key);
    const b = afterRows.get(key);
    const row = (b ?? a)!;
    const causes = () => explain(codeCauses([row.method, ...scaleEntriesOf([row.task])], [row.task]));
    if (!a || !b) {
      movedSettings.set(row.entry, [...(movedSettings.get(row.entry) ?? []), row.setting]);
      changes.push({
        entry: row.entry,
        setting: row.setting,
        field: b ? 'added' : 'removed',
        before: a?.normalized ?? null,
        after: b?.normalized ?? null,
        cause: causes(),
      });
    } else if (a.normalized !== b.normalized) {
      changes.push({
        entry: row.entry,
        setting: row.setting,
        field: 'normalized',
        before: a.normalized,
        after: b.normalized,
        cause: causes(),
      });
    }
  }

  // Per entry, across settings.
  const beforeEntries = new Map(previous.scores.entries.map((e) => [e.entry, e]));
  const afterEntries = new Map(current.scores.entries.map((e) => [e.entry, e]));
  const labels = [...new Set([...beforeEntries.keys(), ...afterEntries.keys()])].sort();
  const tasksOf = (entry: string) =>
    [...previous.scores.settings, ...current.scores.settings].filter((r) => r.entry === entry).map((r) => r.task);
  const moved = labels.filter((l) => {
    const a = beforeEntries.get(l);
    const b = afterEntries.get(l);
    return !a || !b || a.iqm !== b.iqm;
  });
  for (const label of labels) {
    const a = beforeEntries.get(label);
    const b = afterEntries.get(label);
    const entry = (b ?? a)!;
    const entryCauses = () => {
      const causes = codeCauses([entry.method, ...scaleEntriesOf(tasksOf(label))], tasksOf(label));
      const settings = movedSettings.get(label);
      if (settings) causes.push(`settings ${a && b ? 'gained or lost' : b ? 'added' : 'removed'}: ${settings.join(', ')}`);
      return explain(causes);
    };
    if (!a || !b) {
      changes.push({
        entry: label,
        setting: null,
        field: b ? 'added' : 'removed',
        before: a?.iqm ?? null,
        after: b?.iqm ?? null,
        cause: entryCauses(),
      });
      continue;
    }
    if (a.iqm !== b.iqm) changes.push({ entry: label, setting: null, field: 'iqm', before: a.iqm, after: b.iqm, cause: entryCauses() });
    const others = moved.filter((l) => l !== label);
    const rankCause = () => (a.iqm === b.iqm && others.length ? `other entries moved: ${others.join(', ')}` : entryCauses());
    if (a.rank !== b.rank) changes.push({ entry: label, setting: null, field: 'rank', before: a.rank, after: b.rank, cause: rankCause() });
    if (a.tier !== b.tier) changes.push({ entry: label, setting: null, field: 'tier', before: a.tier, after: b.tier, cause: rankCause() });
  }
  return changes;
}
