/**
 * `collapse-bench`: list, run, score, verify, report and theory. Each command is a thin
 * layer over harness/; `--json` prints exactly one JSON document on stdout.
 */
import { Command, Option, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import Table from 'cli-table3';
import pc from 'picocolors';
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadRegistry, applicability, type Registry } from '../harness/registry.ts';
import { planCells, parseShard, DEFAULT_SEEDS } from '../harness/cells.ts';
import { InputError, paramInfo } from '../harness/params.ts';
import { ResultStore, parseRecordFile } from '../harness/cache.ts';
import { runCells } from '../harness/engine.ts';
import { runProvenance } from '../harness/provenance.ts';
import { executeCell, type CellJob } from '../harness/cell.ts';
import { scoreRecords, sortRecords, splitStale, theoryBySetting } from '../harness/results.ts';
import { canonicalJson } from '../harness/hash.ts';
import { PROFILES, type Profile } from '../harness/types.ts';
import type { ResultRecord } from '../harness/schema.ts';
import type { Scores } from '../harness/scoring.ts';
import { renderReport } from '../harness/report.ts';
import { resultRecordJsonSchema } from '../harness/schema.ts';

const DEFAULT_OUT = 'runs/latest';
const TABLE_STYLE = { head: ['cyan'] };

const program = new Command('collapse-bench')
  .description('Benchmark suite for model collapse and its mitigations')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(pc.red(text)) });

const collect = (value: string, previous: string[] = []) => [...previous, value];
const positiveInt = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
};

// ---------------------------------------------------------------------------------------
program
  .command('list')
  .description('tasks, baselines and methods, their parameters with defaults, and where each method applies')
  .option('--json', 'print JSON on stdout')
  .action(async (opts: { json?: boolean }) => {
    const registry = await loadRegistry();
    const matrix = applicability(registry);
    const doc = {
      tasks: registry.tasks.map(({ definition: t, folder }) => ({
        id: t.id, title: t.title, folder, stepAxis: t.stepAxis, hooks: t.hooks, metrics: t.metrics,
        params: paramInfo(t.params), profiles: t.profiles, papers: t.papers,
      })),
      methods: registry.methods.map(({ definition: m, folder }) => ({
        id: m.id, kind: m.kind, title: m.title, folder, hooks: Object.keys(m.hooks), params: paramInfo(m.params), papers: m.papers,
      })),
      applicability: matrix,
    };
    if (opts.json) return printJson(doc);
    for (const t of doc.tasks) {
      console.log(`${pc.bold(t.id)} — ${t.title}  [${t.stepAxis}; hooks: ${t.hooks.join(', ')}]`);
      console.log(paramTable(t.params).toString());
    }
    for (const m of doc.methods) {
      console.log(`${pc.bold(m.id)} (${m.kind}) — ${m.title}  [hooks: ${m.hooks.join(', ') || 'none'}]`);
      if (m.params.length) console.log(paramTable(m.params).toString());
    }
    const table = new Table({ head: ['method', ...doc.tasks.map((t) => t.id)], style: TABLE_STYLE });
    for (const m of doc.methods) table.push([m.id, ...doc.tasks.map((t) => (matrix[t.id][m.id] === null ? 'yes' : 'n/a'))]);
    console.log(pc.bold('applicability'));
    console.log(table.toString());
  });

// ---------------------------------------------------------------------------------------
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
      jobs: opts.jobs, timeoutMs: opts.timeout * 1000, force: opts.force, failFast: opts.failFast,
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

interface RunOptions {
  task?: string[]; method?: string[]; profile: string; seeds?: number; set?: string[]; shard?: string;
  out: string; jobs: number; timeout: number; force?: boolean; failFast?: boolean; json?: boolean;
}

// ---------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------
program
  .command('verify')
  .description('recompute every cell of a results folder (or record files) and report any difference')
  .argument('[results...]', 'results folders or record files', [DEFAULT_OUT])
  .option('--json', 'print the verification as JSON on stdout')
  .action(async (paths: string[], opts: { json?: boolean }) => {
    const registry = await loadRegistry();
    const records = paths.flatMap(readResults);
    const provenance = runProvenance(registry);
    const outcome = { verified: 0, differing: [] as { id: string; what: string }[], stale: [] as { id: string; reason: string }[], skipped: 0 };
    const { current, stale } = splitStale(records, registry);
    outcome.stale = stale.map((s) => ({ id: s.record.id, reason: s.reason }));
    for (const record of current) {
      if (record.status === 'skipped' || record.status === 'timeout') {
        outcome.skipped++;
        continue;
      }
      const task = registry.tasks.find((t) => t.definition.id === record.key.task)!;
      const method = registry.methods.find((m) => m.definition.id === record.key.method)!;
      const job: CellJob = { root: registry.root, id: record.id, key: record.key, taskHash: task.hash, methodHash: method.hash, provenance };
      const fresh = executeCell(job, task.definition, method.definition);
      const what = (['status', 'reason', 'steps', 'metrics', 'budget'] as const).filter((field) => canonicalJson(fresh[field]) !== canonicalJson(record[field]));
      if (what.length) outcome.differing.push({ id: record.id, what: what.join(', ') });
      else outcome.verified++;
    }
    if (opts.json) printJson(outcome);
    else {
      console.log(`${outcome.verified} record(s) reproduced bit for bit; ${outcome.differing.length} differ; ${outcome.stale.length} stale (not checked); ${outcome.skipped} skipped/timeout (nothing to check)`);
      for (const d of outcome.differing) console.log(pc.red(`  ${d.id}: ${d.what} differ`));
      for (const s of outcome.stale) console.log(pc.yellow(`  ${s.id}: stale — ${s.reason}`));
    }
    if (outcome.differing.length) process.exitCode = 1;
  });

// ---------------------------------------------------------------------------------------
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
      tasks: registry.tasks.map(({ definition: t }) => ({ id: t.id, title: t.title, summary: t.summary, stepAxis: t.stepAxis, metrics: t.metrics })),
      records: current,
      scores,
      theory: theoryBySetting(registry, scores),
    });
    const file = resolve(opts.out ?? join(opts.results, 'report.html'));
    writeFileSync(file, html);
    if (stale.length) console.error(pc.yellow(`${stale.length} stale record(s) left out of the report`));
    console.log(`report: ${relative(process.cwd(), file)}  (open ${pathToFileURL(file).href})`);
  });

// ---------------------------------------------------------------------------------------
program
  .command('theory')
  .description("closed-form curves of a task for given parameters")
  .requiredOption('--task <id>', 'task id')
  .addOption(new Option('--profile <name>', 'parameter profile').choices(PROFILES as string[]).default('quick'))
  .option('--set <key=value>', 'override a task parameter (repeatable)', collect)
  .option('--json', 'print JSON on stdout')
  .action(async (opts: { task: string; profile: string; set?: string[]; json?: boolean }) => {
    const registry = await loadRegistry();
    const cells = planCells({ ...registry, methods: registry.methods.slice(0, 1) }, { tasks: [opts.task], profile: opts.profile as Profile, seeds: 1, sets: opts.set });
    const out = cells.map((cell) => {
      const task = cell.task.definition;
      return { task: task.id, params: cell.key.taskParams, curves: task.theory ? task.theory(task.params.parse(cell.key.taskParams)) : [] };
    });
    if (opts.json) return printJson(out.length === 1 ? out[0] : out);
    for (const { task, params, curves } of out) {
      console.log(`${pc.bold(task)} ${formatParams(params)}`);
      if (curves.length === 0) console.log('  no closed form for these parameters');
      for (const c of curves) console.log(`  ${c.metric}: ${c.label}\n    ${c.values.map((v) => v.toPrecision(5)).join(' ')}`);
    }
  });

program
  .command('schema')
  .description('print the JSON Schema of result records')
  .action(() => printJson(resultRecordJsonSchema()));

// ---------------------------------------------------------------------------------------
// Output helpers

function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

function readResults(path: string): ResultRecord[] {
  if (!existsSync(path)) throw new InputError(`results not found: ${path} (run \`collapse-bench run --out ${path}\` first)`);
  if (path.endsWith('.json')) return [parseRecordFile(path)];
  return sortRecords(new ResultStore(resolve(path)).readAll());
}

function formatParams(params: Record<string, unknown>): string {
  return Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
}

function paramTable(params: ReturnType<typeof paramInfo>): Table.Table {
  const table = new Table({ head: ['parameter', 'type', 'default', 'description'], colWidths: [18, 10, 10, 70], wordWrap: true, style: TABLE_STYLE });
  for (const p of params) table.push([p.name, p.enum ? p.enum.join('|') : p.type, String(p.default), p.description]);
  return table;
}

function countStatuses(records: ResultRecord[]): string {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

function printFailures(records: ResultRecord[]): void {
  for (const r of records.filter((r) => r.status === 'failed' || r.status === 'timeout')) {
    console.error(pc.red(`${r.status}: ${r.key.task} × ${r.key.method} seed ${r.key.seed} — ${r.reason}`));
  }
}

const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? 'n/a' : x.toFixed(digits));

function printLeaderboard(scores: Scores): void {
  const table = new Table({ head: ['rank', 'tier', 'entry', 'collapse area (IQM)', '95% CI', 'coverage', 'real/chain', 'time (s)'], style: TABLE_STYLE });
  for (const e of scores.entries) {
    table.push([e.rank, e.tier ?? '—', e.entry, fmt(e.iqm), e.ci ? `[${fmt(e.ci.low)}, ${fmt(e.ci.high)}]` : 'n/a', `${e.coverage.applicable}/${e.coverage.total}`, Math.round(e.realSamplesPerChain), (e.wallMs / 1000).toFixed(2)]);
  }
  console.log(pc.bold('Leaderboard — normalized collapse area, lower is better (real-only = 0, replace = 1)'));
  console.log(table.toString());
}

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof InputError) {
    console.error(pc.red(`error: ${error.message}`));
    process.exitCode = 2;
  } else throw error;
}
