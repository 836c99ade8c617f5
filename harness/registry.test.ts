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
