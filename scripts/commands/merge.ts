/**
 * `merge <dir>… --out DIR`: combines the results folders of shards into one, then scores it.
 * Record files are copied byte for byte; stale records (code changed since) are left out; a cell
 * present in two folders must have the same numbers in both, or the merge is refused. With
 * `--plan`, only the planned cells are kept and every one of them must be present.
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadRegistry, type Registry } from '../../harness/registry.ts';
import { staleReason, writeFileAtomic } from '../../harness/cache.ts';
import { InputError } from '../../harness/params.ts';
import { readCellFiles } from '../../harness/publish.ts';
import { scoreRecords, sortRecords } from '../../harness/results.ts';
import type { ResultRecord } from '../../harness/schema.ts';
import type { Scores } from '../../harness/scoring.ts';
import { firstDifference } from '../../harness/validate-methods.ts';
import { readPlan, type PlanDocument } from './plan.ts';
import { printJson, printScores } from '../output.ts';

export interface MergeOutcome {
  out: string;
  /** Cells written to `<out>/cells`. */
  cells: number;
  /** Records found in more than one folder with the same numbers (kept once). */
  duplicates: number;
  /** Stale records left out, with the reason. */
  stale: { id: string; file: string; reason: string }[];
  /** Current records left out because the plan does not list them. */
  unplanned: number;
  /** Merged cells per status. */
  statuses: Record<string, number>;
  scores: Scores;
}

export function mergeResults(registry: Registry, inputs: string[], out: string, plan?: PlanDocument): MergeOutcome {
  if (inputs.length === 0) throw new InputError('merge needs at least one results folder');
  for (const dir of inputs) if (!existsSync(dir)) throw new InputError(`results not found: ${dir}`);
  const planned = plan ? new Map(plan.cells.map((c) => [c.id, c])) : undefined;
  const chosen = new Map<string, { record: ResultRecord; file: string }>();
  const outcome = { duplicates: 0, stale: [] as MergeOutcome['stale'], unplanned: 0 };
  // The output folder's own records count as an input, so merging into it again is a no-op.
  for (const dir of [...inputs, ...(inputs.some((d) => resolve(d) === resolve(out)) ? [] : [out])]) {
    for (const cell of readCellFiles(dir)) {
      const { record, file } = cell;
      const reason = staleReason(record, registry);
      if (reason) {
        outcome.stale.push({ id: record.id, file, reason });
        continue;
      }
      if (planned && !planned.has(record.id)) {
        outcome.unplanned++;
        continue;
      }
      const kept = chosen.get(record.id);
      if (!kept) {
        chosen.set(record.id, cell);
        continue;
      }
      const difference = firstDifference(kept.record, record);
      if (difference) {
        throw new InputError(
          `cell ${record.id} (${record.key.task} × ${record.key.method}, seed ${record.key.seed}) has different numbers in ${kept.file} and ${file} (${difference}): refusing to merge — were the shards run from different code, or is the method nondeterministic? (\`collapse-bench validate\` checks)`,
        );
      }
      outcome.duplicates++;
    }
  }
  if (planned) {
    const missing = [...planned.values()].filter((c) => !chosen.has(c.id));
    if (missing.length) {
      const shards = [...new Set(missing.map((c) => `${c.shard}/${plan!.shards}`))];
      throw new InputError(
        `${missing.length} planned cell(s) missing from the merged folders, e.g. ${missing[0].id} (${missing[0].task} × ${missing[0].method}, seed ${missing[0].seed}) — rerun shard(s) ${shards.join(', ')} with \`${plan!.command} --shard k/${plan!.shards}\``,
      );
    }
  }
  const cellsDir = join(out, 'cells');
  mkdirSync(cellsDir, { recursive: true });
  for (const { record, file } of chosen.values()) {
    const target = join(cellsDir, `${record.id}.json`);
    if (resolve(target) !== resolve(file)) copyFileSync(file, target);
  }
  const records = sortRecords([...chosen.values()].map((c) => c.record));
  const scores = scoreRecords(records, registry);
  writeFileAtomic(join(out, 'scores.json'), `${JSON.stringify(scores, null, 1)}\n`);
  const statuses: Record<string, number> = {};
  for (const r of records) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return { out, cells: chosen.size, ...outcome, statuses, scores };
}

export function register(program: Command): void {
  program
    .command('merge')
    .description('combine the results folders of shards into one (refusing cells whose numbers differ), then score it')
    .argument('<dirs...>', 'results folders of the shards')
    .requiredOption('--out <dir>', 'merged results folder')
    .option('--plan <file>', 'plan JSON (`collapse-bench plan --json`): keep only its cells and require every one')
    .option('--json', 'print the outcome as JSON on stdout')
    .action(async (dirs: string[], opts: { out: string; plan?: string; json?: boolean }) => {
      const registry = await loadRegistry();
      const outcome = mergeResults(registry, dirs, resolve(opts.out), opts.plan ? readPlan(opts.plan) : undefined);
      if (opts.json) return printJson({ ...outcome, stale: outcome.stale.map(({ id, reason }) => ({ id, reason })) });
      const statuses = Object.entries(outcome.statuses)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ');
      console.error(
        `merged ${dirs.length} folder(s) into ${relative(process.cwd(), outcome.out) || '.'}: ${outcome.cells} cells (${statuses}); ${outcome.duplicates} duplicate(s) with equal numbers`,
      );
      if (outcome.stale.length)
        console.error(pc.yellow(`${outcome.stale.length} stale record(s) left out (code changed since they were computed)`));
      if (outcome.unplanned) console.error(pc.yellow(`${outcome.unplanned} record(s) not in the plan left out`));
      printScores(outcome.scores);
    });
}
