/** `report`: a self-contained HTML page with the leaderboard and the collapse curves of a results folder. */
import type { Command } from 'commander';
import pc from 'picocolors';
import { writeFileSync } from 'node:fs';
import { join, resolve, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadRegistry } from '../../harness/registry.ts';
import { scoreRecords, splitStale, theoryBySetting } from '../../harness/results.ts';
import { renderReport } from '../../harness/report.ts';
import { readResults, DEFAULT_OUT } from '../output.ts';

export function register(program: Command): void {
  program
    .command('report')
    .description('write a self-contained HTML report (leaderboard and collapse curves) for a results folder')
    .option('--results <dir>', 'results folder', DEFAULT_OUT)
    .option('--out <file>', 'HTML file to write (default: <results>/report.html)')
    .action(async (opts: { results: string; out?: string }) => {
      const registry = await loadRegistry();
      const { current, stale } = splitStale(readResults(opts.results), registry);
      const scores = scoreRecords(current, registry);
      const html = await renderReport({
        generatedAt: new Date().toISOString(),
        command: `collapse-bench report --results ${opts.results}`,
        tasks: registry.tasks.map(({ definition: t }) => ({
          id: t.id,
          title: t.title,
          summary: t.summary,
          stepAxis: t.stepAxis,
          metrics: t.metrics,
        })),
        records: current,
        scores,
        theory: theoryBySetting(registry, scores),
      });
      const file = resolve(opts.out ?? join(opts.results, 'report.html'));
      writeFileSync(file, html);
      if (stale.length) console.error(pc.yellow(`${stale.length} stale record(s) left out of the report`));
      console.log(`report: ${relative(process.cwd(), file)}  (open ${pathToFileURL(file).href})`);
    });
}
