/**
 * Seeds a nightly run folder with the current cells of the last published run, so `run` only
 * recomputes new and stale cells (its cache is keyed by code hashes). Timed-out and crashed cells
 * are left out (counted as `timeouts`): they are always recomputed, and a shard must not keep an
 * old one beside a new record.
 *
 *   node --import tsx scripts/ci/restore-cells.ts --results _published/results --out runs/nightly
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadRegistry, type Registry } from '../../harness/registry.ts';
import { machineDependentReason, staleReason } from '../../harness/cache.ts';
import { readCellFiles, readIndex, runDir } from '../../harness/publish.ts';
import { main, parseFlags } from './github.ts';

export interface Restored {
  run: string | null;
  restored: number;
  stale: number;
  timeouts: number;
}

export function restoreCells(registry: Registry, results: string, out: string): Restored {
  const latest = existsSync(results) ? readIndex(results).runs[0] : undefined;
  const outcome: Restored = { run: latest?.id ?? null, restored: 0, stale: 0, timeouts: 0 };
  if (!latest) return outcome;
  mkdirSync(join(out, 'cells'), { recursive: true });
  for (const { record, file } of readCellFiles(runDir(results, latest.id))) {
    if (staleReason(record, registry)) outcome.stale++;
    else if (machineDependentReason(record))
      outcome.timeouts++; // timeouts and crashes: recomputed by the shard that owns them
    else {
      copyFileSync(file, join(out, 'cells', `${record.id}.json`));
      outcome.restored++;
    }
  }
  return outcome;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(async () => {
    const flags = parseFlags(process.argv.slice(2), { results: null, out: null });
    const r = restoreCells(await loadRegistry(), flags.results, flags.out);
    console.log(
      r.run
        ? `restored ${r.restored} current cell(s) of run ${r.run} into ${flags.out}; ${r.stale} stale and ${r.timeouts} timed-out left to recompute`
        : `no published run in ${flags.results}: every cell will be computed`,
    );
  });
}
