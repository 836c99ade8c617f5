import { afterEach, describe, expect, it } from 'vitest';
import { cellNeedsTfjs, cellUsesKernels, fusedKernels, kernelLabel, setFusedKernels, splitKernelLabel } from './kernels.ts';
import { executeCell, recordedBackend } from './cell.ts';

describe('the kernel switch and its label', () => {
  afterEach(() => setFusedKernels(false));

  it('is off until a cell turns it on', () => {
    expect(fusedKernels()).toBe(false);
    setFusedKernels(true);
    expect(fusedKernels()).toBe(true);
  });

  it('labels what computed a cell, and reads the label back', () => {
    expect(recordedBackend({})).toBe('js-float64');
    expect(recordedBackend({ backend: 'wasm' })).toBe('tfjs-wasm');
    expect(recordedBackend({ backend: 'wasm', kernels: true })).toBe('kernels+tfjs-wasm');
    expect(recordedBackend({ kernels: true })).toBe('kernels');
    expect(splitKernelLabel('kernels')).toEqual({ kernels: 'fused', backendLabel: '' });
    expect(kernelLabel('tfjs-cpu', false)).toBe('tfjs-cpu');
    expect(splitKernelLabel('kernels+tfjs-wasm')).toEqual({ kernels: 'fused', backendLabel: 'tfjs-wasm' });
    expect(splitKernelLabel('tfjs-node')).toEqual({ kernels: 'tfjs', backendLabel: 'tfjs-node' });
  });
});

describe('which cells use the kernels and which need TF.js', () => {
  const statistical = { engine: undefined, kernels: undefined };
  const diffusion = { engine: 'tfjs' as const, kernels: 'instead-of-tfjs' as const };
  const align = { engine: 'tfjs' as const, kernels: 'beside-tfjs' as const };
  const plain = { engine: undefined };
  const tfjsMethod = { engine: 'tfjs' as const };

  it('uses the kernels only for tasks that have them, when the run chose them', () => {
    expect(cellUsesKernels(diffusion, {}, 'fused')).toBe(true);
    expect(cellUsesKernels(diffusion, {}, 'tfjs')).toBe(false);
    expect(cellUsesKernels(statistical, {}, 'fused')).toBe(false);
    // Per parameters, as recursive-lm's char variant (its markov variant has no neural model).
    const variants = { kernels: (p: Record<string, unknown>) => (p.variant === 'char' ? ('instead-of-tfjs' as const) : undefined) };
    expect(cellUsesKernels(variants, { variant: 'char' }, 'fused')).toBe(true);
    expect(cellUsesKernels(variants, { variant: 'markov' }, 'fused')).toBe(false);
  });

  it("starts TF.js unless the kernels replace all of the task's TF.js and the method uses none", () => {
    expect(cellNeedsTfjs(diffusion, plain, {}, true)).toBe(false);
    expect(cellNeedsTfjs(diffusion, plain, {}, false)).toBe(true);
    expect(cellNeedsTfjs(diffusion, tfjsMethod, {}, true)).toBe(true);
    expect(cellNeedsTfjs(align, plain, {}, true)).toBe(true);
    expect(cellNeedsTfjs(statistical, plain, {}, true)).toBe(false);
  });
});

describe('a cell whose engine switch disagrees with its job', () => {
  afterEach(() => setFusedKernels(false));
  const task = { id: 't', stepAxis: 'generation', kernels: 'instead-of-tfjs' } as never;
  const method = { id: 'm', hooks: {} } as never;
  const job = (kernels?: boolean) => ({
    root: '.',
    id: 'x',
    key: { task: 't', taskParams: {}, method: 'm', methodParams: {}, seed: 0 },
    taskHash: 'h',
    methodHash: 'h',
    harnessHash: 'h',
    provenance: {} as never,
    ...(kernels && { kernels }),
  });

  it('fails instead of computing on the other engine, both ways', () => {
    const off = executeCell(job(true), task, method);
    expect(off.status).toBe('failed');
    expect(off.reason).toBe(
      "the fused kernels are off in this process but the cell's job says on: call setFusedKernels(job.kernels) before executeCell",
    );
    setFusedKernels(true);
    expect(executeCell(job(), task, method).reason).toBe(
      "the fused kernels are on in this process but the cell's job says off: call setFusedKernels(job.kernels) before executeCell",
    );
  });
});
