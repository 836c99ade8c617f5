/** The CLI's text layout: parameter tables that never cut a name, and per-task score tables. */
import { describe, expect, it } from 'vitest';
import { stripVTControlCharacters as plain } from 'node:util';
import * as output from './output.ts';
import type { ParamInfo } from '../harness/params.ts';
import type { EntryScore, Scores, SettingScore } from '../harness/scoring.ts';

// Colours depend on the environment (picocolors turns them on when CI is set): compare plain text.
const formatTaskTables = (...args: Parameters<typeof output.formatTaskTables>) => plain(output.formatTaskTables(...args));
const formatLeaderboard = (...args: Parameters<typeof output.formatLeaderboard>) => plain(output.formatLeaderboard(...args));
const paramTable = (...args: Parameters<typeof output.paramTable>) => ({ toString: () => plain(output.paramTable(...args).toString()) });

// Without colours, so the text is what is asserted.
process.env.NO_COLOR = '1';

describe('paramTable', () => {
  const params: ParamInfo[] = [
    {
      name: 'pretrain_learning_rate_of_the_denoiser',
      type: 'number',
      default: 0.002,
      description: 'pretraining Adam step size '.repeat(8),
    },
    {
      name: 'candidates',
      type: 'string',
      enum: ['accumulated_including_real', 'synthetic_only'],
      default: 'accumulated_including_real',
      description: 'which batches are candidates',
    },
    { name: 'r', type: 'number', default: 0.001, description: 'ridge' },
  ];

  it.each([40, 80, 200])('shows every name, choice and default in full at width %i', (width) => {
    const text = paramTable(params, width).toString();
    const cells = new Set(text.split('\n').flatMap((line) => line.split('│').map((cell) => cell.trim())));
    for (const p of params) {
      expect(cells).toContain(p.name);
      expect(cells).toContain(String(p.default));
    }
    expect(text).toMatch(/\baccumulated_including_real\b/);
    expect(text).toMatch(/\bsynthetic_only\b/);
    expect(text).not.toContain('…');
  });

  it('wraps a long description within the width instead of cutting it', () => {
    const lines = paramTable([params[0], params[2]], 100).toString().split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBe(100);
    const description = lines
      .map((l) => l.split('│')[4]?.trim() ?? '')
      .join(' ')
      .replace(/\s+/g, ' ');
    expect(description).toContain(params[0].description.trim());
  });
});

const base = {
  taskParams: {},
  methodParams: {},
  seeds: 3,
  failed: 0,
  timeout: 0,
  skipped: 0,
  steps: [0, 1],
  curve: [0, 0],
  area: 1,
  normalizedCi: null,
  final: 0,
  finalCi: null,
  stepsToCollapse: null,
  censored: false,
  realSamplesPerChain: 0,
  wallMs: 1,
  improvement: { reference: null, bestBaseline: null },
  extraRealData: false,
};
function row(
  setting: string,
  task: string,
  taskParams: Record<string, unknown>,
  entry: string,
  fields: Partial<SettingScore>,
): SettingScore {
  return {
    ...base,
    setting,
    task,
    taskParams,
    entry,
    method: entry,
    role: 'entry',
    rank: null,
    normalized: null,
    ...fields,
  } as SettingScore;
}
const ci = (low: number, high: number) => ({ low, high });

describe('formatTaskTables', () => {
  // Two settings of one task (they differ in `samples`) and a task whose scale entries show no collapse.
  const a = 'chain/aaaa',
    b = 'chain/bbbb',
    flat = 'flat/cccc';
  const settings: SettingScore[] = [
    row(a, 'chain', { samples: 20, dim: 1 }, 'real-only', { role: 'oracle', normalized: 0, normalizedCi: ci(0, 0) }),
    row(a, 'chain', { samples: 20, dim: 1 }, 'replace', { role: 'reference', normalized: 1, normalizedCi: ci(1, 1) }),
    row(a, 'chain', { samples: 20, dim: 1 }, 'accumulate', { rank: 2, normalized: 0.3, normalizedCi: ci(0.2, 0.4), seeds: 2, failed: 1 }),
    row(a, 'chain', { samples: 20, dim: 1 }, 'fresh-mixing', {
      rank: 1,
      normalized: 0.1,
      normalizedCi: ci(0.05, 0.15),
      extraRealData: true,
    }),
    row(a, 'chain', { samples: 20, dim: 1 }, 'not-here', { seeds: 0, skipped: 3, normalizedNote: 'no ok records' }),
    row(b, 'chain', { samples: 10, dim: 1 }, 'real-only', { role: 'oracle', normalized: 0 }),
    row(b, 'chain', { samples: 10, dim: 1 }, 'replace', { role: 'reference', normalized: 1 }),
    row(b, 'chain', { samples: 10, dim: 1 }, 'accumulate', { rank: 1, normalized: 0.5 }),
    row(flat, 'flat', { n: 5 }, 'oracle-x', { role: 'oracle', normalized: 0 }),
    row(flat, 'flat', { n: 5 }, 'reference-y', { role: 'reference', normalized: 1 }),
    row(flat, 'flat', { n: 5 }, 'accumulate', { normalized: 3.2 }),
  ];
  const summary = (setting: string, task: string, collapse: boolean, note?: string) => ({
    setting,
    task,
    taskParams: {},
    oracle: 'real-only',
    reference: 'replace',
    seeds: { oracle: 3, reference: 3 },
    gap: null,
    gapCi: null,
    collapse,
    ...(note && { note }),
  });
  const scores = {
    settings,
    entries: [],
    resamples: 10,
    confidence: 0.95,
    settingSummaries: [
      summary(a, 'chain', true),
      summary(b, 'chain', true),
      {
        ...summary(flat, 'flat', false, 'no collapse to mitigate: reference-y does not degrade more than oracle-x'),
        oracle: 'oracle-x',
        reference: 'reference-y',
      },
    ],
  } as Scores;
  const text = formatTaskTables(scores);
  const lines = text.split('\n');
  const cellsOf = (line: string) =>
    line
      .split('│')
      .slice(1, -1)
      .map((c) => c.trim());
  const tableAfter = (title: string) => {
    const start = lines.findIndex((l) => l.startsWith(title));
    expect(start, `${title} in\n${text}`).toBeGreaterThanOrEqual(0);
    const rows: string[][] = [];
    for (const line of lines.slice(start + 4)) {
      if (!line.startsWith('│')) break;
      rows.push(cellsOf(line));
    }
    return { rows, after: lines.slice(start + 4 + rows.length + 1) };
  };

  it('lists ranked entries by rank, then the scale entries (oracle, reference) as unranked reference rows', () => {
    const { rows } = tableAfter('chain · samples=20');
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      ['1', 'fresh-mixing +real'],
      ['2', 'accumulate'],
      ['oracle', 'real-only'],
      ['reference', 'replace'],
    ]);
    expect(rows[1]).toEqual(['2', 'accumulate', '0.300', '[0.200, 0.400]', '2 (1 failed)']);
  });

  it('labels a task’s settings by the parameters that differ, in their order, and names the scale entries', () => {
    const titles = lines.filter((l) => l.startsWith('chain'));
    expect(titles).toEqual([
      'chain · samples=10 — normalized collapse area, lower is better (real-only = 0, replace = 1)',
      'chain · samples=20 — normalized collapse area, lower is better (real-only = 0, replace = 1)',
    ]);
  });

  it('leaves out methods that do not apply, explains +real, and prints a setting’s no-collapse note under its table', () => {
    expect(text).not.toContain('not-here');
    expect(tableAfter('chain · samples=20').after[0]).toBe('  +real: used more fresh real data than the reference (an easier problem)');
    const flatTable = tableAfter('flat —');
    expect(flatTable.rows.map((r) => r.slice(0, 3))).toEqual([
      ['—', 'accumulate', '3.200'],
      ['oracle', 'oracle-x', '0.000'],
      ['reference', 'reference-y', '1.000'],
    ]);
    expect(flatTable.after[0]).toBe('  no collapse to mitigate: reference-y does not degrade more than oracle-x');
  });

  it('suggests running a missing scale entry', () => {
    const lone = {
      ...scores,
      settings: [settings[1]],
      settingSummaries: [
        { ...summary(a, 'chain', false, "oracle 'real-only' has no records on this setting"), seeds: { oracle: 0, reference: 3 } },
      ],
    } as Scores;
    expect(formatTaskTables(lone)).toContain(
      "  oracle 'real-only' has no records on this setting — add --method real-only to score this task",
    );
  });

  it('ranks by normalized area when the scores carry no roles or ranks (files from before they existed)', () => {
    const old = settings.filter((r) => r.setting === a).map(({ role: _role, rank: _rank, extraRealData: _extra, ...rest }) => rest);
    const { rows } = (() => {
      const t = formatTaskTables({ settings: old, entries: [], resamples: 10, confidence: 0.9 } as unknown as Scores).split('\n');
      return {
        rows: t
          .slice(4)
          .filter((l) => l.startsWith('│'))
          .map(cellsOf),
      };
    })();
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      ['1', 'real-only'],
      ['2', 'fresh-mixing'],
      ['3', 'accumulate'],
      ['4', 'replace'],
    ]);
  });
});

describe('formatLeaderboard', () => {
  const entry = (fields: Partial<EntryScore>) =>
    ({
      methodParams: {},
      role: 'entry',
      basis: ['chain'],
      iqm: null,
      ci: null,
      rank: null,
      tier: null,
      extraRealData: false,
      improvement: { reference: null, bestBaseline: null },
      coverage: { applicable: 1, total: 1 },
      missing: [],
      settings: 1,
      realSamplesPerChain: 0,
      wallMs: 0,
      ...fields,
    }) as EntryScore;
  const scores = {
    settings: [],
    settingSummaries: [],
    resamples: 10,
    confidence: 0.95,
    entries: [
      entry({ entry: 'good', method: 'good', iqm: 0.1, ci: ci(0, 0.2), rank: 1, tier: 1 }),
      entry({ entry: 'wide', method: 'wide', iqm: 0.4, ci: ci(-1, 2), unranked: 'interval wider than 1' }),
      entry({ entry: 'elsewhere', method: 'elsewhere', basis: [], coverage: { applicable: 0, total: 1 } }),
      entry({ entry: 'replace', method: 'replace', role: 'reference', basis: [] }),
    ],
  } as Scores;
  const text = formatLeaderboard(scores);

  it('shows references after the entries, unranked, and says why an entry is not ranked', () => {
    const rows = text
      .split('\n')
      .filter((l) => l.startsWith('│'))
      .slice(1)
      .map((l) =>
        l
          .split('│')
          .slice(1, 4)
          .map((c) => c.trim()),
      );
    expect(rows).toEqual([
      ['1', '1', 'good'],
      ['—', '—', 'wide'],
      ['reference', '—', 'replace'],
    ]);
    expect(text).toContain('  wide: not ranked — interval wider than 1');
    expect(text).toContain('  not applicable to these tasks: elsewhere');
  });
});
