import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, writeFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { cellHarnessHashes, loadRegistry, NOT_NUMERIC, ROOT, runtimeImportClosure } from './registry.ts';
import { fixtureRoot } from './testing/fixture-root.ts';

const fixtures: { cleanup: () => void }[] = [];
afterAll(() =>
  fixtures.forEach((f) => {
    f.cleanup();
  }),
);
function root(methods: Record<string, string>): string {
  const fixture = fixtureRoot(methods);
  fixtures.push(fixture);
  return fixture.root;
}
const method = (id: string, kind = 'method') =>
  `import { z } from 'zod';\nimport { defineMethod } from '../../harness/types.ts';\nexport default defineMethod({ id: '${id}', title: 't', kind: '${kind}', summary: 's', papers: [], params: z.object({}), hooks: {} });\n`;

describe('loadRegistry', () => {
  it('discovers by path, baselines before methods, and ignores _template folders', async () => {
    const registry = await loadRegistry(root({ zeta: method('zeta'), alpha: method('alpha'), _template: method('_template') }));
    const ids = registry.methods.map((m) => m.definition.id);
    const kinds = registry.methods.map((m) => m.definition.kind);
    // Baselines first, then methods; each group sorted by id; `_template` never appears.
    expect(kinds.indexOf('method')).toBe(kinds.lastIndexOf('baseline') + 1);
    const baselines = ids.slice(0, kinds.indexOf('method'));
    expect(baselines).toEqual([...baselines].sort());
    expect(baselines).toEqual(expect.arrayContaining(['accumulate', 'accumulate-subsample', 'real-only', 'replace']));
    expect(ids.slice(kinds.indexOf('method'))).toEqual(['alpha', 'zeta']);
    expect(registry.tasks.map((t) => t.definition.id)).toContain('gaussian-chain');
  });

  it('rejects an id that differs from its folder name, naming the file', async () => {
    await expect(loadRegistry(root({ wrong: method('right') }))).rejects.toThrow(
      'methods/wrong/method.ts: id "right" must equal its folder name "wrong"',
    );
  });

  it('rejects a method reusing a baseline id, and a baseline kind under methods/', async () => {
    await expect(loadRegistry(root({ replace: method('replace') }))).rejects.toThrow(
      'methods/replace: id "replace" is used twice among baselines and methods',
    );
    await expect(loadRegistry(root({ sneaky: method('sneaky', 'baseline') }))).rejects.toThrow(
      'methods/sneaky/method.ts: kind must be "method" under methods/',
    );
  });

  it('hashes code, not prose: a README edit keeps records current', async () => {
    const a = await loadRegistry(root({ alpha: method('alpha') }));
    const dir = root({ alpha: method('alpha') });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/methods/alpha/README.md`, '# changed');
    const b = await loadRegistry(dir);
    expect(b.methods.at(-1)!.hash).toBe(a.methods.at(-1)!.hash);
    writeFileSync(`${dir}/methods/alpha/method.ts`, `${method('alpha')}// changed\n`);
    const c = await loadRegistry(dir);
    expect(c.methods.at(-1)!.hash).not.toBe(a.methods.at(-1)!.hash);
  });
});

describe('hashEntry: what an entry’s records depend on', () => {
  it('covers the files outside its folder that its code imports, transitively, but not harness/', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { hashEntry, hashFolder } = await import('./registry.ts');
    const root = mkdtempSync(join(tmpdir(), 'hash-entry-'));
    try {
      for (const dir of ['methods/a', 'methods/b', 'methods/c', 'harness']) mkdirSync(join(root, dir), { recursive: true });
      writeFileSync(join(root, 'harness', 'types.ts'), 'export type X = 1;\n');
      writeFileSync(
        join(root, 'methods/a/method.ts'),
        "import type { X } from '../../harness/types.ts';\nimport { f } from '../b/util.ts';\nexport default f;\n",
      );
      writeFileSync(join(root, 'methods/b/util.ts'), "export { g as f } from './deep.ts';\n");
      writeFileSync(join(root, 'methods/b/deep.ts'), 'export const g = 1;\n');
      writeFileSync(join(root, 'methods/c/method.ts'), "import { z } from 'zod';\nimport './local.ts';\n");
      writeFileSync(join(root, 'methods/c/local.ts'), 'export {};\n');
      const a = join(root, 'methods/a');
      const before = await hashEntry(root, a);
      expect(before).not.toBe(await hashFolder(a));
      // Self-contained folders hash as before.
      expect(await hashEntry(root, join(root, 'methods/c'))).toBe(await hashFolder(join(root, 'methods/c')));
      writeFileSync(join(root, 'harness', 'types.ts'), 'export type X = 2;\n');
      expect(await hashEntry(root, a)).toBe(before);
      writeFileSync(join(root, 'methods/b/deep.ts'), 'export const g = 2;\n');
      expect(await hashEntry(root, a)).not.toBe(before);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('ids', () => {
  it('rejects a folder whose name breaks the id rule (the nightly would run it, CI would not validate it)', async () => {
    await expect(loadRegistry(root({ UpperCase: method('UpperCase') }))).rejects.toThrow(
      'methods/UpperCase: folder names are ids, and this one is not valid: id "UpperCase" must be lowercase letters and digits in dash-separated words, starting with a letter (e.g. fresh-data-mixing)',
    );
  });

  it('rejects an over-long id with a clear error instead of a file-system crash', async () => {
    await expect(loadRegistry(root({ short: method('x'.repeat(304)) }))).rejects.toThrow(
      'methods/short/method.ts: id is 304 characters long; at most 64 are allowed',
    );
  });
});

describe('the harness hash covers what a cell computes with', () => {
  /** harness/ files (relative to harness/) among `files` and what they reach through run-time imports. */
  async function harnessClosure(files: string[]): Promise<Set<string>> {
    const harness = join(ROOT, 'harness') + sep;
    return new Set(
      [...(await runtimeImportClosure(files))].filter((f) => f.startsWith(harness)).map((f) => relative(join(ROOT, 'harness'), f)),
    );
  }

  it('no module that the loop or any task or method imports at run time is classed as not numeric', async () => {
    const definitions = ['benchmarks', 'baselines', 'methods'].flatMap((dir) =>
      readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.test.ts'))
        .map((d) => join(d.parentPath, d.name)),
    );
    const loops = [join(ROOT, 'harness', 'generations.ts'), join(ROOT, 'harness', 'training.ts')];
    const used = await harnessClosure([...loops, ...definitions]);
    // Scripts beside definitions (e.g. diagnostics) may use the runner; the definitions' own closure may not.
    const definitionFiles = definitions.filter((f) => /\/(task|method)\.ts$/.test(f));
    const cellUsed = await harnessClosure([...loops, ...definitionFiles]);
    expect(['rng.ts', 'stats.ts', 'pool.ts', 'outcome.ts'].every((m) => cellUsed.has(m))).toBe(true);
    // Exceptions, each with its reason: types.ts and schema.ts are types and the record format;
    // kernels.ts is only the engine switch, whose state executeCell checks against the job and the
    // record names in its backend label (kernels.test.ts), so editing it cannot silently change numbers.
    // outcome.ts holds the output type and the error that fails a cell with its reason.
    expect([...cellUsed].filter((f) => NOT_NUMERIC.has(f) && !['types.ts', 'schema.ts', 'kernels.ts', 'outcome.ts'].includes(f))).toEqual(
      [],
    );
    expect(used.size).toBeGreaterThanOrEqual(cellUsed.size);
  });

  it("a cell's harness hash covers the numeric modules its loop, task and method reach, and nothing else", async () => {
    // A copy of the code a few cells compute with: the edits below must not touch the repository.
    const root = mkdtempSync(join(tmpdir(), 'harness-hash-'));
    try {
      for (const dir of [
        'harness',
        'benchmarks/gaussian-chain',
        'benchmarks/dcca',
        'baselines/replace',
        'baselines/dcca',
        'methods/contraction-filter',
      ])
        cpSync(join(ROOT, dir), join(root, dir), { recursive: true });
      const cells = [
        ['gaussian-chain', 'replace'],
        ['dcca', 'dcca'],
        ['gaussian-chain', 'contraction-filter'],
      ] as const;
      const hashes = async () => {
        const of = await cellHarnessHashes(root, (task) => (task === 'dcca' ? 'epoch' : 'generation'));
        return cells.map(([task, method]) => of(task, method));
      };
      const edit = (file: string) => appendFileSync(join(root, 'harness', file), '\n// edited\n');
      const before = await hashes();
      expect(new Set(before).size).toBe(3);
      expect(before[0]).toBe((await loadRegistry(ROOT, { probe: false })).harnessHashOf('gaussian-chain', 'replace'));

      edit('runner.ts'); // not numeric: runs cells, computes nothing in them
      expect(await hashes()).toEqual(before);
      edit('types.ts'); // reached only through type imports, which are erased
      expect(await hashes()).toEqual(before);
      edit('backend.ts'); // imported by dcca and contraction-filter, not by the loop or gaussian-chain × replace
      const afterBackend = await hashes();
      expect(afterBackend[0]).toBe(before[0]);
      expect(afterBackend[1]).not.toBe(before[1]);
      expect(afterBackend[2]).not.toBe(before[2]);
      edit('pool.ts'); // imported by the generational loop, not by the training loop or dcca
      const afterPool = await hashes();
      expect(afterPool[1]).toBe(afterBackend[1]);
      expect(afterPool[0]).not.toBe(afterBackend[0]);
      expect(afterPool[2]).not.toBe(afterBackend[2]);
      edit('stats.ts'); // imported by both loops: every cell
      const afterStats = await hashes();
      afterStats.forEach((hash, i) => {
        expect(hash).not.toBe(afterPool[i]);
      });
      // A script beside dcca's task.ts that task.ts does not import (a reproduction table loading
      // the registry) is not what a dcca cell runs: the Python bridge it reaches stays out of its hash.
      writeFileSync(
        join(root, 'benchmarks', 'dcca', 'table.ts'),
        "import { loadRegistry } from '../../harness/registry.ts';\nvoid loadRegistry;\n",
      );
      expect(await hashes()).toEqual(afterStats);
      edit('python-method.ts');
      expect(await hashes()).toEqual(afterStats);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
