/** `run`: plan cells, run them (reusing current records), save one record per cell, then score. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve, relative } from 'node:path';
import { loadRegistry } from '../../harness/registry.ts';
import { planCells, parseShard, DEFAULT_SEEDS } from '../../harness/cells.ts';
import { ResultStore } from '../../harness/cache.ts';
import { runCells } from '../../harness/engine.ts';
import { runProvenance } from '../../harness/provenance.ts';
import { scoreRecords } from '../../harness/results.ts';
import { PROFILES, type Profile } from '../../harness/types.ts';
import { BACKEND_NAMES } from '../../harness/backend.ts';
import { printJson, countStatuses, printFailures, printLeaderboard, collect, positiveInt, DEFAULT_OUT } from '../output.ts';

export function register(program: Command): void {
  program
    .command('run')
    .description('run cells (task × method × seed), reusing current results in --out, then score them')
    .option('--task <id>', 'task to run (repeatable; default: all)', collect)
    .option('--method <id>', 'baseline or method to run (repeatable; default: all)', collect)
    .addOption(new Option('--profile <name>', 'parameter profile').choices(PROFILES as string[]).default('quick'))
    .option('--seeds <n>', `seeds per setting (default: ${Object.entries(DEFAULT_SEEDS).map(([p, n]) => `${p} ${n}`).join(', ')})`, positiveInt('--seeds'))
    .option('--set <key=value>', 'override a parameter: task key, or <method-id>.<key>; a,b,c sweeps (repeatable)', collect)
    .option('--shard <k/N>', 'run only the k-th of N round-robin shards of the plan')
    .option('--out <dir>', 'results folder (one JSON file per cell)', DEFAULT_OUT)
    .option('--jobs <n>', 'parallel cell processes', positiveInt('--jobs'), Math.max(1, availableParallelism()))
    .option('--timeout <seconds>', 'per-cell time limit', positiveInt('--timeout'), 600)
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend for neural cells (default: the first that loads, in this order)').choices(BACKEND_NAMES as string[]))
    .option('--force', 'recompute cells even when current results exist')
    .option('--fail-fast', 'stop at the first failed cell')
    .option('--json', 'print { records, scores } as JSON on stdout')
    .action(async (opts: RunOptions) => {
      const registry = await loadRegistry();
      const cells = planCells(registry, {
        tasks: opts.task, methods: opts.method, profile: opts.profile as Profile, seeds: opts.seeds, sets: opts.set,
        ...(opts.shard !== undefined && { shard: parseShard(opts.shard) }),
      });
      const store = new ResultStore(resolve(opts.out));
      const bar = process.stderr.isTTY && !opts.json ? new SingleBar({ format: 'cells {bar} {value}/{total} | {eta_formatted} left | {last}', etaBuffer: 20 }, Presets.shades_classic) : undefined;
      bar?.start(cells.length, 0, { last: '' });
      let reusedCount = 0;
      const records = await runCells(cells, store, registry, runProvenance(registry), {
        jobs: opts.jobs, timeoutMs: opts.timeout * 1000, force: opts.force, failFast: opts.failFast, backend: opts.backend,
        onRecord: (record, reused) => {
          if (reused) reusedCount++;
          bar?.increment({ last: `${record.key.task} × ${record.key.method} #${record.key.seed} ${record.status}` });
        },
      });
      bar?.stop();
      const scores = scoreRecords(records, registry);
      if (!opts.shard) writeFileSync(join(store.dir, 'scores.json'), JSON.stringify(scores, null, 1) + '\n');
      if (opts.json) return printJson({ records, scores });
      const counts = countStatuses(records);
      console.error(`${cells.length} cells: ${counts} (${reusedCount} reused from ${relative(process.cwd(), store.dir) || '.'})`);
      printFailures(records);
      printLeaderboard(scores);
      console.log(`results: ${relative(process.cwd(), store.cellsDir)}/  — report: collapse-bench report --results ${relative(process.cwd(), store.dir) || '.'}`);
    });
}

interface RunOptions {
  task?: string[]; method?: string[]; profile: string; seeds?: number; set?: string[]; shard?: string;
  out: string; jobs: number; timeout: number; force?: boolean; failFast?: boolean; json?: boolean; backend?: string;
}
