import { describe, expect, it } from 'vitest';
import type { SettingScore } from '../../harness/scoring.ts';
import { dimValues, phaseGroups } from './sweep.ts';

function row(
  method: string,
  taskParams: Record<string, number | string>,
  methodParams: Record<string, number> = {},
  final = 1,
): SettingScore {
  return {
    setting: `t/${JSON.stringify(taskParams)}`,
    task: 't',
    taskParams,
    entry: method,
    method,
    methodParams,
    role: 'entry',
    rank: null,
    extraRealData: false,
    improvement: { reference: null, bestBaseline: null },
    seeds: 2,
    failed: 0,
    timeout: 0,
    skipped: 0,
    steps: [0, 1],
    curve: [0, final],
    area: final / 2,
    normalized: 0.5,
    normalizedCi: null,
    final,
    finalCi: null,
    stepsToCollapse: null,
    censored: false,
    realSamplesPerChain: 0,
    wallMs: 1,
  };
}

describe('phaseGroups', () => {
  it('finds the task parameters a method sweeps, and groups methods that sweep the same ones', () => {
    const rows = [10, 40].flatMap((samples) => [0, 1].flatMap((g) => ['replace', 'accumulate'].map((m) => row(m, { samples, g, d: 1 }))));
    const groups = phaseGroups(rows);
    expect(groups).toHaveLength(1);
    expect(groups[0].dims).toEqual(['samples', 'g']);
    expect(groups[0].methods).toEqual(['replace', 'accumulate']);
    expect(groups[0].points).toHaveLength(8);
  });

  it('names a swept method parameter <method>.<name>, apart from methods that do not sweep it', () => {
    const rows = [10, 40].flatMap((samples) => [
      row('replace', { samples }),
      ...[0.1, 0.5].map((alpha) => row('mix', { samples }, { alpha })),
    ]);
    const groups = phaseGroups(rows);
    expect(groups.map((g) => [g.dims, g.methods])).toEqual([
      [['samples'], ['replace']],
      [['samples', 'mix.alpha'], ['mix']],
    ]);
  });

  it('has nothing to draw without a sweep', () => {
    expect(phaseGroups([row('replace', { samples: 10 }), row('accumulate', { samples: 10 })])).toEqual([]);
  });

  it('orders numeric values numerically', () => {
    const rows = [40, 5, 100].map((samples) => row('replace', { samples }));
    expect(dimValues(phaseGroups(rows)[0].points, 'samples')).toEqual([5, 40, 100]);
  });
});
