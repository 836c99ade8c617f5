/** TF.js backend start-up (detection order, fallback, forcing) and how neural cells record it. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type * as TF from '@tensorflow/tfjs';
import { BACKEND_PACKAGES, activeBackend, backendFromLabel, loadBackend, pickBackend, tfjs, type ModuleLoader } from './backend.ts';
import { InputError } from './params.ts';
import { ROOT, loadRegistry } from './registry.ts';
import { planCells } from './cells.ts';
import { ResultStore } from './cache.ts';
import { runCells } from './runner.ts';
import { runProvenance } from './provenance.ts';
import { executeCell } from './cell.ts';

const work = mkdtempSync(join(tmpdir(), 'backend-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const notInstalled = (specifier: string) =>
  Object.assign(new Error(`Cannot find package '${specifier}' imported from harness/backend.ts`), { code: 'ERR_MODULE_NOT_FOUND' });
/** The real loader, except that the given packages are absent, broken or replaced. */
function loader(overrides: Record<string, 'absent' | 'broken' | (() => unknown)>): ModuleLoader {
  return async (specifier) => {
    const override = overrides[specifier];
    if (override === 'absent') throw notInstalled(specifier);
    if (override === 'broken') throw new Error('libtensorflow.so.2: cannot open shared object file');
    if (override) return override();
    return import(specifier);
  };
}
const nativeAbsent = { [BACKEND_PACKAGES['node-gpu']]: 'absent', [BACKEND_PACKAGES.node]: 'absent' } as const;

describe('start-up', () => {
  it('tfjs() before any backend has started names the fix', () => {
    expect(() => tfjs()).toThrow(
      "TensorFlow.js is not started in this process: declare engine: 'tfjs' on the task or method (the harness then starts the backend), or call loadBackend() first",
    );
  });

  it('skips absent native packages and picks wasm (the default here)', async () => {
    const picked = await pickBackend({ load: loader(nativeAbsent) });
    expect(picked).toEqual({
      name: 'wasm',
      skipped: [
        { name: 'node-gpu', reason: '@tensorflow/tfjs-node-gpu is not installed' },
        { name: 'node', reason: '@tensorflow/tfjs-node is not installed' },
      ],
    });
    expect(activeBackend()).toBe('wasm');
    expect(tfjs().getBackend()).toBe('wasm');
  });

  it('on this machine, without injection, the native packages are simply absent', async () => {
    expect((await pickBackend()).name).toBe('wasm');
  });

  it('tries node-gpu first, then node: a loadable tfjs-node wins over wasm', async () => {
    // A stand-in for @tensorflow/tfjs-node: registers a backend under its name, `tensorflow`.
    const fakeNode = async () => {
      const tf = (await import('@tensorflow/tfjs')) as typeof TF;
      tf.registerBackend('tensorflow', tf.findBackendFactory('cpu')!);
      return {};
    };
    try {
      const picked = await pickBackend({ load: loader({ [BACKEND_PACKAGES['node-gpu']]: 'absent', [BACKEND_PACKAGES.node]: fakeNode }) });
      expect(picked.name).toBe('node');
      expect(tfjs().getBackend()).toBe('tensorflow');
    } finally {
      tfjs().removeBackend('tensorflow');
      await loadBackend('wasm');
    }
  });

  it('falls back to the pure-JS cpu backend when wasm fails to load, with the reason', async () => {
    const picked = await pickBackend({ load: loader({ ...nativeAbsent, [BACKEND_PACKAGES.wasm]: 'broken' }) });
    expect(picked.name).toBe('cpu');
    expect(picked.skipped[2]).toEqual({
      name: 'wasm',
      reason: '@tensorflow/tfjs-backend-wasm failed to load: libtensorflow.so.2: cannot open shared object file',
    });
    expect(tfjs().getBackend()).toBe('cpu');
    await loadBackend('wasm');
  });

  it('--backend forces one; one that cannot load is an input error naming the flag and what is available', async () => {
    expect((await pickBackend({ backend: 'cpu' })).name).toBe('cpu');
    expect(tfjs().getBackend()).toBe('cpu');
    const forced = pickBackend({ backend: 'node', load: loader(nativeAbsent) });
    await expect(forced).rejects.toThrow(InputError);
    await expect(pickBackend({ backend: 'node', load: loader(nativeAbsent) })).rejects.toThrow(
      '--backend node cannot be used: @tensorflow/tfjs-node is not installed (available here: wasm, cpu)',
    );
    expect(activeBackend()).toBe('cpu'); // trying the others restored the active one
    await expect(pickBackend({ backend: 'gpu' })).rejects.toThrow('invalid --backend "gpu" (known: node-gpu, node, wasm, cpu)');
    await loadBackend('wasm');
  });
});

describe('neural cells', () => {
  // Small training budget: these tests are about the harness, not the filter's quality.
  const sets = ['generations=4', 'replicates=64', 'contraction-filter.train_chains=32', 'contraction-filter.epochs=2'];
  const plan = async () => {
    const registry = await loadRegistry();
    return {
      registry,
      cells: planCells(registry, {
        tasks: ['gaussian-chain'],
        methods: ['replace', 'contraction-filter'],
        profile: 'quick',
        seeds: 1,
        sets,
      }),
    };
  };

  it('record their backend (statistical cells keep js-float64); the same cell twice on one backend is bit-identical; another backend recomputes', async () => {
    const { registry, cells } = await plan();
    const run = (dir: string, backend?: string) =>
      runCells(cells, new ResultStore(join(work, dir)), registry, runProvenance(registry), { jobs: 1, backend });
    const [replace, filter] = await run('a');
    expect([replace.status, filter.status]).toEqual(['ok', 'ok']);
    expect(replace.provenance.backend).toBe('js-float64');
    expect(filter.provenance.backend).toBe('tfjs-wasm');
    expect([backendFromLabel(filter.provenance.backend), backendFromLabel(replace.provenance.backend)]).toEqual(['wasm', undefined]);
    const [, again] = await run('b'); // a fresh child process trains the filter again
    expect(again.metrics).toEqual(filter.metrics);
    expect(JSON.stringify(again.metrics)).toBe(JSON.stringify(filter.metrics));

    const [replaceCpu, filterCpu] = await run('a', 'cpu');
    expect(replaceCpu.timing).toEqual(replace.timing); // reused: its numbers do not depend on TF.js
    expect(filterCpu.provenance.backend).toBe('tfjs-cpu');
    expect(filterCpu.timing.startedAt).not.toBe(filter.timing.startedAt); // recomputed on cpu
    const [, filterCpuAgain] = await run('c', 'cpu');
    expect(JSON.stringify(filterCpuAgain.metrics)).toBe(JSON.stringify(filterCpu.metrics));
  });

  it('a TF.js cell run in a process whose backend was not started fails with the reason', async () => {
    const { registry, cells } = await plan();
    const cell = cells[1];
    const job = {
      root: ROOT,
      id: cell.id,
      key: cell.key,
      taskHash: cell.task.hash,
      methodHash: cell.method.hash,
      harnessHash: registry.harnessHashOf(cell.key.task, cell.key.method),
      provenance: runProvenance(registry),
    };
    expect(executeCell(job, cell.task.definition, cell.method.definition)).toMatchObject({
      status: 'failed',
      reason:
        'TensorFlow.js backend (none chosen) is not started in this process: set CellJob.backend and await loadBackend() before executeCell',
    });
  });

  it('collapse-bench run --backend cpu forces it; an unloadable --backend exits 2 naming it', async () => {
    const bin = join(ROOT, 'bin', 'collapse-bench.js');
    const args = [
      'run',
      '--task',
      'gaussian-chain',
      '--method',
      'contraction-filter',
      '--seeds',
      '1',
      ...sets.flatMap((s) => ['--set', s]),
      '--jobs',
      '1',
      '--json',
    ];
    const env = { ...process.env, NO_COLOR: '1' };
    const { stdout } = await promisify(execFile)('node', [bin, ...args, '--backend', 'cpu', '--out', join(work, 'cli')], {
      cwd: ROOT,
      env,
      maxBuffer: 1 << 26,
    });
    const [record] = JSON.parse(stdout).records;
    expect([record.status, record.provenance.backend]).toEqual(['ok', 'tfjs-cpu']);
    const failed = await promisify(execFile)('node', [bin, ...args, '--backend', 'node', '--out', join(work, 'cli-node')], {
      cwd: ROOT,
      env,
    }).catch((e) => e);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain(
      'error: --backend node cannot be used: @tensorflow/tfjs-node is not installed (available here: wasm, cpu)',
    );
  });
});
