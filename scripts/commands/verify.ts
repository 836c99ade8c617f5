/** `verify`: recompute saved records in this process and report any difference, bit for bit. */
import type { Command } from 'commander';
import pc from 'picocolors';
import { join } from 'node:path';
import { findMethod, findTask, loadRegistry } from '../../harness/registry.ts';
import { runProvenance } from '../../harness/provenance.ts';
import { executeCell, type CellJob } from '../../harness/cell.ts';
import { backendFromLabel, loadBackend } from '../../harness/backend.ts';
import { splitStale } from '../../harness/results.ts';
import { canonicalJson } from '../../harness/hash.ts';
import { printJson, readResults, DEFAULT_OUT } from '../output.ts';

export function register(program: Command): void {
  program
    .command('verify')
    .description('recompute every cell of a results folder (or record files) and report any difference')
    .argument('[results...]', 'results folders or record files', [DEFAULT_OUT])
    .option('--json', 'print the verification as JSON on stdout')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const registry = await loadRegistry();
      const records = paths.flatMap(readResults);
      const provenance = runProvenance(registry);
      const outcome = { verified: 0, differing: [] as { id: string; what: string }[], stale: [] as { id: string; reason: string }[], skipped: 0 };
      const { current, stale } = splitStale(records, registry);
      outcome.stale = stale.map((s) => ({ id: s.record.id, reason: s.reason }));
      for (const record of current) {
        if (record.status === 'skipped' || record.status === 'timeout') {
          outcome.skipped++;
          continue;
        }
        const task = findTask(registry, record.key.task)!;
        const method = findMethod(registry, record.key.method)!;
        // A TF.js cell is recomputed on the backend it recorded (numbers differ across backends).
        const backend = backendFromLabel(record.provenance.backend);
        if (backend) await loadBackend(backend);
        const job: CellJob = { root: registry.root, id: record.id, key: record.key, taskHash: task.hash, methodHash: method.hash, provenance, ...(backend && { backend }) };
        const fresh = executeCell(job, task.definition, method.definition);
        const what = (['status', 'reason', 'steps', 'metrics', 'budget'] as const).filter((field) => canonicalJson(fresh[field]) !== canonicalJson(record[field]));
        if (what.length) outcome.differing.push({ id: record.id, what: what.join(', ') });
        else outcome.verified++;
      }
      if (opts.json) printJson(outcome);
      else {
        console.log(`${outcome.verified} record(s) reproduced bit for bit; ${outcome.differing.length} differ; ${outcome.stale.length} stale (not checked); ${outcome.skipped} skipped/timeout (nothing to check)`);
        for (const d of outcome.differing) console.log(pc.red(`  ${d.id}: ${d.what} differ`));
        for (const s of outcome.stale) console.log(pc.yellow(`  ${s.id}: stale — ${s.reason}`));
      }
      if (outcome.differing.length) process.exitCode = 1;
    });
}
