import { describe, expect, it } from 'vitest';
import type { ResultRecord } from '../../../harness/schema.ts';
import type { SettingScore } from '../../../harness/scoring.ts';
import type { MetricSpec } from '../../../harness/types.ts';
import { NARROW_PLOT, curvesChart } from './curves.ts';

const METRIC = { name: 'w2', direction: 'lower', primary: true, description: 'distance' } as MetricSpec;

function row(method: string): SettingScore {
  return { task: 't', taskParams: { n: 1 }, entry: method, method, methodParams: {} } as unknown as SettingScore;
}

function record(method: string, seed: number, values: number[], status: ResultRecord['status'] = 'ok'): ResultRecord {
  return {
    key: { task: 't', taskParams: { n: 1 }, method, methodParams: {}, seed },
    status,
    steps: values.map((_, i) => i),
    metrics: { w2: { mean: values, se: values.map(() => 0.01) } },
  } as unknown as ResultRecord;
}

type Layered = {
  width: number;
  layer: { name?: string; mark: { type: string }; data: { values: { entry: string }[] } }[];
  encoding?: unknown;
};

describe('curvesChart', () => {
  const records = [
    record('replace', 0, [1, 2, 3]),
    record('replace', 1, [1, 2, 5]),
    record('accumulate', 0, [1, 1, 1]),
    record('accumulate', 1, [9, 9, 9], 'failed'),
  ];
  const chart = curvesChart({
    title: 'T',
    stepAxis: 'generation',
    metric: METRIC,
    rows: [row('accumulate'), row('replace'), row('real-only')],
    records,
    colors: new Map(),
  })!;

  it('draws the ok records of each row, in row order, with tooltips on the wide layout only', () => {
    const wide = chart.spec as unknown as Layered;
    const lines = wide.layer.find((l) => l.mark.type === 'line')!;
    expect([...new Set(lines.data.values.map((v) => v.entry))]).toEqual(['accumulate', 'replace']);
    expect(wide.layer.some((l) => l.name === 'tooltips')).toBe(true);
    expect(chart.description).toContain('for accumulate, replace.');
  });

  it('has a phone layout as wide as the screen, without hover points', () => {
    const narrow = chart.narrow as unknown as Layered;
    expect(narrow.width).toBe(NARROW_PLOT.width);
    expect(narrow.layer.some((l) => l.name === 'tooltips')).toBe(false);
  });

  it('is null when nothing reports the metric and there is no theory', () => {
    expect(
      curvesChart({
        title: 'T',
        stepAxis: 'generation',
        metric: { ...METRIC, name: 'other' },
        rows: [row('replace')],
        records,
        colors: new Map(),
      }),
    ).toBeNull();
  });
});
