import { describe, expect, it } from 'vitest';
import type { ResultRecord, Snapshot } from '../../harness/schema.ts';
import type { SettingScore } from '../../harness/scoring.ts';
import { DENSITY_BOX, POINTS_BOX, densityFrame, densityPath, pointsFrame, pointsPaths, samplesOf, stepLabel } from './samples.ts';

const TASK_PARAMS = { n: 1 };

function row(method: string, methodParams: Record<string, number> = {}, entry = method): SettingScore {
  return {
    setting: 't/x',
    task: 't',
    taskParams: TASK_PARAMS,
    entry,
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
    curve: [0, 1],
    area: 1,
    normalized: 0.5,
    normalizedCi: null,
    final: 1,
    finalCi: null,
    stepsToCollapse: null,
    censored: false,
    realSamplesPerChain: 0,
    wallMs: 1,
  };
}

function record(
  method: string,
  seed: number,
  snapshots: Snapshot[] | undefined,
  options: { status?: ResultRecord['status']; methodParams?: Record<string, number>; taskParams?: Record<string, number> } = {},
): ResultRecord {
  return {
    key: { task: 't', taskParams: options.taskParams ?? TASK_PARAMS, method, methodParams: options.methodParams ?? {}, seed },
    status: options.status ?? 'ok',
    ...(snapshots && { snapshots }),
  } as unknown as ResultRecord;
}

const text = (step: number | null, line: string): Snapshot => ({ kind: 'text', step, lines: [line] });

describe('samplesOf', () => {
  it('shows per entry, in row order, the lowest seed that has pictures, with the real data first', () => {
    const records = [
      record('replace', 0, undefined), // an older record without pictures
      record('replace', 2, [text(6, 'r2-last'), text(null, 'real'), text(0, 'r2-first')]),
      record('replace', 1, [text(6, 'r1-last'), text(null, 'real'), text(0, 'r1-first'), text(3, 'r1-mid')]),
      record('accumulate', 0, [text(null, 'real'), text(0, 'a0')], { status: 'failed' }), // failed: not shown
      record('accumulate', 3, [text(null, 'real'), text(0, 'a3')]),
      record('replace', 0, [text(null, 'other setting')], { taskParams: { n: 2 } }),
    ];
    const [view] = samplesOf([row('accumulate'), row('replace'), row('real-only')], records);
    expect(view.kind).toBe('text');
    expect(view.rows.map((r) => [r.entry, r.seed])).toEqual([
      ['accumulate', 3],
      ['replace', 1],
    ]);
    expect(view.steps).toEqual([null, 0, 3, 6]);
    expect(view.seeds).toEqual([1, 3]);
    const replace = view.rows[1].byStep;
    expect(replace.get(3)).toEqual(text(3, 'r1-mid'));
    expect(replace.get(null)).toEqual(text(null, 'real'));
  });

  it('tells entries of one method apart by their parameters, and has nothing to show without pictures', () => {
    const records = [
      record('mix', 0, [text(0, 'a')], { methodParams: { a: 1 } }),
      record('mix', 0, [text(0, 'b')], { methodParams: { a: 2 } }),
    ];
    const [view] = samplesOf([row('mix', { a: 1 }, 'mix(a=1)'), row('mix', { a: 2 }, 'mix(a=2)')], records);
    expect(view.rows.map((r) => r.byStep.get(0))).toEqual([text(0, 'a'), text(0, 'b')]);
    expect(samplesOf([row('replace')], [record('replace', 0, undefined)])).toEqual([]);
  });
});

describe('stepLabel', () => {
  it('names the real data and the steps', () => {
    expect(stepLabel(null, 'generation')).toBe('real data');
    expect(stepLabel(null, 'generation', 'real text')).toBe('real text');
    expect(stepLabel(3, 'epoch')).toBe('epoch 3');
  });
});

describe('points panels', () => {
  const points = (step: number | null, xy: [number, number][], labels?: number[]): Extract<Snapshot, { kind: 'points' }> => ({
    kind: 'points',
    step,
    x: xy.map((p) => p[0]),
    y: xy.map((p) => p[1]),
    label: labels ?? xy.map(() => 0),
  });

  it('share one square frame around the real data, leaving out a far-off sample, which sits on the edge', () => {
    const real = points(null, [
      [-1, -0.5],
      [1, 0.5],
      [0, 0],
    ]);
    // 200 model samples inside [-1, 1] and one at x = 50.
    const model = points(3, [...Array.from({ length: 200 }, (_, i): [number, number] => [-1 + (2 * i) / 199, 0]), [50, 0]]);
    const frame = pointsFrame([real, model]);
    expect(frame.x[1] - frame.x[0]).toBeCloseTo(frame.y[1] - frame.y[0], 9);
    expect(frame.x[0]).toBeLessThan(-1);
    expect(frame.x[1]).toBeGreaterThan(1);
    expect(frame.x[1]).toBeLessThan(2);
    const { paths, clamped } = pointsPaths(model, frame);
    expect(clamped).toBe(1);
    expect(paths[0].d).toContain(`M${POINTS_BOX.toFixed(1)} `);
  });

  it('draw one path of dots per class label, y pointing up, non-finite points dropped', () => {
    const frame = { x: [0, 10] as [number, number], y: [0, 10] as [number, number] };
    const { paths, clamped } = pointsPaths(
      points(
        0,
        [
          [1, 9],
          [5, 5],
          [Number.NaN, 1],
          [9, 1],
        ],
        [2, 0, 0, 2],
      ),
      frame,
    );
    expect(clamped).toBe(0);
    expect(paths.map((p) => p.label)).toEqual([0, 2]);
    expect(paths[0].d).toBe('M50.0 50.0h0');
    expect(paths[1].d).toBe('M10.0 10.0h0M90.0 90.0h0');
    expect(paths[0].color).not.toBe(paths[1].color);
  });
});

describe('density panels', () => {
  const gaussian = (step: number | null, mean: number[], variance: number[]): Extract<Snapshot, { kind: 'gaussian' }> => ({
    kind: 'gaussian',
    step,
    mean,
    variance,
  });
  const peak = (variance: number) => 1 / Math.sqrt(2 * Math.PI * variance);

  it('span the truth ± 4 sd, widened to drifted chains, with the top cut for a collapsed spike', () => {
    const truth = gaussian(null, [0], [1]);
    const frame = densityFrame([truth, gaussian(0, [0.1, -0.2], [1.1, 0.9]), gaussian(20, [-3, 0, 30], [1, 1e-6, 1])]);
    expect(frame.x[0]).toBeCloseTo(-5.5, 9); // -3 - 2.5·1
    expect(frame.x[1]).toBeCloseTo(6, 9); // the chain at 30 is past the cap, the truth + 6 sd
    expect(frame.yMax).toBeCloseTo(3 * peak(1), 9);
    expect(frame.cut).toBe(true);
    const calm = densityFrame([truth, gaussian(0, [0], [0.5])]);
    expect(calm.cut).toBe(false);
    expect(calm.yMax).toBeCloseTo(peak(0.5) * 1.05, 9);
  });

  it('keep a narrow peak and never draw above the frame by more than a hair', () => {
    const frame = { x: [-4, 4] as [number, number], yMax: 1, cut: true };
    const path = densityPath(0.013, 1e-4, frame);
    const ys = [...path.matchAll(/[ML][\d.-]+ ([\d.-]+)/g)].map((m) => Number(m[1]));
    expect(Math.min(...ys)).toBe(-1); // the spike reaches past the top edge, cut there
    expect(Math.max(...ys)).toBeCloseTo(DENSITY_BOX.height, 1);
    expect(densityPath(0, 0, frame)).toBe('');
    expect(densityPath(0, 1, frame, true).endsWith(`L${DENSITY_BOX.width} ${DENSITY_BOX.height}L0 ${DENSITY_BOX.height}Z`)).toBe(true);
  });
});
