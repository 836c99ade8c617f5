/**
 * Hostile contributions, written as a contributor would submit them (harness/testing/hostile/),
 * run through the registry and the runner: each must fail its own cells (or, at import, be named
 * by the registry), and change nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadRegistry, type Registry } from './registry.ts';
import { planCells } from './cells.ts';
import { ResultStore } from './cache.ts';
import { runCells } from './runner.ts';
import { runProvenance } from './provenance.ts';
import { fixtureRoot } from './testing/fixture-root.ts';
import replace from '../baselines/replace/method.ts';

const HOSTILE = join(import.meta.dirname, 'testing', 'hostile');
const source = (id: string, replacements: Record<string, string> = {}) =>
  Object.entries(replacements).reduce((text, [from, to]) => text.replaceAll(from, to), readFileSync(join(HOSTILE, `${id}.ts`), 'utf8'));

const small = ['generations=3', 'replicates=20', 'samples=8'];
let dir: string;
let secretFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hostile-'));
  secretFile = join(dir, 'secret.txt');
  writeFileSync(secretFile, 'hunter2');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hooks that cheat the pool', () => {
  let fixture: ReturnType<typeof fixtureRoot>;
  let registry: Registry;
  beforeAll(async () => {
    const ids = ['forges-batch', 'understates-size', 'resizes-batch', 'rewrites-data', 'injects-history', 'sends-record'];
    fixture = fixtureRoot(Object.fromEntries(ids.map((id) => [id, source(id)])));
    registry = await loadRegistry(fixture.root);
  });
  afterAll(() => fixture.cleanup());

  it('fail their own cells with the reason; the others are untouched', async () => {
    const methods = ['replace', 'forges-batch', 'understates-size', 'resizes-batch', 'rewrites-data', 'injects-history', 'sends-record'];
    const cells = planCells(registry, { tasks: ['gaussian-chain'], methods, profile: 'quick', seeds: 1, sets: small });
    const records = await runCells(cells, new ResultStore(join(dir, 'pool')), registry, runProvenance(registry), {
      jobs: 2,
      timeoutMs: 60_000,
    });
    const by = Object.fromEntries(records.map((r) => [r.key.method, r]));
    expect(by.replace.status).toBe('ok');
    const drawnOnly =
      'pool part 0 at generation 1 holds a batch the harness did not draw: a pool may only hold batches from ctx.synthetic, ctx.real, ctx.history or ctx.previous';
    expect(by['forges-batch']).toMatchObject({ status: 'failed', failure: 'error', reason: drawnOnly, budget: { realSamplesPerChain: 0 } });
    expect(by['understates-size']).toMatchObject({ status: 'failed', reason: drawnOnly });
    expect(by['resizes-batch'].status).toBe('failed');
    expect(by['resizes-batch'].reason).toMatch(/^TypeError: Cannot assign to read only property 'size'/);
    // It wrote into its own copy of the data: the pool, and so the numbers, are replace's.
    expect(by['rewrites-data'].status).toBe('ok');
    expect(by['rewrites-data'].metrics).toEqual(by.replace.metrics);
    expect(by['injects-history']).toMatchObject({
      status: 'failed',
      reason: 'TypeError: ctx.history is read-only: a pool may hold only batches the harness drew',
    });
    expect(by['sends-record']).toMatchObject({
      status: 'failed',
      failure: 'error',
      reason: "the cell's process returned an invalid record (field schemaVersion: Invalid input: expected 1)",
    });
  }, 240_000);
});

describe("a method that swaps another entry's hook at import", () => {
  it("cannot change that entry's numbers: definitions are frozen and each cell's process loads only its own method", async () => {
    const clean = fixtureRoot({});
    const poisoned = fixtureRoot({ 'poisons-replace': source('poisons-replace') });
    try {
      const cleanRegistry = await loadRegistry(clean.root);
      const registry = await loadRegistry(poisoned.root);
      expect(Object.isFrozen(replace.hooks)).toBe(true);
      expect(registry.methods.find((m) => m.definition.id === 'replace')!.definition.hooks.pool).toBe(replace.hooks.pool);
      const plan = (r: Registry, methods: string[]) =>
        planCells(r, { tasks: ['gaussian-chain'], methods, profile: 'quick', seeds: 2, sets: small });
      const reference = await runCells(
        plan(cleanRegistry, ['replace']),
        new ResultStore(join(dir, 'clean')),
        cleanRegistry,
        runProvenance(cleanRegistry),
      );
      // The poisoner runs first, in the same run, so its process would be reused if the runner allowed it.
      const mixed = await runCells(
        plan(registry, ['poisons-replace', 'replace']),
        new ResultStore(join(dir, 'poisoned')),
        registry,
        runProvenance(registry),
        { jobs: 1 },
      );
      const replaced = mixed.filter((r) => r.key.method === 'replace');
      expect(replaced.map((r) => r.metrics)).toEqual(reference.map((r) => r.metrics));
      expect(replaced.every((r) => r.status === 'ok')).toBe(true);
    } finally {
      clean.cleanup();
      poisoned.cleanup();
    }
  }, 240_000);
});

describe('top-level code that ends or blocks the process', () => {
  it('a definition that exits at import is named, and the command fails instead of exiting 0', async () => {
    const fixture = fixtureRoot({ 'exits-at-import': source('exits-at-import') });
    try {
      await expect(loadRegistry(fixture.root)).rejects.toThrow(
        /^methods\/exits-at-import\/method\.ts: the process exited with code 0 while importing it: a definition's top-level code must not end the process/,
      );
    } finally {
      fixture.cleanup();
    }
  }, 120_000);

  it.each(['hangs-at-import', 'awaits-forever'])(
    'a definition that never finishes importing (%s) is named after the import time limit',
    async (id) => {
      const fixture = fixtureRoot({ [id]: source(id) });
      try {
        await expect(loadRegistry(fixture.root, { importTimeoutMs: 4000 })).rejects.toThrow(
          `methods/${id}/method.ts: did not finish importing within 4 s: top-level code must not wait forever or loop`,
        );
      } finally {
        fixture.cleanup();
      }
    },
    120_000,
  );

  it('a parameter default read from the environment is refused, naming the field', async () => {
    const fixture = fixtureRoot({ 'leaks-in-default': source('leaks-in-default') });
    process.env.COLLAPSE_BENCH_TEST_SECRET = 'hunter2';
    try {
      await expect(loadRegistry(fixture.root)).rejects.toThrow(
        'methods/leaks-in-default/method.ts: its field "params" differs between two imports (here and in a sandbox with an empty environment): a definition\'s metadata, parameter defaults included, must not depend on the environment, the process or the clock',
      );
    } finally {
      delete process.env.COLLAPSE_BENCH_TEST_SECRET;
      fixture.cleanup();
    }
  }, 120_000);
});

describe('the sandbox of a cell', () => {
  let fixture: ReturnType<typeof fixtureRoot>;
  let registry: Registry;
  let store: ResultStore;
  let victim: string;
  beforeAll(async () => {
    store = new ResultStore(join(dir, 'sandbox'));
    mkdirSync(store.cellsDir, { recursive: true });
    victim = join(store.cellsDir, 'another-entry.json');
    writeFileSync(victim, '{"untouched":true}\n');
    fixture = fixtureRoot({
      'leaks-env': source('leaks-env'),
      'reads-file': source('reads-file', { __SECRET_FILE__: secretFile }),
      'writes-records': source('writes-records', { __TARGET_FILE__: victim }),
      'spawns-process': source('spawns-process'),
      'hogs-memory': source('hogs-memory'),
    });
    registry = await loadRegistry(fixture.root);
  });
  afterAll(() => fixture.cleanup());

  it('holds no secrets, cannot read outside its folders, write outside its own temporary folder, start processes or exceed its memory cap', async () => {
    process.env.COLLAPSE_BENCH_TEST_SECRET = 'hunter2';
    try {
      const methods = ['leaks-env', 'reads-file', 'writes-records', 'spawns-process', 'hogs-memory'];
      const cells = planCells(registry, { tasks: ['gaussian-chain'], methods, profile: 'quick', seeds: 1, sets: small });
      const records = await runCells(cells, store, registry, runProvenance(registry), {
        jobs: 2,
        timeoutMs: 60_000,
        limits: { heapMb: 256, rssMb: 600 },
      });
      const by = Object.fromEntries(records.map((r) => [r.key.method, r]));
      expect(by['leaks-env']).toMatchObject({ status: 'failed', reason: 'secret=undefined' });
      const rule =
        "a cell may read only its own task's and method's folders and the npm packages, write only its temporary folder, and start no processes";
      expect(by['reads-file']).toMatchObject({ status: 'failed', reason: `the sandbox refused FileSystemRead on ${secretFile}: ${rule}` });
      expect(by['writes-records']).toMatchObject({ status: 'failed', reason: `the sandbox refused FileSystemWrite on ${victim}: ${rule}` });
      expect(by['spawns-process']).toMatchObject({ status: 'failed', reason: `the sandbox refused ChildProcess: ${rule}` });
      expect(JSON.stringify(records)).not.toContain('hunter2');
      expect(readFileSync(victim, 'utf8')).toBe('{"untouched":true}\n');
      expect(by['hogs-memory']).toMatchObject({ status: 'failed', failure: 'crash' });
      expect(by['hogs-memory'].reason).toMatch(
        /^exceeded the per-cell memory cap of 600 MiB \(resident \d+ MiB\)$|^the cell's process was killed \(SIG[A-Z]+\), e\.g\. out of memory$/,
      );
      // Every record, the failed ones included, was written by the runner.
      for (const r of records) expect(existsSync(join(store.cellsDir, `${r.id}.json`))).toBe(true);
    } finally {
      delete process.env.COLLAPSE_BENCH_TEST_SECRET;
    }
  }, 240_000);

  it('retries a crashed cell on the next run, and reuses the cells that failed with an error', async () => {
    const cells = planCells(registry, {
      tasks: ['gaussian-chain'],
      methods: ['leaks-env', 'hogs-memory'],
      profile: 'quick',
      seeds: 1,
      sets: small,
    });
    const reused: Record<string, boolean> = {};
    await runCells(cells, store, registry, runProvenance(registry), {
      timeoutMs: 60_000,
      limits: { heapMb: 256, rssMb: 600 },
      onRecord: (record, wasReused) => (reused[record.key.method] = wasReused),
    });
    expect(reused).toEqual({ 'leaks-env': true, 'hogs-memory': false });
  }, 240_000);
});
