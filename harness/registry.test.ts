import { afterAll, describe, expect, it } from 'vitest';
import { loadRegistry } from './registry.ts';
import { fixtureRoot } from './testing/fixture-root.ts';

const fixtures: { cleanup: () => void }[] = [];
afterAll(() => fixtures.forEach((f) => f.cleanup()));
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
    await expect(loadRegistry(root({ wrong: method('right') }))).rejects.toThrow('methods/wrong/method.ts: id "right" must equal its folder name "wrong"');
  });

  it('rejects a method reusing a baseline id, and a baseline kind under methods/', async () => {
    await expect(loadRegistry(root({ replace: method('replace') }))).rejects.toThrow('methods/replace: id "replace" is used twice among baselines and methods');
    await expect(loadRegistry(root({ sneaky: method('sneaky', 'baseline') }))).rejects.toThrow('methods/sneaky/method.ts: kind must be "method" under methods/');
  });

  it('hashes code, not prose: a README edit keeps records current', async () => {
    const a = await loadRegistry(root({ alpha: method('alpha') }));
    const dir = root({ alpha: method('alpha') });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/methods/alpha/README.md`, '# changed');
    const b = await loadRegistry(dir);
    expect(b.methods.at(-1)!.hash).toBe(a.methods.at(-1)!.hash);
    writeFileSync(`${dir}/methods/alpha/method.ts`, method('alpha') + '// changed\n');
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
      writeFileSync(join(root, 'methods/a/method.ts'), "import type { X } from '../../harness/types.ts';\nimport { f } from '../b/util.ts';\nexport default f;\n");
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
