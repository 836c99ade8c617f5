/**
 * Migrates stored records to a new definition of the harness hash, only where that is provably
 * the same code. Definitions so far:
 *   1. every harness module but the read side (until 388a1b5);
 *   2. the numeric harness modules, harness/registry.ts NOT_NUMERIC (hashFolder; until 2026-12-06);
 *   3. per cell: the numeric modules its loop, task and method reach (registry.ts cellHarnessHashes).
 * This script moves records from definition 2 to 3. A record moves when its stored hash is the
 * definition-2 hash of `--at <commit>` (the code that computed it) and its cell's definition-3 hash
 * at that commit equals today's: the modules the new hash covers are byte for byte the same. Task
 * and method hashes are unchanged and still checked as before.
 *
 *   node --import tsx scripts/maintenance/rehash-harness.ts --results results --at 1941ae4 [--write]
 *
 * Without --write it only reports. Recompute a sample afterwards: `collapse-bench verify <run> --sample 12`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cellHarnessHashes, hashFolder, NOT_NUMERIC, ROOT } from '../../harness/registry.ts';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const results = flag('results') ?? 'results';
  const at = flag('at');
  if (!at) throw new Error('give --at <commit>: a commit whose harness computed the stored records');
  const write = process.argv.includes('--write');
  const tree = mkdtempSync(join(tmpdir(), 'rehash-'));
  try {
    const folders = ['harness', 'benchmarks', 'baselines', 'methods', 'kernels'].map((f) => JSON.stringify(f)).join(' ');
    execFileSync('sh', ['-c', `git archive ${JSON.stringify(at)} ${folders} | tar -x -C ${JSON.stringify(tree)}`], { cwd: ROOT });
    const oldThen = await hashFolder(join(tree, 'harness'), NOT_NUMERIC);
    const newThen = await cellHarnessHashes(tree);
    const newNow = await cellHarnessHashes(ROOT);
    console.log(`definition-2 hash at ${at}: ${oldThen}`);
    const counts = { moved: 0, unchanged: 0, other: 0, differs: 0 };
    const runs = join(results, 'runs');
    for (const run of readdirSync(runs)) {
      const cells = join(runs, run, 'cells');
      for (const file of readdirSync(cells).filter((f) => f.endsWith('.json'))) {
        const path = join(cells, file);
        const text = readFileSync(path, 'utf8');
        const record = JSON.parse(text) as { key: { task: string; method: string }; provenance: { harnessHash: string } };
        const { task, method } = record.key;
        if (record.provenance.harnessHash !== oldThen) {
          counts.other++;
          continue;
        }
        if (newThen(task, method) !== newNow(task, method)) {
          counts.differs++;
          continue;
        }
        const hash = newNow(task, method);
        if (hash === oldThen) {
          counts.unchanged++; // the cell reaches every numeric module: both definitions agree
          continue;
        }
        counts.moved++;
        // A textual replacement keeps every other byte of the record as it was written.
        if (write) writeFileSync(path, text.replace(`"harnessHash": "${oldThen}"`, `"harnessHash": "${hash}"`));
      }
    }
    console.log(`${counts.moved} records ${write ? 'moved' : 'would move'} to their per-cell hash; ${counts.unchanged} already equal it (their cells reach every numeric module);`);
    console.log(`${counts.differs} left stale (the modules their cell reaches changed since ${at}); ${counts.other} computed by other code, left as they were`);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

await main();
