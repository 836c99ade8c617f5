/**
 * `verify`: the reproducible sample, the exit code when a checked record differs, and the
 * recomputation in fresh cell processes (not in the verifying process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { ROOT, findMethod, loadRegistry } from '../../harness/registry.ts';
import { planCells } from '../../harness/cells.ts';
import { ResultStore } from '../../harness/cache.ts';
import { runCells } from '../../harness/runner.ts';
import { runProvenance } from '../../harness/provenance.ts';
import type { ResultRecord } from '../../harness/schema.ts';
import { fixtureRoot } from '../../harness/testing/fixture-root.ts';
import { sampleRecords, verifyRecords } from './verify.ts';

const work = mkdtempSync(join(tmpdir(), 'verify-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const BIN = join(ROOT, 'bin', 'collapse-bench.js');
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI colour codes this strips
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [BIN, ...args], {
      cwd: ROOT,
      maxBuffer: 1 << 26,
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('sampleRecords', () => {
  // sha256: d 18ac…, f 252f…, c 2e7d…, b 3e23…, e 3f79…, a ca97…
  const records = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ id }));

  it('takes the n ids with the smallest sha256, whatever the input order', () => {
    expect(sampleRecords(records, 3).map((r) => r.id)).toEqual(['d', 'f', 'c']);
    expect(sampleRecords([...records].reverse(), 3).map((r) => r.id)).toEqual(['d', 'f', 'c']);
  });

  it('takes every record when n is at least their number', () => {
    expect(sampleRecords(records, 10).map((r) => r.id)).toEqual(['d', 'f', 'c', 'b', 'e', 'a']);
  });
});

describe('verify through the CLI', () => {
  const out = join(work, 'run');
  const cellFile = (id: string) => join(out, 'cells', `${id}.json`);
  let ids: string[];
  let sampled: string;

  beforeAll(async () => {
    const run = await cli([
      'run',
      '--task',
      'gaussian-chain',
      '--method',
      'replace',
      '--method',
      'accumulate',
      '--seeds',
      '2',
      '--set',
      'generations=3',
      '--set',
      'replicates=40',
      '--out',
      out,
      '--jobs',
      '2',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    ids = readdirSync(join(out, 'cells'))
      .map((f) => f.replace(/\.json$/, ''))
      .sort();
    expect(ids).toHaveLength(4);
    [sampled] = sampleRecords(
      ids.map((id) => ({ id })),
      1,
    ).map((r) => r.id);
  }, 60_000);

  const tamper = (id: string) => {
    const original = readFileSync(cellFile(id), 'utf8');
    const record = JSON.parse(original) as ResultRecord;
    record.metrics.w2.mean[1] += 1e-12;
    writeFileSync(cellFile(id), JSON.stringify(record));
    return () => writeFileSync(cellFile(id), original);
  };

  it('--sample 1 recomputes one record, the same one every time, and leaves no temporary folder', async () => {
    const tmp = join(work, 'tmp');
    mkdirSync(tmp);
    const { code, stdout, stderr } = await cli(['verify', out, '--sample', '1', '--json'], { TMPDIR: tmp });
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ verified: 1, differing: [], stale: [], skipped: 0, unsampled: 3 });
    expect(readdirSync(tmp).filter((f) => f.startsWith('collapse-bench-verify-'))).toEqual([]);
  }, 60_000);

  it('a tampered record outside the sample is not checked', async () => {
    const other = ids.find((id) => id !== sampled)!;
    const restore = tamper(other);
    try {
      const { code, stdout } = await cli(['verify', out, '--sample', '1', '--json']);
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ verified: 1, differing: [] });
    } finally {
      restore();
    }
  }, 60_000);

  it('exits 1 and names the record when a sampled record differs', async () => {
    const restore = tamper(sampled);
    try {
      const { code, stdout } = await cli(['verify', out, '--sample', '1']);
      expect(code).toBe(1);
      expect(plain(stdout).split('\n')).toEqual([
        '0 record(s) reproduced bit for bit; 1 differ; 0 stale (not checked); 0 skipped/timeout (nothing to check); 3 not in the sample of 1',
        `  ${sampled}: metrics differ`,
        '',
      ]);
    } finally {
      restore();
    }
  }, 60_000);
});

describe('verify recomputes a TF.js cell on the backend it recorded', () => {
  const out = join(work, 'tfjs');
  // Small enough to take seconds; cpu and wasm give different bits at these settings.
  const DIFFUSION = [
    '--task',
    'diffusion',
    '--method',
    'replace',
    '--seeds',
    '1',
    '--set',
    'generations=2',
    '--set',
    'train_steps=20',
    '--set',
    'finetune_steps=20',
    '--set',
    'real=64',
    '--set',
    'eval_samples=64',
    '--set',
    'samples=64',
    '--set',
    'hidden=16',
    '--set',
    'layers=1',
    '--set',
    'diffusion_steps=21',
  ];
  const nodeGpuInstalled = (() => {
    try {
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
      return true;
    } catch {
      return false;
    }
  })();

  beforeAll(async () => {
    // cpu is last in the start-up order: a verifier that ignored the record's backend would use another.
    const run = await cli(['run', ...DIFFUSION, '--backend', 'cpu', '--out', out, '--jobs', '1', '--json']);
    expect(run.code, run.stderr).toBe(0);
  }, 120_000);

  it('a tfjs-cpu record reproduces (recomputed on wasm, its numbers would differ)', async () => {
    const { code, stdout, stderr } = await cli(['verify', out, '--json']);
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ verified: 1, differing: [], stale: [], skipped: 0, unsampled: 0 });
  }, 120_000);

  it.skipIf(nodeGpuInstalled)(
    'a record from a backend that cannot start here is an error naming the backend, not a pass',
    async () => {
      const [file] = readdirSync(join(out, 'cells'));
      const record = JSON.parse(readFileSync(join(out, 'cells', file), 'utf8')) as ResultRecord;
      const relabelled = join(work, 'tfjs-gpu');
      mkdirSync(join(relabelled, 'cells'), { recursive: true });
      writeFileSync(
        join(relabelled, 'cells', file),
        JSON.stringify({ ...record, provenance: { ...record.provenance, backend: 'tfjs-node-gpu' } }),
      );
      const { code, stdout, stderr } = await cli(['verify', relabelled]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(plain(stderr)).toMatch(
        /^error: cannot recompute the 1 record\(s\) computed on tfjs-node-gpu: --backend node-gpu cannot be used: @tensorflow\/tfjs-node-gpu is not installed/,
      );
    },
    60_000,
  );
});

describe('verify recomputes in a fresh cell process', () => {
  // The method refuses to run twice in one process: module state survives between cells of a
  // process, so it tells a fresh process from one that has already run the method's code.
  const once = `import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
let calls = 0;
export default defineMethod({ id: 'once', title: 'once', kind: 'method', summary: 'test fixture', papers: [], params: z.object({}), hooks: {
  pool(ctx) { if (ctx.t === 1) calls++; if (calls > 1) throw new Error('ran twice in one process'); return { parts: [{ batch: ctx.synthetic(ctx.size) }] }; },
} });
`;
  let fixture: ReturnType<typeof fixtureRoot>;
  beforeAll(() => {
    fixture = fixtureRoot({ once });
  });
  afterAll(() => fixture.cleanup());

  it('a method whose code already ran in the verifying process still reproduces', async () => {
    const registry = await loadRegistry(fixture.root);
    const cells = planCells(registry, {
      tasks: ['gaussian-chain'],
      methods: ['once'],
      profile: 'quick',
      seeds: 1,
      sets: ['generations=3', 'replicates=40'],
    });
    const provenance = runProvenance(registry);
    const [record] = await runCells(cells, new ResultStore(join(work, 'once')), registry, provenance);
    expect(record.status).toBe('ok');
    // Run the hook here once, as a verifier computing in its own process would have.
    const pool = findMethod(registry, 'once')!.definition.hooks.pool as (ctx: unknown) => unknown;
    pool({ t: 1, size: 0, synthetic: () => [] });
    expect(() => pool({ t: 1, size: 0, synthetic: () => [] })).toThrow('ran twice in one process');
    expect(await verifyRecords([record], registry, provenance)).toEqual({
      verified: 1,
      differing: [],
      stale: [],
      skipped: 0,
      unsampled: 0,
    });
  }, 60_000);
});
