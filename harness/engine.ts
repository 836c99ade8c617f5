/**
 * Runs planned cells: reuses current records from the store, records inapplicable cells as
 * skipped, and sends the rest to a pool of child processes (harness/worker.ts), each cell
 * under a time limit. Every finished record is written before the next is awaited, so a
 * killed run resumes where it stopped. Records come back in plan order whatever the number
 * of jobs, so output does not depend on scheduling.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ResultRecord } from './schema.ts';
import type { PlannedCell } from './cells.ts';
import type { Registry } from './registry.ts';
import type { RunProvenance } from './provenance.ts';
import { ResultStore, reusable } from './cache.ts';
import { makeRecord, type CellJob } from './cell.ts';
import { backendLabel, pickBackend, usesTfjs, type BackendName } from './backend.ts';

export interface EngineOptions {
  /** Parallel child processes. @default 1 */
  jobs?: number;
  /** Per-cell wall-clock limit in milliseconds; a cell past it is killed and recorded as `timeout`. @default 600_000 */
  timeoutMs?: number;
  /** Recompute cells even when a current record exists. @default false */
  force?: boolean;
  /** Throw at the first failed or timed-out cell instead of recording it. @default false */
  failFast?: boolean;
  /** Called once per cell as its record becomes available (reused ones included). */
  onRecord?: (record: ResultRecord, reused: boolean) => void;
  /**
   * TensorFlow.js backend for cells whose task or method uses it (`--backend`): a name of
   * BACKEND_NAMES forces it; omitted, the first that loads (harness/backend.ts). Started only
   * when such a cell is planned; a stored record from another backend is recomputed.
   */
  backend?: string;
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export async function runCells(
  cells: PlannedCell[],
  store: ResultStore,
  registry: Registry,
  provenance: RunProvenance,
  options: EngineOptions = {},
): Promise<ResultRecord[]> {
  const { jobs = 1, timeoutMs = 600_000, force = false, failFast = false, onRecord } = options;
  const records = new Map<string, ResultRecord>();
  const todo: CellJob[] = [];
  const neural = cells.some((c) => !c.skipReason && usesTfjs(c.task.definition, c.method.definition, c.key.taskParams));
  const backend: BackendName | undefined = neural ? (await pickBackend({ backend: options.backend })).name : undefined;

  const finish = (record: ResultRecord, reused: boolean) => {
    if (!reused) store.write(record);
    records.set(record.id, record);
    onRecord?.(record, reused);
    if (failFast && (record.status === 'failed' || record.status === 'timeout')) {
      throw new Error(`cell ${record.id} (${record.key.task} × ${record.key.method}, seed ${record.key.seed}) ${record.status}: ${record.reason}`);
    }
  };

  for (const cell of cells) {
    const job: CellJob = { root: registry.root, id: cell.id, key: cell.key, taskHash: cell.task.hash, methodHash: cell.method.hash, provenance };
    if (backend && !cell.skipReason && usesTfjs(cell.task.definition, cell.method.definition, cell.key.taskParams)) job.backend = backend;
    const stored = force ? undefined : store.read(cell.id);
    if (reusable(stored, cell, registry) && (!job.backend || stored.provenance.backend === backendLabel(job.backend))) finish(stored, true);
    else if (cell.skipReason) finish(makeRecord(job, cell.task.definition, 'skipped', undefined, 0, new Date().toISOString(), cell.skipReason), false);
    else todo.push(job);
  }

  const taskOf = new Map(cells.map((c) => [c.id, c.task.definition]));
  const queue = [...todo];
  const workers: Promise<void>[] = [];
  let failure: unknown;
  for (let w = 0; w < Math.min(jobs, queue.length); w++) {
    workers.push(
      (async () => {
        let child: ChildProcess | undefined;
        try {
          while (queue.length > 0 && failure === undefined) {
            const job = queue.shift()!;
            child ??= await spawnWorker();
            const outcome = await runInChild(child, job, timeoutMs);
            if (outcome.kind === 'record') {
              finish(outcome.record, false);
              continue;
            }
            // The child is gone or must go: record the cell, start a fresh child for the next.
            child.kill('SIGKILL');
            child = undefined;
            const status = outcome.kind === 'timeout' ? 'timeout' : 'failed';
            finish(makeRecord(job, taskOf.get(job.id)!, status, undefined, outcome.wallMs, outcome.startedAt, outcome.reason), false);
          }
        } catch (error) {
          failure ??= error;
        } finally {
          child?.disconnect();
        }
      })(),
    );
  }
  await Promise.all(workers);
  if (failure !== undefined) throw failure;
  return cells.map((c) => records.get(c.id)!);
}

type Outcome =
  | { kind: 'record'; record: ResultRecord }
  | { kind: 'timeout' | 'crash'; reason: string; wallMs: number; startedAt: string };

function spawnWorker(): Promise<ChildProcess> {
  const child = fork(WORKER, [], { execArgv: ['--import', TSX], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`cell worker exited with code ${code} before it was ready`)));
  });
}

function runInChild(child: ChildProcess, job: CellJob, timeoutMs: number): Promise<Outcome> {
  const startedAt = new Date().toISOString();
  const start = performance.now();
  return new Promise((resolve) => {
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(outcome);
    };
    const onMessage = (record: ResultRecord) => done({ kind: 'record', record });
    const onExit = (code: number | null, signal: string | null) =>
      done({ kind: 'crash', reason: `the cell's process died (${signal ?? `exit code ${code}`}), e.g. out of memory`, wallMs: performance.now() - start, startedAt });
    const timer = setTimeout(
      () => done({ kind: 'timeout', reason: `exceeded the per-cell time limit of ${timeoutMs / 1000} s`, wallMs: performance.now() - start, startedAt }),
      timeoutMs,
    );
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.send(job);
  });
}
