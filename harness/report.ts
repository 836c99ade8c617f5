/**
 * The local report: one self-contained HTML file for a researcher's run — leaderboard,
 * per-setting tables and curves, failures, provenance. No scripts, no external styles, fonts or
 * requests: the charts are Vega-Lite specs rendered to inline SVG at build time.
 *
 * Everything that comes from records, method params, reasons or task text is untrusted: the
 * `html` template escapes every interpolation unless it is wrapped in `raw()`, and the page's
 * Content-Security-Policy forbids scripts and network access as a second line of defence.
 */
import { canonicalJson } from './hash.ts';
import { chartSpec, entryColors, entryDashes, metricBand, renderSvg } from './charts.ts';
import type { ResultRecord } from './schema.ts';
import { formatParams, type EntryScore, type Interval, type Scores, type SettingScore } from './scoring.ts';
import { directionLabel, type MetricSpec, type TheoryCurve } from './types.ts';

// The chart builders moved to charts.ts (shared with the website); re-exported for callers of this module.
export { chartSpec, metricBand, renderSvg, type BandPoint, type ChartOptions } from './charts.ts';

// ---------------------------------------------------------------------------------------
// Public types

/** What the report needs to know about a task. */
export interface ReportTask {
  id: string;
  title: string;
  /** One paragraph: the protocol in plain words. */
  summary: string;
  stepAxis: 'generation' | 'epoch';
  metrics: MetricSpec[];
}

export interface ReportInput {
  /**
   * Page title.
   * @default 'CollapseBench local report'
   */
  title?: string;
  /** ISO date of the report, shown as given. */
  generatedAt: string;
  /** The command that produced the results, shown verbatim. */
  command?: string;
  tasks: ReportTask[];
  /** All records of the run, whatever their status. */
  records: ResultRecord[];
  scores: Scores;
  /** Closed-form curves per setting key ({@link SettingScore.setting}). */
  theory: { setting: string; curves: TheoryCurve[] }[];
}

// ---------------------------------------------------------------------------------------
// Escaping: one helper, and a template tag that applies it to every interpolation.

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Markup that is already safe; only `html` and `raw` make one. */
class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Trusted markup, inserted unescaped. Only for output of `html` or Vega's (escaped) SVG. */
function raw(markup: string): Html {
  return new Html(markup);
}

/** Template tag: escapes interpolations, except `Html` values; arrays are joined; null, undefined and false render nothing. */
function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1];
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(value);
}

// ---------------------------------------------------------------------------------------
// Formatting

const NA = 'n/a';

/** Three significant digits; exponent form for very large or small magnitudes; null or non-finite: "n/a". */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NA;
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e5 || abs < 1e-3) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

/** A count (samples, cells, tokens) in full, never rounded to significant digits: 5394 → "5,394"; a fractional mean keeps two decimals. */
export function formatCount(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NA;
  return Number.isInteger(x) ? x.toLocaleString('en-US') : x.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** A probability of improvement in [0, 1], two decimals (the scale rliable reports). */
export function formatProbability(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? NA : x.toFixed(2);
}

/** `[low, high]` in {@link formatNumber}'s digits; no interval: the empty string. */
export function formatInterval(ci: Interval | null): string {
  return ci ? `[${formatNumber(ci.low)}, ${formatNumber(ci.high)}]` : '';
}

/** Wall time in ms → "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return NA;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const totalS = Math.round(s);
  if (totalS < 3600) return `${Math.floor(totalS / 60)} min ${String(totalS % 60).padStart(2, '0')} s`;
  const totalMin = Math.round(totalS / 60);
  return `${Math.floor(totalMin / 60)} h ${String(totalMin % 60).padStart(2, '0')} min`;
}

/** 0.95 → "95%". */
export function percent(confidence: number): string {
  return `${Number((confidence * 100).toPrecision(3))}%`;
}

/** Line colour and dash pattern per entry label, fixed across the page. */
interface EntryStyles {
  colors: Map<string, string>;
  dashes: Map<string, number[]>;
}

// ---------------------------------------------------------------------------------------
// Page model: settings with their records, tasks and theory.

interface SettingView {
  key: string;
  /** HTML id of its section. */
  anchor: string;
  task: ReportTask;
  taskParams: Record<string, unknown>;
  rows: SettingScore[];
  /** Records per entry label (every status). */
  records: Map<string, ResultRecord[]>;
  theory: TheoryCurve[];
}

/** Identity of a setting × entry, shared by its records and its score row. */
function groupKey(task: string, taskParams: Record<string, unknown>, method: string, methodParams: Record<string, unknown>): string {
  return canonicalJson([task, taskParams, method, methodParams]);
}

function recordsByGroup(records: readonly ResultRecord[]): Map<string, ResultRecord[]> {
  const groups = new Map<string, ResultRecord[]>();
  for (const r of records) {
    const key = groupKey(r.key.task, r.key.taskParams, r.key.method, r.key.methodParams);
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  return groups;
}

/** A task the caller did not describe: its id as title, the metric names seen in its records. */
function fallbackTask(id: string, records: readonly ResultRecord[]): ReportTask {
  const mine = records.filter((r) => r.key.task === id);
  const names = [...new Set(mine.flatMap((r) => Object.keys(r.metrics)))];
  return {
    id,
    title: id,
    summary: '',
    stepAxis: mine[0]?.stepAxis ?? 'generation',
    metrics: names.map((name) => ({ name, description: '', direction: 'lower' })),
  };
}

function settingViews(input: ReportInput): SettingView[] {
  const tasks = new Map(input.tasks.map((t) => [t.id, t]));
  // Best first within the setting: ranked entries, other entries, then the oracle and the reference.
  const byRank = (row: SettingScore) => row.rank ?? (row.role === 'entry' ? 1e6 : row.role === 'oracle' ? 2e6 : 3e6);
  const records = recordsByGroup(input.records);
  const views = new Map<string, SettingView>();
  for (const row of input.scores.settings) {
    let view = views.get(row.setting);
    if (!view) {
      const task = tasks.get(row.task) ?? fallbackTask(row.task, input.records);
      const theory = input.theory.find((t) => t.setting === row.setting)?.curves ?? [];
      view = {
        key: row.setting,
        anchor: `setting-${views.size + 1}`,
        task,
        taskParams: row.taskParams,
        rows: [],
        records: new Map(),
        theory,
      };
      views.set(row.setting, view);
    }
    view.rows.push(row);
    view.records.set(row.entry, records.get(groupKey(row.task, row.taskParams, row.method, row.methodParams)) ?? []);
  }
  // Rows in leaderboard order (stable sort), so tables and legends list entries as the leaderboard does.
  for (const view of views.values()) view.rows.sort((a, b) => byRank(a) - byRank(b));
  return [...views.values()];
}

// ---------------------------------------------------------------------------------------
// Sections

const CSS = `
:root{color-scheme:light;--muted:#555;--line:#d8d8d8;--soft:#f4f4f4}
body{margin:0 auto;max-width:75rem;padding:1rem 1.25rem 3rem;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1b1b;background:#fff}
h1,h2,h3{line-height:1.25;margin:1.6em 0 .5em}h1{margin-top:.5em}
p,li{max-width:70ch}
.muted,small,figcaption{color:var(--muted)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:.5rem 0}
caption{text-align:left;font-weight:600;padding:.25rem 0;caption-side:top}
th,td{padding:.35rem .7rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{border-bottom:2px solid #999;white-space:nowrap}
.num{text-align:right;white-space:nowrap}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
pre{background:var(--soft);padding:.6rem .8rem;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere}
.reason{white-space:pre-wrap;overflow-wrap:anywhere}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,30rem),1fr));gap:1.5rem 2rem}
figure{margin:0}figure svg{display:block;max-width:100%;height:auto}
figcaption{font-size:.9rem;margin-top:.25rem}
.tag{display:inline-block;font-size:.75rem;font-weight:600;padding:0 .4rem;border:1px solid currentColor;border-radius:.3rem;vertical-align:middle}
footer{margin-top:3rem;border-top:1px solid var(--line);padding-top:1rem;font-size:.9rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}dd{margin:0;overflow-wrap:anywhere}
`;

function header(input: ReportInput): Html {
  return html`<header>
<h1>${input.title ?? 'CollapseBench local report'}</h1>
<p class="muted">Generated <time datetime="${input.generatedAt}">${input.generatedAt}</time> from ${input.records.length} result record(s).</p>
${input.command !== undefined ? html`<p>Command:</p><pre><code>${input.command}</code></pre>` : ''}
</header>`;
}

function noResults(): Html {
  return html`<section id="no-results"><h2>No results</h2>
<p>This run produced no result records, so there is nothing to score or plot. Check the command's selection of tasks and methods, then run it again.</p></section>`;
}

function leaderboard(input: ReportInput): Html {
  const { scores } = input;
  const level = percent(scores.confidence);
  // Already in leaderboard order: by basis, then rank (harness/scoring.ts rankEntries).
  const rows = scores.entries.map((e) => leaderboardRow(e));
  return html`<section id="leaderboard" aria-labelledby="leaderboard-title">
<h2 id="leaderboard-title">Leaderboard</h2>
<p>Score: the interquartile mean (IQM), over the task settings with collapse, of the normalized collapse score — the area under the primary metric's degradation curve scaled so that 0 = the task's oracle (<code>real-only</code>) and 1 = its reference (<code>replace</code>; lower is better). Ranks are among entries scored on the same tasks ("ranked on"), extra-real-data entries apart; an entry whose interval is wider than 1 is unranked; references are never ranked. Intervals are ${level} stratified bootstrap intervals (${scores.resamples} resamples); entries whose intervals overlap the tier's leader share a tier.</p>
${
  rows.length
    ? html`<div class="scroll"><table>
<caption>Entries ranked by IQM of normalized collapse area (lower is better)</caption>
<thead><tr><th scope="col" class="num">Rank</th><th scope="col" class="num">Tier</th><th scope="col">Entry</th><th scope="col">Ranked on</th><th scope="col" class="num">IQM</th><th scope="col">${level} interval</th><th scope="col">Coverage</th><th scope="col" class="num">Wall time</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
    : html`<p>No entries were scored.</p>`
}
</section>`;
}

function leaderboardRow(e: EntryScore): Html {
  const params = formatParams(e.methodParams);
  const basis =
    e.role === 'reference' ? 'reference (never ranked)' : `${e.basis.join(', ') || 'none'}${e.extraRealData ? ' (+real data)' : ''}`;
  return html`<tr><td class="num">${e.rank ?? '—'}</td><td class="num">${e.tier ?? NA}</td>
<th scope="row">${e.entry}${params && e.entry.indexOf('(') < 0 ? html`<br><small>${params}</small>` : ''}${e.unranked && e.role !== 'reference' ? html`<br><small>unranked: ${e.unranked}</small>` : ''}</th>
<td>${basis}</td>
<td class="num">${formatNumber(e.iqm)}</td><td>${e.ci ? formatInterval(e.ci) : NA}</td>
<td>${e.coverage.applicable}/${e.coverage.total} tasks</td>
<td class="num">${formatDuration(e.wallMs)}</td></tr>`;
}

async function settingSection(view: SettingView, styles: EntryStyles, confidence: number): Promise<Html> {
  const { task } = view;
  const params = formatParams(view.taskParams);
  const charts = await Promise.all(task.metrics.map((m) => metricChart(view, m, styles)));
  return html`<section class="setting" id="${view.anchor}" aria-labelledby="${view.anchor}-title">
<h3 id="${view.anchor}-title">${task.title}${params ? html` <small>${params}</small>` : ''}</h3>
${task.summary ? html`<p>${task.summary}</p>` : ''}
${settingTable(view, confidence)}
${settingNotes(view)}
<div class="charts">${charts}</div>
</section>`;
}

function settingTable(view: SettingView, confidence: number): Html {
  const primary = view.task.metrics.find((m) => m.primary);
  const level = percent(confidence);
  const rows = view.rows.map((r) => {
    const collapse = r.stepsToCollapse !== null ? `${view.task.stepAxis} ${r.stepsToCollapse}` : r.censored ? 'never (censored)' : NA;
    return html`<tr><th scope="row">${r.entry}</th>
<td class="num">${withInterval(r.normalized, r.normalizedCi)}</td><td class="num">${withInterval(r.final, r.finalCi)}</td><td>${collapse}</td><td class="num">${r.seeds}</td><td class="num">${r.failed}</td><td class="num">${r.timeout}</td><td class="num">${r.skipped}</td></tr>`;
  });
  return html`<div class="scroll"><table>
<caption>${view.task.title}: scores per entry (primary metric ${primary?.name ?? NA}; ${level} bootstrap intervals over seeds)</caption>
<thead><tr><th scope="col">Entry</th><th scope="col" class="num">Normalized area</th><th scope="col" class="num">Final ${primary?.name ?? 'value'}</th><th scope="col">Steps to collapse</th><th scope="col" class="num">Seeds</th><th scope="col" class="num">Failed</th><th scope="col" class="num">Timeout</th><th scope="col" class="num">Skipped</th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

/** A value with its interval below it in small print. */
function withInterval(value: number | null, ci: Interval | null): Html {
  return html`${formatNumber(value)}${ci ? html`<br><small>${formatInterval(ci)}</small>` : ''}`;
}

/** Notes on undefined scores, and the reasons of non-ok cells grouped by entry, status and reason. */
function settingNotes(view: SettingView): Html {
  const notes = view.rows.filter((r) => r.normalizedNote).map((r) => html`<li><strong>${r.entry}</strong>: ${r.normalizedNote}</li>`);
  const groups = new Map<string, { entry: string; status: string; reason: string; seeds: number[] }>();
  for (const [entry, records] of view.records) {
    for (const r of records) {
      if (r.status === 'ok') continue;
      const reason = r.reason ?? 'no reason given';
      const key = JSON.stringify([entry, r.status, reason]);
      const group = groups.get(key) ?? { entry, status: r.status, reason, seeds: [] };
      group.seeds.push(r.key.seed);
      groups.set(key, group);
    }
  }
  const reasons = [...groups.values()].map(
    (g) =>
      html`<li><strong>${g.entry}</strong>, seed${g.seeds.length > 1 ? 's' : ''} ${g.seeds.sort((a, b) => a - b).join(', ')} — ${g.status}: <span class="reason">${g.reason}</span></li>`,
  );
  return html`${notes.length ? html`<p>Notes on the scores:</p><ul>${notes}</ul>` : ''}${reasons.length ? html`<p>Cells that did not complete:</p><ul>${reasons}</ul>` : ''}`;
}

async function metricChart(view: SettingView, metric: MetricSpec, styles: EntryStyles): Promise<Html> {
  const series = view.rows
    .map((row) => ({
      entry: row.entry,
      points: metricBand(
        (view.records.get(row.entry) ?? []).filter((r) => r.status === 'ok'),
        metric.name,
      ),
    }))
    .filter((s) => s.points.length > 0);
  const [theory, ...references] = view.theory.filter((t) => t.metric === metric.name);
  const name = html`${metric.name}${metric.primary ? html` <span class="tag">primary</span>` : ''}`;
  if (series.length === 0 && !theory) {
    return html`<figure><p class="muted">No ok records report <code>${metric.name}</code>.</p><figcaption>${name}</figcaption></figure>`;
  }
  const svg = await renderSvg(chartSpec({ metric, stepAxis: view.task.stepAxis, series, theory, references, ...styles }));
  const description =
    `Line chart of ${metric.name}${metric.primary ? ' (primary metric)' : ''} versus ${view.task.stepAxis} for ${view.task.title}` +
    (series.length ? `: mean over seeds with 95% bands for ${series.map((s) => s.entry).join(', ')}` : '') +
    (theory ? `; dashed black line: theory, ${theory.label}` : '') +
    references.map((r) => `; dotted grey line: ${r.label}`).join('') +
    '.';
  return html`<figure>
<div role="img" aria-label="${description}">${raw(svg)}</div>
<figcaption>${name} — ${metric.description ? `${metric.description}; ` : ''}${directionLabel(metric)}. Mean over ok seeds with a 95% band (SE across seeds, or the replicate SE for a single seed).${theory ? html` Dashed black: theory, <span>${theory.label}</span>.` : ''}</figcaption>
</figure>`;
}

function failures(records: readonly ResultRecord[]): Html {
  const bad = records
    .filter((r) => r.status !== 'ok')
    .sort(
      (a, b) =>
        a.status.localeCompare(b.status) ||
        a.key.task.localeCompare(b.key.task) ||
        a.key.method.localeCompare(b.key.method) ||
        a.key.seed - b.key.seed,
    );
  const body = bad.length
    ? html`<div class="scroll"><table>
<caption>${bad.length} cell(s) that did not complete</caption>
<thead><tr><th scope="col">Status</th><th scope="col">Task</th><th scope="col">Method</th><th scope="col" class="num">Seed</th><th scope="col">Reason</th></tr></thead>
<tbody>${bad.map(failureRow)}</tbody></table></div>`
    : html`<p>All ${records.length} cell(s) completed ok.</p>`;
  return html`<section id="failures" aria-labelledby="failures-title"><h2 id="failures-title">Failures, timeouts and skips</h2>${body}</section>`;
}

function failureRow(r: ResultRecord): Html {
  const taskParams = formatParams(r.key.taskParams);
  const methodParams = formatParams(r.key.methodParams);
  return html`<tr><td>${r.status}</td><td>${r.key.task}${taskParams ? html`<br><small>${taskParams}</small>` : ''}</td>
<td>${r.key.method}${methodParams ? html`<br><small>${methodParams}</small>` : ''}</td><td class="num">${r.key.seed}</td>
<td class="reason">${r.reason ?? 'no reason given'}</td></tr>`;
}

function footer(input: ReportInput): Html {
  const first = input.records[0];
  if (!first) return html`<footer><p>CollapseBench report generated ${input.generatedAt}.</p></footer>`;
  const p = first.provenance;
  const commits = new Set(input.records.map((r) => r.provenance.gitCommit ?? NA));
  const versions = new Set(input.records.map((r) => r.provenance.harnessVersion));
  const mixed = commits.size > 1 || versions.size > 1;
  return html`<footer><h2>Provenance</h2>
<p class="muted">From the first record${mixed ? html`; <strong>the records come from ${commits.size} git commit(s) and ${versions.size} harness version(s)</strong>` : ''}.</p>
<dl><dt>Harness version</dt><dd>${p.harnessVersion}</dd><dt>Git commit</dt><dd><code>${p.gitCommit ?? NA}</code></dd>
<dt>Node</dt><dd>${p.node}</dd><dt>CPU</dt><dd>${p.cpu}</dd><dt>Backend</dt><dd>${p.backend}</dd><dt>Date</dt><dd>${p.date}</dd></dl>
<p class="muted">Chart colours: Okabe–Ito palette (colour-blind safe); black is reserved for theory curves.</p>
</footer>`;
}

// ---------------------------------------------------------------------------------------
// The page

/** Renders the whole report: one self-contained HTML document. */
export async function renderReport(input: ReportInput): Promise<string> {
  const title = input.title ?? 'CollapseBench local report';
  let main: Html;
  if (input.records.length === 0) {
    main = noResults();
  } else {
    const views = settingViews(input);
    const styles: EntryStyles = { colors: entryColors(input.scores), dashes: entryDashes(input.scores) };
    const sections = await Promise.all(views.map((v) => settingSection(v, styles, input.scores.confidence)));
    main = html`${leaderboard(input)}
<section id="settings" aria-labelledby="settings-title"><h2 id="settings-title">Results per task setting</h2>
${sections.length ? sections : html`<p>No task settings were scored.</p>`}</section>
${failures(input.records)}`;
  }
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${title}</title>
<style>${raw(CSS)}</style>
</head>
<body>
${header(input)}
<main>
${main}
</main>
${footer(input)}
</body>
</html>
`.value;
}
