/**
 * A throw-away registry root for tests: the real benchmarks/, baselines/, kernels/ and harness/ plus
 * the given method files, under runs/ (git-ignored) so that imports of npm packages resolve
 * through the repository's node_modules.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../registry.ts';

export function fixtureRoot(methods: Record<string, string>): { root: string; cleanup: () => void } {
  mkdirSync(join(ROOT, 'runs'), { recursive: true });
  const root = mkdtempSync(join(ROOT, 'runs', 'fixture-'));
  // kernels/ too: tasks import it, and their content hashes cover it (a root without it hashes them differently).
  for (const name of ['benchmarks', 'baselines', 'kernels', 'harness', 'package.json', 'package-lock.json']) {
    symlinkSync(join(ROOT, name), join(root, name));
  }
  for (const [id, source] of Object.entries(methods)) {
    mkdirSync(join(root, 'methods', id), { recursive: true });
    writeFileSync(join(root, 'methods', id, 'method.ts'), source);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
