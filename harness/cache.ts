/**
 * The results folder: one JSON file per cell (`<out>/cells/<id>.json`), written atomically
 * (temporary file + rename) so a killed run never leaves a half-written record, and a rerun
 * resumes by skipping every cell whose record is present and current.
 *
 * A record counts only under its own name: its file name is `<id>.json` and its id is the hash
 * of its key. Otherwise a record copied under a second name, or with its seed edited, would be
 * scored as another seed's result.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ResultRecord } from './schema.ts';
import { cellId, type PlannedCell } from './cells.ts';
import { findMethod, findTask, type Registry } from './registry.ts';
import { InputError } from './params.ts';
import { readJsonFile } from './json-file.ts';

export class ResultStore {
  readonly cellsDir: string;

  constructor(readonly dir: string) {
    this.cellsDir = join(dir, 'cells');
  }

  /**
   * The stored record of a cell, or undefined when absent, unreadable, or not this cell's own
   * record (another id, or a key that does not hash to this id): the cell is then recomputed and
   * its record replaces the file. Absent rather than an error, because the run is about to
   * overwrite that very file; `score`, `merge` and `publish` read folders strictly and refuse it.
   */
  read(id: string): ResultRecord | undefined {
    const path = join(this.cellsDir, `${id}.json`);
    if (!existsSync(path)) return undefined;
    let record: ResultRecord;
    try {
      record = ResultRecord.parse(JSON.parse(readFileSync(path, 'utf8')));
    } catch {
      return undefined;
    }
    return record.id === id && cellId(record.key) === id ? record : undefined;
  }

  write(record: ResultRecord): void {
    mkdirSync(this.cellsDir, { recursive: true });
    writeFileAtomic(join(this.cellsDir, `${record.id}.json`), `${JSON.stringify(record, null, 1)}\n`);
  }

  /** Every record in the folder; a corrupt, schema-invalid or misnamed file is an error naming it and the problem. */
  readAll(): ResultRecord[] {
    if (!existsSync(this.cellsDir)) return [];
    const files = readdirSync(this.cellsDir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    return files.map((file) => parseRecordFile(join(this.cellsDir, file)));
  }
}

let temporaryCount = 0;

/**
 * Writes a file through a temporary file in the same folder and a rename, so a reader (or a
 * concurrent run into the same folder) sees the old content or the new, never half of it.
 */
export function writeFileAtomic(path: string, text: string): void {
  // pid and a counter: two processes, or two writes of one process, never share a temporary file.
  const tmp = `${path}.tmp-${process.pid}-${temporaryCount++}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export interface ParseRecordOptions {
  /**
   * Whether the file must be named `<id>.json` (default true). Off only for a single record
   * file given by path (`score some-record.json`): one file cannot count twice.
   */
  requireIdFileName?: boolean;
}

/**
 * A record file, checked: valid JSON, the schema, an id that is the hash of the key, and (in a
 * results folder) a file name equal to that id. Any failure is an InputError naming the file.
 */
export function parseRecordFile(path: string, options: ParseRecordOptions = {}): ResultRecord {
  const record = readJsonFile(path, ResultRecord, 'result record');
  const problem = recordIdentityProblem(record, options.requireIdFileName === false ? undefined : basename(path));
  if (problem) throw new InputError(`${path}: ${problem}`);
  return record;
}

/**
 * Why a record may not stand for the cell it names, or undefined when it may: its id must be
 * the hash of its key, and its file name (when given) `<id>.json`.
 */
export function recordIdentityProblem(record: ResultRecord, fileName?: string): string | undefined {
  const expected = cellId(record.key);
  if (record.id !== expected) {
    return `record id ${record.id} is not the hash of its key (${expected}): the key was edited after the record was computed (e.g. its seed), so its numbers are not that key's`;
  }
  if (fileName !== undefined && fileName !== `${record.id}.json`) {
    return `file name does not match the record id ${record.id} (a copied or renamed record would count as extra seeds; the file must be named ${record.id}.json)`;
  }
  return undefined;
}

/** Why a record no longer describes the current code, or undefined when it is current. */
export function staleReason(record: ResultRecord, registry: Registry): string | undefined {
  const task = findTask(registry, record.key.task);
  const method = findMethod(registry, record.key.method);
  if (!task) return `task ${record.key.task} no longer exists`;
  if (!method) return `method ${record.key.method} no longer exists`;
  if (record.provenance.taskHash !== task.hash) return `task ${task.definition.id} changed since the record was computed`;
  if (record.provenance.methodHash !== method.hash) return `method ${method.definition.id} changed since the record was computed`;
  if (record.provenance.harnessHash !== registry.harnessHashOf(record.key.task, record.key.method))
    return 'harness changed since the record was computed';
  return undefined;
}

/**
 * Why a record is recomputed on every run whatever the code, or undefined when it is not: a
 * timeout or a crashed process (killed, out of memory) says more about the machine than about
 * the method. A method or task that threw (`failure: 'error'`, or no failure field) is
 * deterministic and reused.
 */
export function machineDependentReason(record: ResultRecord): 'timeout' | 'crash' | undefined {
  if (record.status === 'timeout') return 'timeout';
  if (record.status === 'failed' && record.failure === 'crash') return 'crash';
  return undefined;
}

/** A stored record that can stand for this planned cell: its own record, current code, and not a timeout or crash. */
export function reusable(record: ResultRecord | undefined, cell: PlannedCell, registry: Registry): record is ResultRecord {
  return (
    record !== undefined &&
    record.id === cell.id &&
    machineDependentReason(record) === undefined &&
    staleReason(record, registry) === undefined
  );
}
