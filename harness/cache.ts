/**
 * The results folder: one JSON file per cell (`<out>/cells/<id>.json`), written atomically
 * (temporary file + rename) so a killed run never leaves a half-written record, and a rerun
 * resumes by skipping every cell whose record is present and current.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ResultRecord } from './schema.ts';
import type { PlannedCell } from './cells.ts';
import { findMethod, findTask, type Registry } from './registry.ts';
import { InputError } from './params.ts';

export class ResultStore {
  readonly cellsDir: string;

  constructor(readonly dir: string) {
    this.cellsDir = join(dir, 'cells');
  }

  /** The stored record of a cell, or undefined when absent or unreadable (it is then recomputed). */
  read(id: string): ResultRecord | undefined {
    const path = join(this.cellsDir, `${id}.json`);
    if (!existsSync(path)) return undefined;
    try {
      return ResultRecord.parse(JSON.parse(readFileSync(path, 'utf8')));
    } catch {
      return undefined;
    }
  }

  write(record: ResultRecord): void {
    mkdirSync(this.cellsDir, { recursive: true });
    const path = join(this.cellsDir, `${record.id}.json`);
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(record, null, 1) + '\n');
    renameSync(tmp, path);
  }

  /** Every record in the folder; a corrupt or schema-invalid file is an error naming it and the field. */
  readAll(): ResultRecord[] {
    if (!existsSync(this.cellsDir)) return [];
    const files = readdirSync(this.cellsDir).filter((f) => f.endsWith('.json')).sort();
    return files.map((file) => parseRecordFile(join(this.cellsDir, file)));
  }
}

export function parseRecordFile(path: string): ResultRecord {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const result = ResultRecord.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(`${path}: invalid result record at field "${issue.path.join('.') || '(root)'}": ${issue.message}`);
  }
  return result.data;
}

/** Why a record no longer describes the current code, or undefined when it is current. */
export function staleReason(record: ResultRecord, registry: Registry): string | undefined {
  const task = findTask(registry, record.key.task);
  const method = findMethod(registry, record.key.method);
  if (!task) return `task ${record.key.task} no longer exists`;
  if (!method) return `method ${record.key.method} no longer exists`;
  if (record.provenance.taskHash !== task.hash) return `task ${task.definition.id} changed since the record was computed`;
  if (record.provenance.methodHash !== method.hash) return `method ${method.definition.id} changed since the record was computed`;
  if (record.provenance.harnessHash !== registry.harnessHash) return 'harness changed since the record was computed';
  return undefined;
}

/** A stored record that can stand for this planned cell: current code, and not a timeout (those may be machine noise). */
export function reusable(record: ResultRecord | undefined, cell: PlannedCell, registry: Registry): record is ResultRecord {
  return record !== undefined && record.id === cell.id && record.status !== 'timeout' && staleReason(record, registry) === undefined;
}
