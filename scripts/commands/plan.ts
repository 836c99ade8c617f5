/**
 * `plan`: the cells a `run` with the same flags would run, which of them a results folder
 * already holds current (reused), and their round-robin assignment to N shards, as JSON for a
 * GitHub Actions matrix (`matrix.include`, one entry per shard). `merge --plan` and
 * `publish --plan` read the same document.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import Table from 'cli-table3';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { loadRegistry } from '../../harness/registry.ts';
import { planCells, DEFAULT_SEEDS, type PlanOptions } from '../../harness/cells.ts';
import { ResultStore, reusable } from '../../harness/cache.ts';
import { InputError } from '../../harness/params.ts';
import { readJsonFile } from '../../harness/json-file.ts';
import { PROFILES, type Profile } from '../../harness/types.ts';
import { printJson, collect, positiveInt, TABLE_STYLE, DEFAULT_OUT } from '../output.ts';

/** A planned cell's state against the results folder: computed by a run (`new`, `stale`) or not (`current`, `skipped`). */
export const CellState = z.enum(['new', 'stale', 'current', 'skipped']);

export const PlanDocument = z.object({
  profile: z.enum(['quick', 'standard', 'full']),
  /** The `run` flags of this plan (without --shard and --out). */
  runArgs: z.array(z.string()),
  /** `collapse-bench run` with those flags, shell-quoted. */
  command: z.string(),
  shards: z.number().int().positive(),
  counts: z.object({ total: z.number(), new: z.number(), stale: z.number(), current: z.number(), skipped: z.number() }),
  cells: z.array(
    z.object({
      id: z.string(),
      task: z.string(),
      method: z.string(),
      seed: z.number(),
      shard: z.number().int().positive(),
      state: CellState,
    }),
  ),
  /** For `strategy.matrix` of a workflow: one entry per shard. */
  matrix: z.object({ include: z.array(z.object({ shard: z.string(), name: z.string(), cells: z.number(), todo: z.number() })) }),
});
export type PlanDocument = z.infer<typeof PlanDocument>;

export interface PlanCommandOptions extends Omit<PlanOptions, 'shard'> {
  shards: number;
  /** Results folder whose current records are reused. */
  results: string;
}

export async function buildPlan(options: PlanCommandOptions): Promise<PlanDocument> {
  const registry = await loadRegistry();
  const cells = planCells(registry, options);
  const store = new ResultStore(resolve(options.results));
  const counts = { total: cells.length, new: 0, stale: 0, current: 0, skipped: 0 };
  const planned = cells.map((cell, i) => {
    const stored = store.read(cell.id);
    const state: z.infer<typeof CellState> = reusable(stored, cell, registry)
      ? 'current'
      : cell.skipReason
        ? 'skipped'
        : stored
          ? 'stale'
          : 'new';
    counts[state]++;
    // The same round-robin rule as `run --shard k/N` (harness/cells.ts).
    return { id: cell.id, task: cell.key.task, method: cell.key.method, seed: cell.key.seed, shard: (i % options.shards) + 1, state };
  });
  const runArgs = [
    '--profile',
    options.profile,
    ...(options.tasks ?? []).flatMap((t) => ['--task', t]),
    ...(options.methods ?? []).flatMap((m) => ['--method', m]),
    ...(options.seeds !== undefined ? ['--seeds', String(options.seeds)] : []),
    ...(options.sets ?? []).flatMap((s) => ['--set', s]),
  ];
  const include = Array.from({ length: options.shards }, (_, k) => {
    const mine = planned.filter((c) => c.shard === k + 1);
    return {
      shard: `${k + 1}/${options.shards}`,
      name: `shard-${k + 1}-of-${options.shards}`,
      cells: mine.length,
      todo: mine.filter((c) => c.state === 'new' || c.state === 'stale').length,
    };
  });
  return {
    profile: options.profile,
    runArgs,
    command: ['collapse-bench', 'run', ...runArgs].map(shellQuote).join(' '),
    shards: options.shards,
    counts,
    cells: planned,
    matrix: { include },
  };
}

/** Reads a plan written by `plan --json` (or `--out`), naming the file and field when it is invalid. */
export function readPlan(path: string): PlanDocument {
  if (!existsSync(path)) throw new InputError(`plan not found: ${path} (write one with \`collapse-bench plan --json > ${path}\`)`);
  return readJsonFile(path, PlanDocument, 'plan');
}

export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function register(program: Command): void {
  program
    .command('plan')
    .description('list the cells a run would run, which are already current, and their assignment to N shards (JSON for a CI matrix)')
    .option('--task <id>', 'task (repeatable; default: all)', collect)
    .option('--method <id>', 'baseline or method (repeatable; default: all)', collect)
    .addOption(new Option('--profile <name>', 'parameter profile').choices(PROFILES as string[]).default('quick'))
    .option(
      '--seeds <n>',
      `seeds per setting (default: ${Object.entries(DEFAULT_SEEDS)
        .map(([p, n]) => `${p} ${n}`)
        .join(', ')})`,
      positiveInt,
    )
    .option('--set <key=value>', 'override a parameter, as for run (repeatable)', collect)
    .option('--shards <n>', 'number of shards', positiveInt, 1)
    .option('--results <dir>', 'results folder whose current records a run would reuse', DEFAULT_OUT)
    .option('--out <file>', 'also write the plan JSON to this file')
    .option('--json', 'print the plan as JSON on stdout')
    .action(
      async (opts: {
        task?: string[];
        method?: string[];
        profile: string;
        seeds?: number;
        set?: string[];
        shards: number;
        results: string;
        out?: string;
        json?: boolean;
      }) => {
        const plan = await buildPlan({
          tasks: opts.task,
          methods: opts.method,
          profile: opts.profile as Profile,
          seeds: opts.seeds,
          sets: opts.set,
          shards: opts.shards,
          results: opts.results,
        });
        if (opts.out) writeFileSync(opts.out, `${JSON.stringify(plan)}\n`);
        if (opts.json) return printJson(plan);
        const { counts } = plan;
        console.log(
          `${counts.total} cells: ${counts.new} new, ${counts.stale} stale, ${counts.current} current (reused from ${opts.results}), ${counts.skipped} skipped (not applicable)`,
        );
        const table = new Table({ head: ['shard', 'cells', 'to compute'], style: TABLE_STYLE });
        for (const s of plan.matrix.include) table.push([s.shard, s.cells, s.todo]);
        console.log(table.toString());
        console.log(`each shard: ${plan.command} --shard k/${plan.shards}`);
      },
    );
}
