/** `run`: plan cells, run them (reusing current records), save one record per cell, then score. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import pc from 'picocolors';
import { loadRegistry } from '../../harness/registry.ts';
import { planCells, parseShard, DEFAULT_SEEDS } from '../../harness/cells.ts';
import { ResultStore, writeFileAtomic } from '../../harness/cache.ts';
import { runCells } from '../../harness/runner.ts';
import { runProvenance } from '../../harness/provenance.ts';
import { scoreRecords } from '../../harness/results.ts';
import { PROFILES, type Profile } from '../../harness/types.ts';
import { BACKEND_NAMES } from '../../harness/backend.ts';
import { KERNEL_CHOICES, type KernelChoice } from '../../harness/kernels.ts';
import {
  printJson,
  countStatuses,
  printFailures,
  printScores,
  readFolder,
  displayPath,
  collect,
  positiveInt,
  DEFAULT_OUT,
} from '../output.ts';

export function register(program: Command): void {
  program
    .command('run')
    .description(
      'run cells (task × method × seed), reusing current results in --out, then score every current cell in --out (written to <out>/scores.json)',
    )
    .option('--task <id>', 'task to run (repeatable; default: all)', collect)
    .option('--method <id>', 'baseline or method to run (repeatable; default: all)', collect)
    .addOption(new Option('--profile <name>', 'parameter profile').choices(PROFILES as string[]).default('quick'))
    .option(
      '--seeds <n>',
      `seeds per setting (default: ${Object.entries(DEFAULT_SEEDS)
        .map(([p, n]) => `${p} ${n}`)
        .join(', ')})`,
      positiveInt,
    )
    .option('--set <key=value>', 'override a parameter: task key, or <method-id>.<key>; a,b,c sweeps (repeatable)', collect)
    .option('--shard <k/N>', 'run only the k-th of N round-robin shards of the plan (no scores.json: `merge` the shards to score them)')
    .option('--out <dir>', 'results folder (one JSON file per cell)', DEFAULT_OUT)
    .option('--jobs <n>', 'parallel cell processes', positiveInt, Math.max(1, availableParallelism()))
    .option('--timeout <seconds>', 'per-cell time limit', positiveInt, 600)
    .addOption(
      new Option('--backend <name>', 'TensorFlow.js backend for neural cells (default: the first of the choices that loads)').choices(
        BACKEND_NAMES as string[],
      ),
    )
    .addOption(
      new Option(
        '--kernels <choice>',
        'models with fused CPU kernels (diffusion, recursive-lm char) compute with them, or with TensorFlow.js (the reference; use it with a GPU backend)',
      )
        .choices(KERNEL_CHOICES as string[])
        .default('fused'),
    )
    .option('--force', 'recompute cells even when current results exist')
    .option('--fail-fast', 'stop at the first failed cell')
    .option(
      '--json',
      "print { records, scores } as JSON on stdout (records: this run's cells; scores: of every current cell in --out, as in its scores.json)",
    )
    .action(async (opts: RunOptions) => {
      const registry = await loadRegistry();
      const cells = planCells(registry, {
        tasks: opts.task,
        methods: opts.method,
        profile: opts.profile as Profile,
        seeds: opts.seeds,
        sets: opts.set,
        ...(opts.shard !== undefined && { shard: parseShard(opts.shard) }),
      });
      const store = new ResultStore(resolve(opts.out));
      const bar =
        process.stderr.isTTY && !opts.json
          ? new SingleBar({ format: 'cells {bar} {value}/{total} | {eta_formatted} left | {last}', etaBuffer: 20 }, Presets.shades_classic)
          : undefined;
      bar?.start(cells.length, 0, { last: '' });
      let reusedCount = 0;
      const records = await runCells(cells, store, registry, runProvenance(registry), {
        jobs: opts.jobs,
        timeoutMs: opts.timeout * 1000,
        force: opts.force,
        failFast: opts.failFast,
        backend: opts.backend,
        kernels: opts.kernels as KernelChoice,
        onRecord: (record, reused) => {
          if (reused) reusedCount++;
          bar?.increment({ last: `${record.key.task} × ${record.key.method} #${record.key.seed} ${record.status}` });
        },
      });
      bar?.stop();
      // A folder's scores are those of every current record in it, not of this run's cells
      // alone: a `run --task X` into a folder holding other tasks must not narrow scores.json.
      // Read after this run's cells are written, and written atomically: of concurrent runs into
      // one folder, the last to finish scores every cell present then, and none leaves half a file.
      const folder = readFolder(store.dir, registry);
      const scores = scoreRecords(folder.current, registry);
      if (!opts.shard) writeFileAtomic(join(store.dir, 'scores.json'), `${JSON.stringify(scores, null, 1)}\n`);
      if (opts.json) return printJson({ records, scores });
      const where = displayPath(opts.out);
      console.error(
        `${cells.length} cell${cells.length === 1 ? '' : 's'}: ${countStatuses(records)} (${reusedCount} reused from ${where})`,
      );
      printFailures(records);
      const others = folder.current.length - records.length;
      if (others > 0)
        console.error(
          `scores below: all ${folder.current.length} current cells in ${where} (${others} from earlier runs; use a fresh --out to score this run alone)`,
        );
      if (folder.stale.length)
        console.error(pc.yellow(`${folder.stale.length} stale record(s) in ${where} not scored (code changed since they were computed)`));
      for (const { file, reason } of folder.unreadable)
        console.error(pc.yellow(`not scored, unreadable: ${reason.startsWith(file) ? reason : `${file}: ${reason}`}`));
      printScores(scores);
      console.log(`results: ${join(where, 'cells')}/  — report: collapse-bench report --results ${where}`);
    });
}

interface RunOptions {
  task?: string[];
  method?: string[];
  profile: string;
  seeds?: number;
  set?: string[];
  shard?: string;
  out: string;
  jobs: number;
  timeout: number;
  force?: boolean;
  failFast?: boolean;
  json?: boolean;
  backend?: string;
  kernels?: string;
}
