import { afterEach, describe, expect, it } from 'vitest';
import { fusedKernels, kernelLabel, setFusedKernels, splitKernelLabel } from './kernels.ts';
import { recordedBackend } from './cell.ts';

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
    expect(kernelLabel('tfjs-cpu', false)).toBe('tfjs-cpu');
    expect(splitKernelLabel('kernels+tfjs-wasm')).toEqual({ kernels: 'fused', backendLabel: 'tfjs-wasm' });
    expect(splitKernelLabel('tfjs-node')).toEqual({ kernels: 'tfjs', backendLabel: 'tfjs-node' });
  });
});
