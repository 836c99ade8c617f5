/**
 * `publish --from DIR`: publishes a scored run (a merged nightly, or any results folder) into the
 * published-results layout (harness/published.ts): the cells, the scores, a manifest with the
 * exact command that reproduces every cell, and the changelog against the previous published run.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import pc from 'picocolors';
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { loadRegistry } from '../../harness/registry.ts';
import { staleReason } from '../../harness/cache.ts';
import { runProvenance } from '../../harness/provenance.ts';
import { InputError } from '../../harness/params.ts';
import { publishRun, readCellFiles } from '../../harness/publish.ts';
import { scoreRecords, sortRecords } from '../../harness/results.ts';
import type { RunManifest } from '../../harness/published.ts';
import { PROFILES, type Profile } from '../../harness/types.ts';
import { readPlan } from './plan.ts';
import { printJson } from '../output.ts';

export interface PublishCommandOptions {
  from: string;
  results: string;
  plan?: string;
  profile?: Profile;
  id?: string;
  /** @default now */
  date?: string;
}

export async function publishFolder(options: PublishCommandOptions): Promise<RunManifest> {
  if (!existsSync(options.from)) throw new InputError(`results not found: ${options.from}`);
  const registry = await loadRegistry();
  const plan = options.plan ? readPlan(options.plan) : undefined;
  const planned = plan ? new Set(plan.cells.map((c) => c.id)) : undefined;
  const cells = readCellFiles(options.from).filter((c) => !planned || planned.has(c.record.id));
  const stale = cells.filter((c) => staleReason(c.record, registry) !== undefined);
  if (plan && stale.length) {
    throw new InputError(
      `${stale[0].file}: stale (${staleReason(stale[0].record, registry)}); ${stale.length} planned cell(s) are stale — rerun them (\`${plan.command}\`) before publishing`,
    );
  }
  const current = cells.filter((c) => staleReason(c.record, registry) === undefined);
  if (planned && current.length < planned.size) {
    throw new InputError(
      `${planned.size - current.length} planned cell(s) missing from ${options.from}: merge every shard first (\`collapse-bench merge … --plan ${options.plan}\`)`,
    );
  }
  if (current.length === 0) throw new InputError(`no current records in ${options.from}: nothing to publish`);
  const profile = plan?.profile ?? options.profile ?? 'quick';
  const provenance = runProvenance(registry);
  const commit = provenance.gitCommit && !provenance.gitCommit.endsWith('-dirty') ? provenance.gitCommit : null;
  const runs = plan
    ? [plan.command]
    : runCommands(
        profile,
        current.map((c) => c.record),
      );
  const folders = Object.fromEntries([...registry.tasks, ...registry.methods].map((e) => [e.definition.id, e.folder]));
  return publishRun({
    resultsDir: options.results,
    cells: current,
    scores: scoreRecords(sortRecords(current.map((c) => c.record)), registry),
    id: options.id,
    date: options.date ?? new Date().toISOString(),
    gitCommit: provenance.gitCommit,
    harnessVersion: provenance.harnessVersion,
    profile,
    // From a clean checkout of that commit, this recomputes every published cell bit for bit.
    command: `${commit ? `git checkout ${commit} && npm ci && ` : ''}${runs.map((run) => `npx ${run} --out runs/reproduce`).join(' && ')}`,
    folders,
  });
}

export function register(program: Command): void {
  program
    .command('publish')
    .description(
      'publish a scored results folder: cells, scores, a manifest with the reproducing command, and the changelog against the previous run',
    )
    .requiredOption('--from <dir>', 'results folder to publish (e.g. the output of merge)')
    .option('--results <dir>', 'published results folder (index.json, runs/<id>/)', 'results')
    .option('--plan <file>', 'plan JSON of the run: its cells only, all required, and its command in the manifest')
    .addOption(new Option('--profile <name>', 'profile the run used (when there is no --plan)').choices(PROFILES as string[]))
    .option('--id <id>', 'run id (default: the date, e.g. 2025-11-25T02-13-07Z)')
    .option('--json', 'print the manifest as JSON on stdout')
    .action(async (opts: { from: string; results: string; plan?: string; profile?: string; id?: string; json?: boolean }) => {
      const manifest = await publishFolder({
        from: opts.from,
        results: opts.results,
        plan: opts.plan,
        profile: opts.profile as Profile | undefined,
        id: opts.id,
      });
      if (opts.json) return printJson(manifest);
      const where = relative(process.cwd(), resolve(opts.results, 'runs', manifest.id));
      console.log(
        `published ${manifest.cells} cells as ${where} (${manifest.previous ? `${manifest.changes.length} change(s) since ${manifest.previous}` : 'the first published run'})`,
      );
      for (const c of manifest.changes) {
        const what = c.field === 'added' || c.field === 'removed' ? c.field : `${c.field} ${c.before ?? 'n/a'} → ${c.after ?? 'n/a'}`;
        console.log(`  ${pc.bold(c.entry)}${c.setting ? ` on ${c.setting}` : ''}: ${what} — ${c.cause}`);
      }
      console.log(`reproduce: ${manifest.command}`);
    });
}

/**
 * Without a plan: the run commands that recompute the published cells, one per seed count (a run
 * may give some tasks more seeds than others), each naming its tasks when the counts differ.
 */
function runCommands(profile: Profile, records: readonly { key: { task: string; seed: number } }[]): string[] {
  const seedsByTask = new Map<string, number>();
  for (const r of records) seedsByTask.set(r.key.task, Math.max(seedsByTask.get(r.key.task) ?? 0, r.key.seed + 1));
  const tasksBySeeds = new Map<number, string[]>();
  for (const [task, seeds] of [...seedsByTask].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    tasksBySeeds.set(seeds, [...(tasksBySeeds.get(seeds) ?? []), task]);
  if (tasksBySeeds.size === 1) return [`collapse-bench run --profile ${profile} --seeds ${[...tasksBySeeds.keys()][0]}`];
  return [...tasksBySeeds]
    .sort((a, b) => b[0] - a[0])
    .map(([seeds, tasks]) => `collapse-bench run --profile ${profile} --seeds ${seeds} ${tasks.map((t) => `--task ${t}`).join(' ')}`);
}
