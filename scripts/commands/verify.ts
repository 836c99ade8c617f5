/**
 * `verify`: recompute saved records through the runner — each cell in a fresh, sandboxed cell
 * process, as `run` computes it, never in this process — and report any difference, bit for bit.
 * The recomputed records go to a temporary folder that is removed afterwards, so the checked
 * folder is never written. Exits 1 when any checked record differs.
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findMethod, findTask, inapplicableReason, loadRegistry, type Registry } from '../../harness/registry.ts';
import { runProvenance, type RunProvenance } from '../../harness/provenance.ts';
import type { PlannedCell } from '../../harness/cells.ts';
import { ResultStore } from '../../harness/cache.ts';
import { runCells } from '../../harness/runner.ts';
import { backendFromLabel } from '../../harness/backend.ts';
import { splitKernelLabel } from '../../harness/kernels.ts';
import { splitStale } from '../../harness/results.ts';
import { canonicalJson } from '../../harness/hash.ts';
import { InputError } from '../../harness/params.ts';
import type { ResultRecord } from '../../harness/schema.ts';
import { printJson, readResults, positiveInt, DEFAULT_OUT } from '../output.ts';

/** The fields a recomputation must reproduce exactly (timing and provenance naturally differ). */
const COMPARED = ['status', 'reason', 'steps', 'metrics', 'budget'] as const;

export interface VerifyOutcome {
  verified: number;
  differing: { id: string; what: string }[];
  stale: { id: string; reason: string }[];
  /** Skipped and timed-out records: nothing to recompute. */
  skipped: number;
  /** Checkable records left out by `--sample`. */
  unsampled: number;
}

const sampleKey = (id: string) => createHash('sha256').update(id).digest('hex');

/**
 * The `n` records whose ids have the smallest sha256: the same records on every machine and in
 * every order, and spread over tasks, methods and seeds (the hash is unrelated to the key order).
 */
export function sampleRecords<R extends { id: string }>(records: readonly R[], n: number): R[] {
  return records
    .map((record) => ({ record, key: sampleKey(record.id) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, n)
    .map((x) => x.record);
}

export interface VerifyOptions {
  /** Recompute only this many records (sampleRecords); all when omitted. */
  sample?: number;
  /** Parallel cell processes. @default 1 */
  jobs?: number;
  /** Per-cell limit in milliseconds, as `run --timeout`. @default 600_000 */
  timeoutMs?: number;
}

/** Recomputes the current, checkable records (or a sample of them) and compares them with the saved ones. */
export async function verifyRecords(
  records: ResultRecord[],
  registry: Registry,
  provenance: RunProvenance,
  options: VerifyOptions = {},
): Promise<VerifyOutcome> {
  const { current, stale } = splitStale(records, registry);
  const checkable = current.filter((r) => r.status !== 'skipped' && r.status !== 'timeout');
  const chosen = options.sample === undefined ? checkable : sampleRecords(checkable, options.sample);
  const outcome: VerifyOutcome = {
    verified: 0,
    differing: [],
    stale: stale.map((s) => ({ id: s.record.id, reason: s.reason })),
    skipped: current.length - checkable.length,
    unsampled: checkable.length - chosen.length,
  };
  // A TF.js cell is recomputed on the backend it recorded (numbers differ across backends): one
  // engine run per recorded backend label. Statistical labels name no TF.js backend.
  const byBackend = new Map<string, ResultRecord[]>();
  for (const record of chosen) byBackend.set(record.provenance.backend, [...(byBackend.get(record.provenance.backend) ?? []), record]);
  const dir = mkdtempSync(join(tmpdir(), 'collapse-bench-verify-'));
  try {
    for (const [label, group] of [...byBackend].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const cells = group.map((record) => plannedCell(record, registry));
      const { kernels, backendLabel } = splitKernelLabel(label);
      const backend = backendFromLabel(backendLabel);
      let fresh: ResultRecord[];
      try {
        fresh = await runCells(cells, new ResultStore(dir), registry, provenance, {
          force: true,
          jobs: options.jobs ?? 1,
          timeoutMs: options.timeoutMs,
          ...(backend && { backend, kernels }),
        });
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        throw new InputError(`cannot recompute the ${group.length} record(s) computed on ${label}: ${error.message}`);
      }
      group.forEach((record, i) => {
        const what = COMPARED.filter((field) => canonicalJson(fresh[i][field]) !== canonicalJson(record[field]));
        if (what.length) outcome.differing.push({ id: record.id, what: what.join(', ') });
        else outcome.verified++;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  outcome.differing.sort((a, b) => (a.id < b.id ? -1 : 1));
  return outcome;
}

/** The cell a record was computed for, planned as `run` plans it (a current record's task and method exist). */
function plannedCell(record: ResultRecord, registry: Registry): PlannedCell {
  const task = findTask(registry, record.key.task)!;
  const method = findMethod(registry, record.key.method)!;
  const skipReason = inapplicableReason(task.definition, method.definition, record.key.taskParams);
  return { id: record.id, key: record.key, task, method, ...(skipReason && { skipReason }) };
}

export function register(program: Command): void {
  program
    .command('verify')
    .description(
      'recompute the cells of a results folder (or record files) in fresh cell processes and report any difference; exits 1 when one differs',
    )
    .argument('[results...]', 'results folders or record files', [DEFAULT_OUT])
    .option(
      '--sample <n>',
      'recompute only n records: those whose ids have the smallest sha256, so the choice is reproducible and spread over tasks, methods and seeds',
      positiveInt,
    )
    .option('--jobs <n>', 'parallel cell processes', positiveInt, Math.max(1, availableParallelism()))
    .option('--timeout <seconds>', 'per-cell time limit (a cell past it is a difference: it was recorded as finished)', positiveInt, 600)
    .option('--json', 'print the verification as JSON on stdout')
    .action(async (paths: string[], opts: { sample?: number; jobs: number; timeout: number; json?: boolean }) => {
      const registry = await loadRegistry();
      const records = paths.flatMap(readResults);
      const outcome = await verifyRecords(records, registry, runProvenance(registry), {
        sample: opts.sample,
        jobs: opts.jobs,
        timeoutMs: opts.timeout * 1000,
      });
      if (opts.json) printJson(outcome);
      else {
        const sampled = opts.sample === undefined ? '' : `; ${outcome.unsampled} not in the sample of ${opts.sample}`;
        console.log(
          `${outcome.verified} record(s) reproduced bit for bit; ${outcome.differing.length} differ; ${outcome.stale.length} stale (not checked); ${outcome.skipped} skipped/timeout (nothing to check)${sampled}`,
        );
        for (const d of outcome.differing) console.log(pc.red(`  ${d.id}: ${d.what} differ`));
        for (const s of outcome.stale) console.log(pc.yellow(`  ${s.id}: stale — ${s.reason}`));
      }
      if (outcome.differing.length) process.exitCode = 1;
    });
}
