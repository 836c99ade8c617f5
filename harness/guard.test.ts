import { describe, expect, it } from 'vitest';
import { loadRegistry } from './registry.ts';
import { planCells } from './cells.ts';
import { runCell } from './loop.ts';
import { guardPoolHooks } from './guard.ts';

describe('guardPoolHooks', () => {
  it('leaves every honest pool and filter hook computing exactly what it computed unguarded', async () => {
    const registry = await loadRegistry(undefined, { probe: false });
    const cells = [
      ...planCells(registry, { tasks: ['gaussian-chain'], profile: 'quick', seeds: 1, sets: ['generations=4', 'replicates=30', 'samples=12'] }),
      ...planCells(registry, { tasks: ['recursive-lm'], profile: 'quick', seeds: 1, sets: ['generations=4', 'replicates=30'] }),
    ].filter((c) => !c.skipReason && (c.method.definition.hooks.pool || c.method.definition.hooks.filter));
    const methods = new Set(cells.map((c) => c.key.method));
    // accumulate reads ctx.history after drawing into it; fresh-data-mixing reads history[0]; the rest draw and weight.
    expect([...methods]).toEqual(expect.arrayContaining(['accumulate', 'accumulate-subsample', 'fresh-data-mixing', 'generation-weighting', 'real-only', 'replace']));
    for (const cell of cells) {
      const plain = runCell(cell.task.definition, cell.method.definition, cell.key);
      const guarded = runCell(cell.task.definition, guardPoolHooks(cell.method.definition), cell.key);
      expect({ cell: cell.key, metrics: guarded.metrics, real: guarded.realSamplesPerChain }).toEqual({ cell: cell.key, metrics: plain.metrics, real: plain.realSamplesPerChain });
    }
  }, 240_000);
});
