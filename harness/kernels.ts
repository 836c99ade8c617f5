/**
 * The switch between the two CPU engines of models that have fused kernels (kernels/): the
 * fused wasm SIMD kernels (fast) or TensorFlow.js (the reference). A task declares that its
 * models have kernels (TaskDefinition.kernels); the run picks per process (`--kernels`), and a
 * record of such a task names what computed it (`provenance.backend`, e.g. `kernels+tfjs-wasm`).
 *
 * This module holds no arithmetic: which engine ran is in the record's label, and the kernels'
 * code is covered by the content hash of every task that imports them. So it is outside the
 * harness hash (registry.ts NOT_NUMERIC), like the other modules that only choose and record.
 */

import { usesTfjs } from './backend.ts';
import type { KernelUse, AnyTask, AnyMethod } from './types.ts';

/** `fused`: models with kernels compute with them; `tfjs`: everything on TensorFlow.js. */
export type KernelChoice = 'fused' | 'tfjs';
export const KERNEL_CHOICES: readonly KernelChoice[] = ['fused', 'tfjs'];

let fused = false;

/** Whether this process computes the models that have fused kernels with them (default: no, TF.js). */
export function fusedKernels(): boolean {
  return fused;
}

/** Turns the fused kernels on or off in this process (the worker, from the cell's job; tests). */
export function setFusedKernels(on: boolean): void {
  fused = on;
}

/** How a task's models with these resolved parameters use the kernels, if they have any. */
export function taskKernels(task: Pick<AnyTask, 'kernels'>, taskParams: Record<string, unknown>): KernelUse | undefined {
  return typeof task.kernels === 'function' ? task.kernels(taskParams) : task.kernels;
}

/** Whether a cell computes with the fused kernels: its task (with these parameters) has them and the run chose them. */
export function cellUsesKernels(task: Pick<AnyTask, 'kernels'>, taskParams: Record<string, unknown>, choice: KernelChoice): boolean {
  return taskKernels(task, taskParams) !== undefined && choice === 'fused';
}

/** Whether a cell needs a TensorFlow.js backend: its method or task uses TF.js, unless the kernels replace all of the task's. */
export function cellNeedsTfjs(
  task: Pick<AnyTask, 'engine' | 'kernels'>,
  method: Pick<AnyMethod, 'engine'>,
  taskParams: Record<string, unknown>,
  kernels: boolean,
): boolean {
  if (method.engine === 'tfjs') return true;
  if (kernels && taskKernels(task, taskParams) === 'instead-of-tfjs') return false;
  return usesTfjs(task, method, taskParams);
}

/** The record's backend label: `kernels` alone, or `kernels+tfjs-wasm` when TF.js ran beside them; the TF.js label when they did not run. */
export function kernelLabel(backendLabel: string | undefined, on: boolean): string {
  if (backendLabel === undefined) return on ? 'kernels' : '';
  return on ? `kernels+${backendLabel}` : backendLabel;
}

/** The kernel choice and TF.js backend label a record's backend label names (`kernels+tfjs-wasm` → fused, `tfjs-wasm`). */
export function splitKernelLabel(label: string): { kernels: KernelChoice; backendLabel: string } {
  if (label === 'kernels') return { kernels: 'fused', backendLabel: '' };
  return label.startsWith('kernels+')
    ? { kernels: 'fused', backendLabel: label.slice('kernels+'.length) }
    : { kernels: 'tfjs', backendLabel: label };
}
