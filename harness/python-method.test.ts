/**
 * Methods written in Python (harness/python-method.ts, harness/python/collapse_bench.py): the
 * example twin equals its TypeScript original bit for bit, and a Python method that raises,
 * exits, hangs, prints, replies garbage or breaks the rules fails only its own cells, with the
 * reason, when run through the registry and the sandboxed runner as a contribution would be.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import generationWeighting from '../methods/generation-weighting/method.ts';
import { ResultStore } from './cache.ts';
import { runCell } from './cell.ts';
import { planCells } from './cells.ts';
import { runProvenance } from './provenance.ts';
import { fixtureRoot } from './testing/fixture-root.ts';
import { findMethod, loadRegistry, type Registry } from './registry.ts';
import { runCells } from './runner.ts';
import { formatProblem, validateMethods } from './validate-methods.ts';

const TWIN = join(import.meta.dirname, '..', 'methods', 'generation-weighting-py');
const twinFiles = (id: string, pool?: string) => ({
  'method.json': readFileSync(join(TWIN, 'method.json'), 'utf8').replace('"generation-weighting-py"', JSON.stringify(id)),
  'method.py':
    pool === undefined ? readFileSync(join(TWIN, 'method.py'), 'utf8') : `from collapse_bench import Pool, Part, Batch\n\n${pool}`,
});
const small = ['generations=3', 'replicates=20', 'samples=8'];
// Python with numpy is installed by .ci/run (which requires it); elsewhere, without it, these are skipped (scripts/ensure-python.mjs says so).
const pythonReady =
  !!process.env.COLLAPSE_BENCH_REQUIRE_PYTHON ||
  spawnSync(process.env.COLLAPSE_BENCH_PYTHON ?? 'python3', ['-I', '-c', 'import numpy']).status === 0;

describe.skipIf(!pythonReady)('the Python twin of generation-weighting', () => {
  let registry: Registry;
  beforeAll(async () => {
    registry = await loadRegistry(undefined, { probe: false });
  });

  it('is discovered from method.json, with the parameters of its JSON Schema', () => {
    const entry = findMethod(registry, 'generation-weighting-py')!;
    expect(entry.language).toBe('python');
    expect(entry.definition.params.parse({})).toEqual(generationWeighting.params.parse({}));
    expect(() => entry.definition.params.parse({ contamination: 2 })).toThrow();
    expect(Object.keys(entry.definition.hooks)).toEqual(['pool']);
  });

  it.each(['random', 'exact'])(
    'gives the TypeScript method’s numbers bit for bit on the same cell key (split %s)',
    (split) => {
      const cell = planCells(registry, {
        tasks: ['gaussian-chain'],
        methods: ['generation-weighting-py'],
        profile: 'quick',
        seeds: 1,
        sets: [`generation-weighting-py.split=${split}`],
      })[0];
      const python = runCell(cell.task.definition, cell.method.definition, cell.key);
      // The same key (method id included), so the method stream, and the harness-drawn recipes, are the same.
      const typescript = runCell(cell.task.definition, generationWeighting, cell.key);
      expect(python.metrics).toEqual(typescript.metrics);
      expect(python.realSamplesPerChain).toBe(typescript.realSamplesPerChain);
    },
    60_000,
  );
});

describe.skipIf(!pythonReady)('hostile Python methods, through the sandboxed runner', () => {
  let fixture: ReturnType<typeof fixtureRoot>;
  let registry: Registry;
  let dir: string;
  const outside = join(tmpdir(), `collapse-bench-outside-${process.pid}.txt`);
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'python-hostile-'));
    fixture = fixtureRoot({
      'py-twin': twinFiles('py-twin'),
      'py-prints': twinFiles(
        'py-prints',
        'import sys\n\ndef pool(ctx, params):\n    print("garbage\\x00{not json", flush=True)\n    sys.stdout.buffer.write(bytes(range(256)))\n    print("more", file=sys.stderr)\n    return Pool([Part(ctx.synthetic(ctx.size))])\n',
      ),
      'py-replace': twinFiles('py-replace', 'def pool(ctx, params):\n    return Pool([Part(ctx.synthetic(ctx.size))])\n'),
      'py-raises': twinFiles('py-raises', 'def pool(ctx, params):\n    raise ValueError("boom at generation %d" % ctx.t)\n'),
      'py-exits': twinFiles('py-exits', 'import os\n\ndef pool(ctx, params):\n    os._exit(3)\n'),
      'py-sys-exit': twinFiles('py-sys-exit', 'import sys\n\ndef pool(ctx, params):\n    sys.exit(2)\n'),
      'py-hangs': twinFiles('py-hangs', 'def pool(ctx, params):\n    while True:\n        pass\n'),
      'py-bad-reply': twinFiles('py-bad-reply', 'def pool(ctx, params):\n    return 42\n'),
      'py-forges': twinFiles('py-forges', 'def pool(ctx, params):\n    return Pool([Part(Batch(999, "real", 0, ctx.size))])\n'),
      'py-writes': twinFiles(
        'py-writes',
        `def pool(ctx, params):\n    open(${JSON.stringify(outside)}, "w").write("escaped")\n    return ctx.previous\n`,
      ),
      'py-spawns': twinFiles(
        'py-spawns',
        'import subprocess\n\ndef pool(ctx, params):\n    subprocess.run(["true"])\n    return ctx.previous\n',
      ),
      'py-import-fails': twinFiles('py-import-fails', 'import not_a_module_anywhere\n'),
      'py-no-hook': twinFiles('py-no-hook', 'def fit(ctx, params):\n    return {}\n'),
    });
    registry = await loadRegistry(fixture.root);
  });
  afterAll(() => {
    fixture.cleanup();
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { force: true });
  });

  it('fail their own cells with the reason; the others are untouched', async () => {
    const methods = [
      'replace',
      'py-twin',
      'py-prints',
      'py-replace',
      'py-raises',
      'py-exits',
      'py-sys-exit',
      'py-hangs',
      'py-bad-reply',
      'py-forges',
      'py-writes',
      'py-spawns',
      'py-import-fails',
      'py-no-hook',
    ];
    const cells = planCells(registry, {
      tasks: ['gaussian-chain'],
      methods,
      profile: 'quick',
      seeds: 1,
      sets: [...small, 'py-twin.split=exact'],
    });
    const records = await runCells(cells, new ResultStore(join(dir, 'store')), registry, runProvenance(registry), {
      jobs: 2,
      timeoutMs: 20_000,
    });
    const by = Object.fromEntries(records.map((r) => [r.key.method, r]));
    expect(by.replace.status).toBe('ok');
    expect(by['py-twin'].status).toBe('ok');
    // Output goes to files, never into the protocol: the cell is replace's, number for number.
    expect(by['py-prints'].status).toBe('ok');
    expect(by['py-replace'].metrics).toEqual(by.replace.metrics);
    expect(by['py-prints'].metrics).toEqual(by.replace.metrics);
    expect(by['py-raises']).toMatchObject({ status: 'failed', failure: 'error' });
    expect(by['py-raises'].reason).toMatch(/^the Python pool hook raised ValueError: boom at generation 1\n/);
    expect(by['py-exits'].reason).toMatch(/^the Python method's process ended during the pool hook \(it exited, crashed or was killed\)/);
    expect(by['py-sys-exit'].reason).toMatch(/^the Python pool hook raised SystemExit: 2/);
    expect(by['py-hangs'].status).toBe('timeout');
    expect(by['py-bad-reply'].reason).toBe('the Python pool hook returned number 42; expected a collapse_bench.Pool');
    expect(by['py-forges'].reason).toMatch(/^the Python method referred to batch 999, which the harness never gave it/);
    expect(by['py-writes'].reason).toMatch(/PermissionError: collapse-bench: a method may write only inside its cell's folder/);
    expect(by['py-spawns'].reason).toMatch(/PermissionError: collapse-bench: a method may not use subprocess.Popen/);
    expect(by['py-import-fails'].reason).toMatch(
      /^methods\/py-import-fails\/method.py: importing method.py: ModuleNotFoundError: No module named 'not_a_module_anywhere'/,
    );
    expect(by['py-no-hook'].reason).toBe('methods/py-no-hook/method.py defines no function pool (method.json declares it in hooks)');
    for (const r of records) expect(r.status === 'failed' ? r.budget.realSamplesPerChain : 0).toBe(0);
    expect(() => readFileSync(outside)).toThrow();
    // The hanging method's Python process died with its cell's process.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(pythonProcessesUnder(fixture.root)).toEqual([]);
  }, 240_000);

  it('validate names a broken method.json by file and field, and passes the twin statically', async () => {
    const broken = fixtureRoot({
      'py-twin': twinFiles('py-twin'),
      'py-no-default': {
        ...twinFiles('py-no-default'),
        'method.json': twinFiles('py-no-default')['method.json'].replace('"default": 0.5, ', ''),
      },
    });
    try {
      const [twin, noDefault] = await validateMethods(broken.root, ['methods/py-twin', 'methods/py-no-default'], { run: false });
      expect(twin.problems.filter((p) => p.file.endsWith('method.json'))).toEqual([]);
      expect(noDefault.problems.map(formatProblem)).toContainEqual(
        expect.stringMatching(/^methods\/py-no-default\/method.json: params.properties.contamination.default: /),
      );
    } finally {
      broken.cleanup();
    }
  });

  it('a method.json that breaks its schema is named with the field', async () => {
    const broken = fixtureRoot({
      'py-broken': {
        ...twinFiles('py-broken'),
        'method.json':
          '{"id": "py-broken", "title": "x", "kind": "method", "summary": "x", "papers": [], "hooks": ["loss"], "params": {"type": "object", "properties": {}, "additionalProperties": false}}',
      },
    });
    try {
      await expect(loadRegistry(broken.root)).rejects.toThrow(/methods\/py-broken\/method.json: field hooks.0: Invalid option/);
    } finally {
      broken.cleanup();
    }
  });
});

function pythonProcessesUnder(root: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', `collapse_bench.py .*${root}`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
