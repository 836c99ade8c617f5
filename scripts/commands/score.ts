/** `score`: per-task tables and the leaderboard over the current records of a results folder (stale ones counted, never scored). */
import type { Command } from 'commander';
import pc from 'picocolors';
import { loadRegistry } from '../../harness/registry.ts';
import { scoreRecords, splitStale } from '../../harness/results.ts';
import { printJson, readResults, printScores, DEFAULT_OUT } from '../output.ts';

export function register(program: Command): void {
  program
    .command('score')
    .description(
      'per-task tables and the cross-task leaderboard of the current records in a results folder (stale ones are counted, never scored)',
    )
    .option('--results <dir>', 'results folder', DEFAULT_OUT)
    .option('--json', 'print { scores, stale } as JSON on stdout')
    .action(async (opts: { results: string; json?: boolean }) => {
      const registry = await loadRegistry();
      const { current, stale } = splitStale(readResults(opts.results), registry);
      const scores = scoreRecords(current, registry);
      if (opts.json) return printJson({ scores, stale: stale.map((s) => ({ id: s.record.id, reason: s.reason })) });
      if (stale.length)
        console.error(
          pc.yellow(`${stale.length} stale record(s) not scored (code changed since): rerun \`collapse-bench run\` to recompute them`),
        );
      printScores(scores);
    });
}
