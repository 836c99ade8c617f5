/**
 * Turns a plan (`collapse-bench plan --out plan.json`) into the nightly's step outputs —
 * `matrix` (for `strategy.matrix`: one entry per shard) and `todo` (cells to compute) — and a
 * job summary of what each shard will compute.
 *
 *   node --import tsx scripts/ci/plan-outputs.ts --plan runs/plan.json
 */
import { pathToFileURL } from 'node:url';
import { readPlan, type PlanDocument } from '../commands/plan.ts';
import { flushSummary, main, parseFlags, setOutputs, summary } from './github.ts';

export function planOutputs(plan: PlanDocument): Record<string, string> {
  return { matrix: JSON.stringify(plan.matrix), todo: String(plan.counts.new + plan.counts.stale), cells: String(plan.counts.total) };
}

export function addPlanSummary(plan: PlanDocument): void {
  const { counts } = plan;
  summary.addHeading(`Nightly plan: ${counts.total} cells at the ${plan.profile} profile`, 2);
  summary.addRaw(
    `<p>${counts.new} new, ${counts.stale} stale (code changed), ${counts.current} current (reused from the last published run), ${counts.skipped} not applicable.</p>`,
    true,
  );
  summary.addTable([
    [
      { data: 'shard', header: true },
      { data: 'cells', header: true },
      { data: 'to compute', header: true },
    ],
    ...plan.matrix.include.map((s) => [s.shard, String(s.cells), String(s.todo)]),
  ]);
  summary.addRaw(`<p>Each shard runs <code>${plan.command} --shard k/${plan.shards}</code>.</p>`, true);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(async () => {
    const plan = readPlan(parseFlags(process.argv.slice(2), { plan: null }).plan);
    setOutputs(planOutputs(plan));
    addPlanSummary(plan);
    await flushSummary();
  });
}
