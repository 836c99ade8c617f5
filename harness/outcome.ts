/**
 * What a cell's loop returns, and the error that fails a cell with its reason. Neither computes:
 * the module is outside the harness hash (registry.ts NOT_NUMERIC), so a reworded reason keeps
 * records current.
 */
import type { MetricSeries, Snapshot } from './schema.ts';

export interface CellOutput {
  steps: number[];
  metrics: Record<string, MetricSeries>;
  realSamplesPerChain: number;
  /** The task's pictures of the samples (GenerationalSimulation.snapshot), if it draws any. */
  snapshots?: Snapshot[];
}

/** Raised for a cell-level failure whose message is the reason stored in the record. */
export class CellError extends Error {}
