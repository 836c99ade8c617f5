import { describe, expect, it } from 'vitest';
import {
  chartSpec,
  escapeHtml,
  formatDuration,
  formatNumber,
  metricBand,
  renderReport,
  renderSvg,
  type ReportInput,
  type ReportTask,
} from './report.ts';
import { SCHEMA_VERSION, type CellStatus, type ResultRecord } from './schema.ts';
import type { EntryScore, SettingScore } from './scoring.ts';

// ---------------------------------------------------------------------------------------
// Fixtures: small fake records and scores, no scoring involved.

const EVIL = '<script>alert(1)</script>';
const EVIL_REASON = '<img src=x onerror=alert(1)> & "quoted"';
const METRICS = ['w2', 'var_ratio', 'log_var_ratio', 'mean_sq_err'];

const TASK: ReportTask = {
  id: 'gaussian-chain',
  title: 'Gaussian chain',
  summary: 'Refit a Gaussian to its own samples, generation after generation.',
  stepAxis: 'generation',
  metrics: [
    { name: 'w2', description: 'squared W2 distance to the truth', direction: 'lower', primary: true, collapseThreshold: 0.5 },
    { name: 'var_ratio', description: 'fitted over true variance', direction: 'higher' },
    { name: 'log_var_ratio', description: 'log of var_ratio', direction: 'higher' },
    { name: 'mean_sq_err', description: 'squared mean error', direction: 'lower' },
  ],
};
const TASK_PARAMS = { samples: 10, estimator: 'mle', generations: 20 };
const SETTING = 'gaussian-chain/abcdef012345';

function record(method: string, seed: number, status: CellStatus = 'ok', reason?: string, steps = 21): ResultRecord {
  const stepList = Array.from({ length: steps }, (_, t) => t);
  const rate = method === 'replace' ? 0.1 : method === 'real-only' ? 0 : 0.03;
  const metrics = Object.fromEntries(
    METRICS.map((m, k) => [
      m,
      {
        mean: stepList.map((t) => (k + 1) * rate * t + 0.01 * seed),
        se: stepList.map(() => 0.02),
        n: stepList.map(() => 100),
      },
    ]),
  );
  return {
    schemaVersion: SCHEMA_VERSION,
    id: `${method}-${seed}`,
    key: { task: TASK.id, taskParams: TASK_PARAMS, method, methodParams: {}, seed },
    status,
    ...(reason !== undefined ? { reason } : {}),
    stepAxis: 'generation',
    steps: status === 'ok' ? stepList : [],
    metrics: status === 'ok' ? metrics : {},
    budget: { realSamplesPerChain: method === 'real-only' ? 200 : 0 },
    timing: { wallMs: 1234, startedAt: '2025-01-01T00:00:00Z' },
    provenance: {
      harnessVersion: '0.1.0',
      taskHash: 't',
      methodHash: 'm',
      harnessHash: 'h',
      gitCommit: 'deadbeef',
      lockfileHash: null,
      node: 'v20.19.0',
      backend: 'cpu',
      cpu: 'Test CPU',
      date: '2025-01-01T00:00:00Z',
    },
  };
}

function settingScore(entry: string, over: Partial<SettingScore> = {}): SettingScore {
  return {
    setting: SETTING,
    task: TASK.id,
    taskParams: TASK_PARAMS,
    entry,
    method: entry,
    methodParams: {},
    role: 'entry',
    rank: 1,
    extraRealData: false,
    improvement: { reference: null, bestBaseline: null },
    seeds: 3,
    failed: 0,
    timeout: 0,
    skipped: 0,
    steps: [0, 1, 2],
    curve: [0, 0.1, 0.2],
    area: 1,
    normalized: 0.5,
    normalizedCi: { low: 0.4, high: 0.6 },
    final: 0.2,
    finalCi: { low: 0.15, high: 0.25 },
    stepsToCollapse: null,
    censored: true,
    realSamplesPerChain: 0,
    wallMs: 3702,
    ...over,
  };
}

function entryScore(entry: string, rank: number, over: Partial<EntryScore> = {}): EntryScore {
  return {
    entry,
    method: entry,
    methodParams: {},
    role: 'entry',
    basis: [TASK.id],
    iqm: 0.5,
    ci: { low: 0.4, high: 0.6 },
    rank,
    tier: rank,
    extraRealData: false,
    improvement: { reference: null, bestBaseline: null },
    coverage: { applicable: 1, total: 1 },
    missing: [],
    settings: 1,
    realSamplesPerChain: 0,
    wallMs: 3702,
    ...over,
  };
}

/** Entries × seeds ok records, plus whatever extra records are given. */
function input(entries: string[], seeds = 3, extra: ResultRecord[] = [], theory = true): ReportInput {
  const records = entries.flatMap((e) => Array.from({ length: seeds }, (_, s) => record(e, s)));
  return {
    generatedAt: '2025-01-02T03:04:05Z',
    command: 'collapse-bench run --profile quick',
    tasks: [TASK],
    records: [...records, ...extra],
    scores: {
      settings: entries.map((e) => settingScore(e)),
      settingSummaries: [],
      entries: entries.map((e, i) => entryScore(e, i + 1)),
      resamples: 2000,
      confidence: 0.95,
    },
    theory: theory
      ? [
          {
            setting: SETTING,
            curves: [{ metric: 'var_ratio', steps: [0, 10, 20], values: [0.9, 0.3, 0.1], label: 'mle: E[σ²_t] = σ²(1−1/M)^(t+1)' }],
          },
        ]
      : [],
  };
}

/** The SVGs of the per-metric charts, in page order. */
function svgs(page: string): string[] {
  return page.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
}

// ---------------------------------------------------------------------------------------

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
  it('escapes & first, so entities are not double-decoded', () => {
    expect(escapeHtml('&lt;')).toBe('&amp;lt;');
  });
  it('stringifies non-strings', () => {
    expect(escapeHtml(42)).toBe('42');
    expect(escapeHtml(null)).toBe('null');
  });
});

describe('formatting', () => {
  it('formats numbers to three significant digits and null as n/a', () => {
    expect(formatNumber(0.123456)).toBe('0.123');
    expect(formatNumber(1234.5)).toBe('1230');
    expect(formatNumber(1e-5)).toBe('1.00e-5');
    expect(formatNumber(null)).toBe('n/a');
    expect(formatNumber(Number.NaN)).toBe('n/a');
  });
  it('formats durations', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(7_380_000)).toBe('2 h 03 min');
  });
});

describe('metricBand', () => {
  it('uses the SE across seed means with two or more seeds', () => {
    const [a, b] = [record('replace', 0), record('replace', 1)];
    a.metrics.w2.mean[0] = 1;
    b.metrics.w2.mean[0] = 3;
    const first = metricBand([a, b], 'w2')[0];
    // sd of {1, 3} = √2, SE = √2/√2 = 1.
    expect(first).toEqual({ step: 0, mean: 2, low: 2 - 1.96, high: 2 + 1.96 });
  });
  it("uses the record's own SE with one seed", () => {
    const r = record('replace', 0);
    r.metrics.w2.mean[0] = 1;
    r.metrics.w2.se[0] = 0.5;
    expect(metricBand([r], 'w2')[0]).toEqual({ step: 0, mean: 1, low: 1 - 0.98, high: 1 + 0.98 });
  });
  it('is empty when no record has the metric', () => {
    expect(metricBand([record('replace', 0)], 'nope')).toEqual([]);
  });
});

describe('renderReport', () => {
  it('returns one full HTML document without scripts or external references', async () => {
    const page = await renderReport(input(['real-only', 'replace', 'accumulate']));
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page.trimEnd().endsWith('</html>')).toBe(true);
    expect(page).toContain('<title>CollapseBench local report</title>');
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:[a-z]+:|\/\/)/i);
    expect(page).not.toMatch(/https?:\/\//);
    expect(page).toContain('collapse-bench run --profile quick');
  });

  it('has a leaderboard row for each entry', async () => {
    const page = await renderReport(input(['real-only', 'replace', 'accumulate']));
    const board = page.slice(page.indexOf('id="leaderboard"'), page.indexOf('id="settings"'));
    expect(board).toContain('<caption>');
    for (const entry of ['real-only', 'replace', 'accumulate']) expect(board).toContain(`<th scope="row">${entry}`);
    expect(board).toContain('1/1 tasks');
  });

  it('draws one SVG chart with line paths per metric, marking the primary one', async () => {
    const page = await renderReport(input(['real-only', 'replace']));
    const charts = svgs(page);
    expect(charts).toHaveLength(TASK.metrics.length);
    for (const svg of charts) {
      expect(svg).toMatch(/class="mark-line role-mark[^"]*"[^>]*>\s*<path[^>]*d="M/);
      expect(svg).toMatch(/class="mark-area role-mark/);
    }
    expect(page.match(/role="img" aria-label="[^"]+"/g)).toHaveLength(TASK.metrics.length);
    expect(page).toContain('w2 <span class="tag">primary</span>');
  });

  it('draws the theory curve dashed in black when provided, and not otherwise', async () => {
    const withTheory = svgs(await renderReport(input(['replace'])));
    const varRatio = withTheory[1];
    expect(varRatio).toMatch(/<path[^>]*stroke="#000000"[^>]*stroke-dasharray="6,4"/);
    expect(varRatio).toContain('>theory</text>');
    expect(withTheory[0]).not.toContain('>theory</text>');
    const without = svgs(await renderReport(input(['replace'], 3, [], false)));
    expect(without.some((svg) => svg.includes('>theory</text>'))).toBe(false);
  });

  it('escapes a malicious entry name and reason everywhere, charts included', async () => {
    const base = input(['replace', EVIL], 2, [record(EVIL, 9, 'failed', EVIL_REASON)]);
    base.scores.settings[1].failed = 1;
    const page = await renderReport(base);
    expect(page).not.toContain(EVIL);
    expect(page).not.toContain('<img');
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot;');
    // The legend label inside the SVG is Vega's text, escaped too.
    expect(svgs(page)[0]).toContain('&lt;script&gt;');
  });

  it('lists non-ok cells with status and reason, in the setting and in the failures section', async () => {
    const extra = [
      record('replace', 7, 'timeout', 'ran past 60 s'),
      record('replace', 8, 'skipped', 'estimate hook only knows gaussian-chain'),
    ];
    const page = await renderReport(input(['replace'], 2, extra));
    const failures = page.slice(page.indexOf('id="failures"'));
    expect(failures).toContain('<td>timeout</td>');
    expect(failures).toContain('ran past 60 s');
    expect(failures).toContain('estimate hook only knows gaussian-chain');
    expect(page).toContain('seed 7 — timeout: <span class="reason">ran past 60 s</span>');
  });

  it('shows n/a for null scores and "never (censored)" for censored collapse', async () => {
    const base = input(['replace']);
    base.scores.entries[0] = entryScore('replace', 1, { iqm: null, ci: null, tier: null });
    base.scores.settings[0] = settingScore('replace', {
      normalized: null,
      normalizedCi: null,
      normalizedNote: 'oracle has no records',
      stepsToCollapse: null,
      censored: false,
    });
    const page = await renderReport(base);
    const board = page.slice(page.indexOf('id="leaderboard"'), page.indexOf('id="settings"'));
    expect(board).toMatch(/<td class="num">1<\/td><td class="num">n\/a<\/td>/);
    expect(board).toContain('<td class="num">n/a</td><td>n/a</td>');
    expect(page).toContain('oracle has no records');
    const censored = await renderReport(input(['replace']));
    expect(censored).toContain('never (censored)');
  });

  it('shows provenance from the first record in the footer', async () => {
    const page = await renderReport(input(['replace']));
    const footer = page.slice(page.indexOf('<footer>'));
    for (const text of ['0.1.0', 'deadbeef', 'v20.19.0', 'Test CPU', '<dd>cpu</dd>', '2025-01-01T00:00:00Z'])
      expect(footer).toContain(text);
  });

  it('says there are no results instead of throwing on an empty run', async () => {
    const empty: ReportInput = {
      generatedAt: '2025-01-02T03:04:05Z',
      tasks: [],
      records: [],
      scores: { settings: [], settingSummaries: [], entries: [], resamples: 2000, confidence: 0.95 },
      theory: [],
    };
    const page = await renderReport(empty);
    expect(page).toContain('No results');
    expect(page).not.toContain('<svg');
  });

  it('renders 4 entries × 3 seeds × 4 metrics × 21 steps', async () => {
    const start = performance.now();
    const page = await renderReport(input(['real-only', 'replace', 'accumulate', 'fresh-mix']));
    const ms = performance.now() - start;
    expect(svgs(page)).toHaveLength(4);
    // Generous bound: a regression to seconds per chart would show; typical is well under 1 s.
    expect(ms).toBeLessThan(10_000);
  });
});

describe('chart spec and SVG', () => {
  it('titles the x axis with the step axis and escapes labels in the SVG', async () => {
    const spec = chartSpec({
      metric: TASK.metrics[0],
      stepAxis: 'epoch',
      series: [
        {
          entry: EVIL,
          points: [
            { step: 0, mean: 1, low: 0.9, high: 1.1 },
            { step: 1, mean: 2, low: 1.9, high: 2.1 },
          ],
        },
      ],
      colors: new Map([[EVIL, '#0072B2']]),
    });
    const svg = await renderSvg(spec);
    expect(svg).toContain('>epoch</text>');
    expect(svg).not.toContain(EVIL);
    expect(svg).not.toContain('xmlns');
  });

  it('draws further closed-form curves (e.g. an oracle) grey and dotted, named by their label', async () => {
    const curve = (label: string, values: number[]) => ({ metric: TASK.metrics[0].name, steps: [0, 1], values, label });
    const spec = chartSpec({
      metric: TASK.metrics[0],
      stepAxis: 'generation',
      series: [
        {
          entry: 'replace',
          points: [
            { step: 0, mean: 1, low: 0.9, high: 1.1 },
            { step: 1, mean: 2, low: 1.9, high: 2.1 },
          ],
        },
      ],
      theory: curve('replace, OLS: E[excess]', [1, 2]),
      references: [curve('oracle scalar shrinkage: r²V/(r²+V)', [0.5, 0.66])],
      colors: new Map([['replace', '#0072B2']]),
    }) as unknown as {
      layer: {
        data: { values: { entry: string }[] };
        mark: { strokeDash?: number[] };
        encoding: { color: { scale: { domain: string[]; range: string[] } } };
      }[];
    };
    // The last line layer (the tooltip points lie above all lines).
    const last = spec.layer.filter((l) => (l.mark as { type?: string }).type === 'line').at(-1)!;
    expect(last.data.values.map((v) => v.entry)).toEqual(['oracle scalar shrinkage', 'oracle scalar shrinkage']);
    expect(last.mark.strokeDash).toEqual([2, 3]);
    expect(last.encoding.color.scale.domain).toEqual(['replace', 'theory', 'oracle scalar shrinkage']);
    expect(last.encoding.color.scale.range).toEqual(['#0072B2', '#000000', '#6e6e6e']);
    expect(await renderSvg(spec as never)).toContain('oracle scalar shrinkage');
  });
});
