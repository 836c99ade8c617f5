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

/** The record's backend label of a cell whose task has kernels: `kernels+tfjs-wasm` when they ran. */
export function kernelLabel(backendLabel: string, on: boolean): string {
  return on ? `kernels+${backendLabel}` : backendLabel;
}

/** The kernel choice and TF.js backend label a record's backend label names (`kernels+tfjs-wasm` → fused, `tfjs-wasm`). */
export function splitKernelLabel(label: string): { kernels: KernelChoice; backendLabel: string } {
  return label.startsWith('kernels+') ? { kernels: 'fused', backendLabel: label.slice('kernels+'.length) } : { kernels: 'tfjs', backendLabel: label };
}
