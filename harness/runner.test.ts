import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadRegistry, type Registry } from './registry.ts';
import { planCells } from './cells.ts';
import { ResultStore } from './cache.ts';
import { runCells } from './runner.ts';
import { runProvenance } from './provenance.ts';
import { fixtureRoot } from './testing/fixture-root.ts';

const header = `import { z } from 'zod';\nimport { defineMethod } from '../../harness/types.ts';\n`;
const method = (id: string, hooks: string) =>
  `${header}export default defineMethod({ id: '${id}', title: '${id}', kind: 'method', summary: 'test fixture', papers: [], params: z.object({}), hooks: { ${hooks} } });\n`;

const small = ['generations=3', 'replicates=50', 'samples=8'];
let fixture: ReturnType<typeof fixtureRoot>;
let registry: Registry;
let dir: string;

beforeAll(async () => {
  fixture = fixtureRoot({
    throws: method(
      'throws',
      `pool(ctx) { if (ctx.t === 2) throw new Error('boom at generation 2'); return { parts: [{ batch: ctx.synthetic(ctx.size) }] }; }`,
    ),
    nan: method('nan', `estimate(model) { model.mean.fill(NaN); return model; }`),
    hangs: method('hangs', `pool() { for (;;) {} }`),
    crashes: method('crashes', `pool() { process.exit(3); }`),
  });
  registry = await loadRegistry(fixture.root);
  dir = mkdtempSync(join(tmpdir(), 'engine-'));
});
afterAll(() => {
  fixture.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('failure isolation', () => {
  it('a throwing, NaN-producing, hanging or crashing method fails only its own cells, with the reason', async () => {
    const cells = planCells(registry, {
      tasks: ['gaussian-chain'],
      methods: ['replace', 'throws', 'nan', 'hangs', 'crashes'],
      profile: 'quick',
      seeds: 1,
      sets: small,
    });
    const store = new ResultStore(join(dir, 'failures'));
    const records = await runCells(cells, store, registry, runProvenance(registry), { jobs: 2, timeoutMs: 4000 });
    const byMethod = Object.fromEntries(records.map((r) => [r.key.method, r]));
    expect(byMethod.replace.status).toBe('ok');
    expect(byMethod.throws).toMatchObject({ status: 'failed', reason: 'boom at generation 2' });
    expect(byMethod.nan).toMatchObject({ status: 'failed', reason: 'metric w2 is NaN at generation 0 (replicate 0)' });
    expect(byMethod.hangs).toMatchObject({ status: 'timeout', reason: 'exceeded the per-cell time limit of 4 s' });
    expect(byMethod.crashes).toMatchObject({ status: 'failed', failure: 'crash', reason: "the cell's process exited with code 3" });
    // Every outcome was saved, so a rerun reuses all but the timeout and the crash (both recomputed).
    const again = await runCells(cells, store, registry, runProvenance(registry), { jobs: 1, timeoutMs: 1000 });
    expect(again.map((r) => r.status)).toEqual(records.map((r) => r.status));
  });

  it('--fail-fast throws at the first failed cell', async () => {
    const cells = planCells(registry, { tasks: ['gaussian-chain'], methods: ['throws'], profile: 'quick', seeds: 1, sets: small });
    await expect(
      runCells(cells, new ResultStore(join(dir, 'fail-fast')), registry, runProvenance(registry), { failFast: true }),
    ).rejects.toThrow(/gaussian-chain × throws, seed 0\) failed: boom at generation 2/);
  });
});

describe('scheduling', () => {
  it('gives the same records in plan order for any number of jobs', async () => {
    const cells = planCells(registry, {
      tasks: ['gaussian-chain'],
      methods: ['replace', 'accumulate', 'real-only'],
      profile: 'quick',
      seeds: 2,
      sets: small,
    });
    const one = await runCells(cells, new ResultStore(join(dir, 'j1')), registry, runProvenance(registry), { jobs: 1 });
    const three = await runCells(cells, new ResultStore(join(dir, 'j3')), registry, runProvenance(registry), { jobs: 3 });
    expect(three.map((r) => r.id)).toEqual(cells.map((c) => c.id));
    expect(three.map((r) => r.metrics)).toEqual(one.map((r) => r.metrics));
  });

  it('records a method that does not apply as skipped with the reason, without running it', async () => {
    const fake = { ...registry, tasks: registry.tasks.map((t) => ({ ...t, definition: { ...t.definition, hooks: ['pool' as const] } })) };
    const cells = planCells(fake, { tasks: ['gaussian-chain'], methods: ['nan'], profile: 'quick', seeds: 1, sets: small });
    const [record] = await runCells(cells, new ResultStore(join(dir, 'skip')), fake, runProvenance(fake));
    expect(record).toMatchObject({ status: 'skipped', reason: 'task gaussian-chain does not expose hook estimate' });
  });
});
