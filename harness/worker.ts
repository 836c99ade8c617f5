/**
 * A sandboxed child process (harness/sandbox.ts) that runs the cells of one task and one method
 * sent by the runner (harness/runner.ts). It imports only that task's and that method's bundled
 * modules, never the registry, so no other contribution's code runs beside the cell; both
 * definitions are frozen before any hook runs. Cells run in children so that a method that hangs
 * can be killed at its time limit and one that crashes the process (or runs out of memory) fails
 * only its own cell; the parent writes every record.
 */
import type { AnyTask, AnyMethod } from './types.ts';
import { executeCell, type CellJob } from './cell.ts';
import { loadBackend } from './backend.ts';
import { setFusedKernels } from './kernels.ts';
import { freezeDefinition } from './freeze.ts';

/** What the runner sends: a cell and the bundled modules of its task and method. */
export interface WorkerRequest {
  job: CellJob;
  taskModule: string;
  methodModule: string;
}

/** Progress messages, so the parent can say where a child died or hung. */
export type WorkerMessage = { ready: true } | { importing: string } | { imported: true } | { failed: string };

let loaded: { taskModule: string; methodModule: string; task: AnyTask; method: AnyMethod } | undefined;

async function definition<T extends { id: string }>(module: string, id: string, what: string): Promise<T> {
  process.send!({ importing: module });
  const value = ((await import(module)) as { default?: T }).default;
  if (!value || typeof value !== 'object' || value.id !== id) throw new Error(`the ${what} module does not export the definition of ${id}`);
  return freezeDefinition(value);
}

process.on('message', async ({ job, taskModule, methodModule }: WorkerRequest) => {
  try {
    if (loaded && (loaded.taskModule !== taskModule || loaded.methodModule !== methodModule)) {
      throw new Error('a cell worker serves one task and one method; the runner starts a fresh one for another pair');
    }
    if (!loaded) {
      const task = await definition<AnyTask>(taskModule, job.key.task, 'task');
      const method = await definition<AnyMethod>(methodModule, job.key.method, 'method');
      loaded = { taskModule, methodModule, task, method };
      process.send!({ imported: true });
    }
  } catch (error) {
    process.send!({
      failed: `importing the task or method: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    });
    return;
  }
  if (job.backend !== undefined) {
    try {
      await loadBackend(job.backend);
    } catch (error) {
      process.send!({ failed: `TensorFlow.js backend ${job.backend}: ${(error as Error).message}` });
      return;
    }
  }
  setFusedKernels(job.kernels === true);
  process.send!(executeCell(job, loaded.task, loaded.method));
});
// The runner is gone (finished, or killed with -9): stop instead of lingering.
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
