/**
 * A child process that runs cells sent by the engine (harness/engine.ts). Cells run in
 * children, not in the parent, so that a method that hangs can be killed at its time limit
 * and one that crashes the process (or runs out of memory) fails only its own cell.
 */
import { findMethod, findTask, loadRegistry, type Registry } from './registry.ts';
import { executeCell, makeRecord, type CellJob } from './cell.ts';
import { loadBackend } from './backend.ts';


const registries = new Map<string, Promise<Registry>>();

process.on('message', async (job: CellJob) => {
  if (!registries.has(job.root)) registries.set(job.root, loadRegistry(job.root));
  const registry = await registries.get(job.root)!;
  const task = findTask(registry, job.key.task)!.definition;
  const method = findMethod(registry, job.key.method)!.definition;
  if (job.backend !== undefined) {
    try {
      await loadBackend(job.backend);
    } catch (error) {
      process.send!(makeRecord(job, task, 'failed', undefined, 0, new Date().toISOString(), `TensorFlow.js backend ${job.backend}: ${(error as Error).message}`));
      return;
    }
  }
  process.send!(executeCell(job, task, method));
});
// The engine is gone (finished, or killed with -9): stop instead of lingering.
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
