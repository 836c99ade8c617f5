/**
 * Checks of this method: `collapse-bench validate` in a test. Run it with
 * `npx vitest run methods/<id>`. TUTORIAL: add tests of your own below — a closed form your
 * method should reproduce, an edge case of its parameters.
 */
import { describe, expect, it } from 'vitest';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import method from './method.ts';
import { formatProblem, validateMethods } from '../../harness/validate-methods.ts';

const folder = dirname(fileURLToPath(import.meta.url));
const root = resolve(folder, '../..');
// The template itself only has its metadata checked: its hooks are stubs that throw.
const isTemplate = method.id === '_template';

describe(method.id, () => {
  it('has valid metadata: README front matter, parameters and hooks', async () => {
    const [report] = await validateMethods(root, [folder], { run: false });
    expect(report.problems.map(formatProblem)).toEqual([]);
  });

  it.skipIf(isTemplate)('runs every applicable task at the quick profile, deterministically and within the time budget', async () => {
    const [report] = await validateMethods(root, [folder]);
    expect(report.problems.map(formatProblem)).toEqual([]);
    expect(report.tasks.length).toBeGreaterThan(0);
  });
});
