/** Runs one cell in this process and turns its outcome (numbers or failure) into a record. */
import { SCHEMA_VERSION, type CellKey, type CellStatus, type ResultRecord } from './schema.ts';
import type { AnyTask, AnyMethod } from './types.ts';
import type { RunProvenance } from './provenance.ts';
import type { CellOutput } from './outcome.ts';
import { runGenerational } from './generations.ts';
import { runTraining } from './training.ts';
import { guardPoolHooks } from './guard.ts';
import { activeBackend, backendLabel, type BackendName } from './backend.ts';
import { cellNeedsTfjs, fusedKernels, kernelLabel, taskKernels } from './kernels.ts';

/** Statistical cells are float64 JavaScript on typed arrays; TF.js cells name their backend (e.g. `tfjs-wasm`). */
export const STATISTICAL_BACKEND = 'js-float64';

export interface CellJob {
  /** Registry root the worker discovers definitions from. */
  root: string;
  id: string;
  key: CellKey;
  taskHash: string;
  methodHash: string;
  /** The cell's harness hash (Registry.harnessHashOf). */
  harnessHash: string;
  provenance: RunProvenance;
  /** The TensorFlow.js backend, for cells whose task or method uses it (harness/backend.ts). */
  backend?: BackendName;
  /** The cell's models compute with the fused kernels (its task has them and the run chose them; harness/kernels.ts). */
  kernels?: boolean;
}

/** Runs one cell of either kind of task in this process (no record, no guard: executeCell adds them). */
export function runCell(task: AnyTask, method: AnyMethod, key: CellKey): CellOutput {
  return task.stepAxis === 'epoch' ? runTraining(task, method, key) : runGenerational(task, method, key);
}

export function executeCell(job: CellJob, task: AnyTask, method: AnyMethod): ResultRecord {
  const startedAt = new Date().toISOString();
  const start = performance.now();
  try {
    if (
      cellNeedsTfjs(task, method, job.key.taskParams, job.kernels === true) &&
      (job.backend === undefined || activeBackend() !== job.backend)
    ) {
      throw new Error(
        `TensorFlow.js backend ${job.backend ?? '(none chosen)'} is not started in this process: set CellJob.backend and await loadBackend() before executeCell`,
      );
    }
    if (taskKernels(task, job.key.taskParams) && fusedKernels() !== (job.kernels === true))
      throw new Error(
        `the fused kernels are ${fusedKernels() ? 'on' : 'off'} in this process but the cell's job says ${job.kernels ? 'on' : 'off'}: call setFusedKernels(job.kernels) before executeCell`,
      );
    const output = runCell(task, guardPoolHooks(method), job.key);
    return makeRecord(job, task, 'ok', output, performance.now() - start, startedAt);
  } catch (error) {
    const reason = failureReason(error);
    return makeRecord(job, task, 'failed', undefined, performance.now() - start, startedAt, reason, 'error');
  }
}

/** A thrown value as a record's reason; the sandbox's refusals say what was refused. */
function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const denied = error as Error & { code?: string; permission?: string; resource?: string };
  if (denied.code === 'ERR_ACCESS_DENIED') {
    return `the sandbox refused ${denied.permission ?? 'an operation'}${denied.resource ? ` on ${denied.resource}` : ''}: a cell may read only its own task's and method's folders and the npm packages, write only its temporary folder, and start no processes`;
  }
  return `${error.name === 'Error' || error.name === 'CellError' ? '' : `${error.name}: `}${error.message}`;
}

export function makeRecord(
  job: CellJob,
  task: AnyTask,
  status: CellStatus,
  output: CellOutput | undefined,
  wallMs: number,
  startedAt: string,
  reason?: string,
  /** For failed cells: 'error' (the code threw; deterministic) or 'crash' (the process died; retried). */
  failure?: ResultRecord['failure'],
): ResultRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    id: job.id,
    key: job.key,
    status,
    ...(reason !== undefined && { reason }),
    ...(failure !== undefined && { failure }),
    stepAxis: task.stepAxis,
    steps: output?.steps ?? [],
    metrics: output?.metrics ?? {},
    budget: { realSamplesPerChain: output?.realSamplesPerChain ?? 0 },
    ...(output?.snapshots?.length && { snapshots: output.snapshots }),
    timing: { wallMs: Math.round(wallMs * 1000) / 1000, startedAt },
    provenance: {
      ...job.provenance,
      taskHash: job.taskHash,
      methodHash: job.methodHash,
      harnessHash: job.harnessHash,
      backend: recordedBackend(job),
    },
  };
}

/** What computed a cell, as its record says: `js-float64`, `tfjs-wasm`, `kernels`, or `kernels+tfjs-wasm`. */
export function recordedBackend(job: Pick<CellJob, 'backend' | 'kernels'>): string {
  if (!job.backend && !job.kernels) return STATISTICAL_BACKEND;
  return kernelLabel(job.backend && backendLabel(job.backend), job.kernels === true);
}
