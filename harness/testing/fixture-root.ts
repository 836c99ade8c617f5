/**
 * A throw-away registry root for tests: the real benchmarks/, baselines/, kernels/ and harness/ plus
 * the given method files, under runs/ (git-ignored) so that imports of npm packages resolve
 * through the repository's node_modules.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../registry.ts';

/** `methods`: a method.ts source per id, or the files of the method's folder by name (e.g. method.py and method.json). */
export function fixtureRoot(methods: Record<string, string | Record<string, string>>): { root: string; cleanup: () => void } {
  mkdirSync(join(ROOT, 'runs'), { recursive: true });
  const root = mkdtempSync(join(ROOT, 'runs', 'fixture-'));
  // kernels/ too: tasks import it, and their content hashes cover it (a root without it hashes them differently).
  for (const name of ['benchmarks', 'baselines', 'kernels', 'harness', 'package.json', 'package-lock.json']) {
    symlinkSync(join(ROOT, name), join(root, name));
  }
  for (const [id, source] of Object.entries(methods)) {
    mkdirSync(join(root, 'methods', id), { recursive: true });
    const files = typeof source === 'string' ? { 'method.ts': source } : source;
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'methods', id, name), text);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
