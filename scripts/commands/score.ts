/** `score`: the leaderboard over the current records of a results folder (stale ones listed, never scored). */
import type { Command } from 'commander';
import pc from 'picocolors';
import { loadRegistry } from '../../harness/registry.ts';
import { scoreRecords, splitStale } from '../../harness/results.ts';
import { printJson, readResults, printLeaderboard, DEFAULT_OUT } from '../output.ts';

export function register(program: Command): void {
  program
    .command('score')
    .description('score the current records in a results folder (stale ones are listed, never scored)')
    .option('--results <dir>', 'results folder', DEFAULT_OUT)
    .option('--json', 'print { scores, stale } as JSON on stdout')
    .action(async (opts: { results: string; json?: boolean }) => {
      const registry = await loadRegistry();
      const { current, stale } = splitStale(readResults(opts.results), registry);
      const scores = scoreRecords(current, registry);
      if (opts.json) return printJson({ scores, stale: stale.map((s) => ({ id: s.record.id, reason: s.reason })) });
      if (stale.length) console.error(pc.yellow(`${stale.length} stale record(s) not scored (code changed since): rerun \`collapse-bench run\` to recompute them`));
      printLeaderboard(scores);
    });
}
