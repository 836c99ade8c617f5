/**
 * One-off migration of stored records to a new definition of the harness hash (2026-12-06: the hash
 * now covers only the harness modules a cell computes with, harness/registry.ts NOT_NUMERIC, instead
 * of every module but the read side). A record moves to the new hash only when this is provably
 * the same code: its stored hash is the old-definition hash of `--at <commit>`'s harness, and the
 * new-definition hash of that commit's harness equals today's (the modules it covers are byte for
 * byte the same). Task and method hashes are unchanged and still checked as before.
 *
 *   node --import tsx scripts/maintenance/rehash-harness.ts --results results --at 388a1b5 [--write]
 *
 * Without --write it only reports. Recompute a sample afterwards: `collapse-bench verify <run> --sample 12`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashFolder, NOT_NUMERIC, ROOT } from '../../harness/registry.ts';

/** The harness hash's exclusions before the migration (harness/registry.ts READ_SIDE at 388a1b5). */
const OLD_EXCLUDED = new Set(['report.ts', 'charts.ts', 'scoring.ts', 'results.ts', 'published.ts', 'publish.ts', 'fixture-root.ts']);

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const results = flag('results') ?? 'results';
  const at = flag('at');
  if (!at) throw new Error('give --at <commit>: a commit whose harness computed the stored records');
  const tree = mkdtempSync(join(tmpdir(), 'rehash-'));
  try {
    execFileSync('sh', ['-c', `git archive ${JSON.stringify(at)} harness | tar -x -C ${JSON.stringify(tree)}`], { cwd: ROOT });
    const oldThen = await hashFolder(join(tree, 'harness'), OLD_EXCLUDED);
    const newThen = await hashFolder(join(tree, 'harness'), NOT_NUMERIC);
    const newNow = await hashFolder(join(ROOT, 'harness'), NOT_NUMERIC);
    console.log(`old-definition hash at ${at}: ${oldThen}`);
    console.log(`new-definition hash at ${at}: ${newThen}`);
    console.log(`new-definition hash now:        ${newNow}`);
    if (newThen !== newNow) throw new Error(`the harness modules the hash covers differ between ${at} and now: records must be recomputed, not rehashed`);
    let moved = 0;
    let kept = 0;
    const runs = join(results, 'runs');
    for (const run of readdirSync(runs)) {
      const cells = join(runs, run, 'cells');
      for (const file of readdirSync(cells).filter((f) => f.endsWith('.json'))) {
        const path = join(cells, file);
        const text = readFileSync(path, 'utf8');
        const record = JSON.parse(text) as { provenance: { harnessHash: string } };
        if (record.provenance.harnessHash !== oldThen) {
          kept++;
          continue;
        }
        moved++;
        // A textual replacement keeps every other byte of the record as it was written.
        if (process.argv.includes('--write')) writeFileSync(path, text.replace(`"harnessHash": "${oldThen}"`, `"harnessHash": "${newNow}"`));
      }
    }
    console.log(`${moved} records ${process.argv.includes('--write') ? 'moved' : 'would move'} to the new hash; ${kept} left as they were`);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

await main();
