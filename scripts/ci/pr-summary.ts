/**
 * The pull-request job summary: for each changed method, its scores from the quick-profile run
 * beside the baselines — the IQM of normalized collapse areas with its interval, rank and tier,
 * per setting the normalized area and its difference from each baseline with a 95% bootstrap
 * interval, the cells that failed and the runtime. Step outputs: `failed` (failed or timed-out
 * cells of the changed methods) and `methods`.
 *
 *   node --import tsx scripts/ci/pr-summary.ts --results runs/pr --methods "my-method other"
 */
import { loadRegistry, type Registry } from '../../harness/registry.ts';
import { readCellFiles } from '../../harness/publish.ts';
import { scoreRecords, sortRecords, splitStale, taskInfos } from '../../harness/results.ts';
import { hashValue } from '../../harness/hash.ts';
import { rngFromKey } from '../../harness/rng.ts';
import { percentileInterval, trapezoid, type Interval, type Scores, type SettingScore } from '../../harness/scoring.ts';
import type { ResultRecord } from '../../harness/schema.ts';
import { pathToFileURL } from 'node:url';
import { InputError } from '../../harness/params.ts';
import { escapeCell, flushSummary, main, parseFlags, setOutputs, summary } from './github.ts';

const RESAMPLES = 2000;
const CONFIDENCE = 0.95;

/** Difference of normalized collapse areas, method − baseline (negative: the method collapses less), with its interval. */
export interface Delta {
  baseline: string;
  value: number | null;
  ci: Interval | null;
}

/**
 * Per setting, the method's normalized area minus each baseline's. The interval resamples the
 * seeds of every entry independently and pairs resample b of the method, the baseline, the oracle
 * (real-only) and the reference (replace), as the scores' own intervals do.
 */
export function deltas(
  records: readonly ResultRecord[],
  scores: Scores,
  registry: Registry,
  row: SettingScore,
  baselines: string[],
): Delta[] {
  const metric = taskInfos(registry).find((t) => t.id === row.task)!.primary;
  const sign = metric.direction === 'lower' ? 1 : -1;
  const rows = scores.settings.filter((r) => r.setting === row.setting);
  const areaSamples = (entry: SettingScore): Float64Array | null => {
    const cells = records.filter(
      (r) =>
        r.status === 'ok' &&
        r.key.task === entry.task &&
        r.key.method === entry.method &&
        hashValue(r.key.taskParams) === hashValue(entry.taskParams) &&
        hashValue(r.key.methodParams) === hashValue(entry.methodParams) &&
        r.metrics[metric.name],
    );
    if (cells.length === 0) return null;
    const areas = cells.map((r) =>
      trapezoid(
        entry.steps,
        entry.steps.map((s) => r.metrics[metric.name].mean[r.steps.indexOf(s)]),
      ),
    );
    const rng = rngFromKey('ci-summary', 'bootstrap').fork(`${entry.setting} ${entry.entry}`);
    const out = new Float64Array(RESAMPLES);
    for (let b = 0; b < RESAMPLES; b++) {
      let total = 0;
      for (let i = 0; i < areas.length; i++) total += areas[rng.int(areas.length)];
      out[b] = total / areas.length;
    }
    return out;
  };
  const find = (method: string) => rows.find((r) => r.method === method);
  const oracle = find('real-only');
  const reference = find('replace');
  const o = oracle && areaSamples(oracle);
  const ref = reference && areaSamples(reference);
  const mine = areaSamples(row);
  return baselines.map((baseline) => {
    const other = find(baseline);
    const value = row.normalized !== null && other?.normalized != null ? row.normalized - other.normalized : null;
    const theirs = other && areaSamples(other);
    if (value === null || !o || !ref || !mine || !theirs) return { baseline, value, ci: null };
    const samples: number[] = [];
    for (let b = 0; b < RESAMPLES; b++) {
      const den = sign * (ref[b] - o[b]);
      if (den === 0) continue;
      const d = (sign * (mine[b] - o[b])) / den - (sign * (theirs[b] - o[b])) / den;
      if (Number.isFinite(d)) samples.push(d);
    }
    return { baseline, value, ci: samples.length ? percentileInterval(samples, CONFIDENCE) : null };
  });
}

const num = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? 'n/a' : x.toFixed(digits));
const withCi = (x: number | null, ci: Interval | null) =>
  x === null ? 'n/a' : ci ? `${num(x)} [${num(ci.low)}, ${num(ci.high)}]` : num(x);
const params = (p: Record<string, unknown>) =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

/** Builds the summary in the @actions/core buffer; returns the failed-cell count of the changed methods. */
export async function buildPrSummary(results: string, methods: string[]): Promise<{ failed: number }> {
  const registry = await loadRegistry();
  const { current } = splitStale(
    readCellFiles(results).map((c) => c.record),
    registry,
  );
  if (current.length === 0)
    throw new InputError(`no current records in ${results}: run \`collapse-bench run --method <id> … --out ${results}\` first`);
  const records = sortRecords(current);
  const scores = scoreRecords(records, registry);
  const baselines = registry.methods
    .filter((m) => m.definition.kind === 'baseline')
    .map((m) => m.definition.id)
    .filter((id) => records.some((r) => r.key.method === id));

  summary.addHeading('CollapseBench: changed methods at the quick profile', 2);
  summary.addRaw(
    'Normalized collapse score: the area under the primary metric’s degradation curve, 0 = the task’s oracle (<code>real-only</code>: fresh real data), 1 = its reference (<code>replace</code>: no mitigation); lower is better. Ranks are among entries scored on the same tasks (extra-real-data entries apart); settings without significant collapse are left out of the IQM. ' +
      'Δ = method − baseline (negative: collapses less). Intervals: 95% bootstrap over seeds.',
    true,
  );
  let failed = 0;
  for (const id of methods) {
    const mine = records.filter((r) => r.key.method === id);
    summary.addHeading(id, 3);
    if (mine.length === 0) {
      summary.addRaw(`<p>No records of <code>${escapeCell(id)}</code> in ${escapeCell(results)}.</p>`, true);
      continue;
    }
    const bad = mine.filter((r) => r.status === 'failed' || r.status === 'timeout');
    failed += bad.length;
    const count = (s: string) => mine.filter((r) => r.status === s).length;
    const entries = scores.entries.filter((e) => e.method === id);
    summary.addTable([
      [
        { data: 'entry', header: true },
        { data: 'collapse area (IQM) [95% CI]', header: true },
        { data: 'rank', header: true },
        { data: 'tier', header: true },
        { data: 'coverage', header: true },
        { data: 'cells ok / failed / timeout / skipped', header: true },
        { data: 'runtime', header: true },
      ],
      ...entries.map((e) => [
        escapeCell(e.entry),
        withCi(e.iqm, e.ci),
        e.rank === null
          ? `unranked (${escapeCell(e.unranked ?? '')})`
          : `${e.rank} among entries scored on ${escapeCell(e.basis.join(', '))}${e.extraRealData ? ' (extra real data track)' : ''}`,
        String(e.tier ?? '—'),
        `${e.coverage.applicable}/${e.coverage.total}`,
        `${count('ok')} / ${count('failed')} / ${count('timeout')} / ${count('skipped')}`,
        `${(e.wallMs / 1000).toFixed(1)} s`,
      ]),
    ]);
    const rows = scores.settings.filter((r) => r.method === id && r.seeds > 0);
    const others = baselines.filter((b) => b !== id);
    if (rows.length) {
      summary.addTable([
        [
          { data: 'setting', header: true },
          { data: 'normalized [95% CI]', header: true },
          ...others.map((b) => ({ data: `Δ vs ${b}`, header: true })),
          { data: 'final', header: true },
          { data: 'steps to collapse', header: true },
        ],
        ...rows.map((row) => [
          `${escapeCell(row.task)} <sub>${escapeCell(params(row.taskParams))}</sub>`,
          withCi(row.normalized, row.normalizedCi) + (row.normalizedNote ? ` <sub>${escapeCell(row.normalizedNote)}</sub>` : ''),
          ...deltas(records, scores, registry, row, others).map((d) => withCi(d.value, d.ci)),
          num(row.final),
          row.stepsToCollapse !== null ? String(row.stepsToCollapse) : row.censored ? 'never' : 'n/a',
        ]),
      ]);
    }
    if (bad.length)
      summary.addList(bad.map((r) => `${r.status}: ${escapeCell(r.key.task)} seed ${r.key.seed} — ${escapeCell(r.reason ?? '')}`));
  }
  const tasks = [...new Set(records.map((r) => r.key.task))];
  const flags = [...tasks.map((t) => `--task ${t}`), ...[...new Set([...methods, ...baselines])].map((m) => `--method ${m}`)];
  summary.addRaw(`<p>Reproduce: <code>npx collapse-bench run ${escapeCell(flags.join(' '))}</code></p>`, true);
  return { failed };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(async () => {
    const flags = parseFlags(process.argv.slice(2), { results: 'runs/pr', methods: null });
    const methods = flags.methods.split(/\s+/).filter(Boolean);
    const { failed } = await buildPrSummary(flags.results, methods);
    const where = await flushSummary();
    setOutputs({ failed: String(failed), methods: methods.join(' ') });
    console.error(`summary written to the ${where}; ${failed} failed or timed-out cell(s) of ${methods.join(', ')}`);
  });
}
