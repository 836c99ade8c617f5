import { describe, expect, it } from 'vitest';
import {
  DASHES,
  METHOD_COLORS,
  METHOD_PALETTE,
  TOOLTIP_LAYER,
  chartSpec,
  entryColors,
  entryDashes,
  logTicks,
  methodColor,
  renderSvg,
  wantsLogScale,
  type BandPoint,
} from './charts.ts';
import type { Scores } from './scoring.ts';
import type { MetricSpec } from './types.ts';

/** Scores with one setting row per (entry, method, task); only the fields the colours read. */
function scores(rows: { entry: string; method?: string; task?: string; seeds?: number }[]): Scores {
  return {
    entries: rows.map((r) => ({ entry: r.entry, method: r.method ?? r.entry })),
    settings: rows.map((r) => ({ entry: r.entry, method: r.method ?? r.entry, task: r.task ?? 'gaussian-chain', seeds: r.seeds ?? 3 })),
  } as unknown as Scores;
}

const METRIC = { name: 'w2', direction: 'lower', primary: true, description: 'distance' } as MetricSpec;
const flat = (value: number, steps = 3): BandPoint[] =>
  Array.from({ length: steps }, (_, step) => ({ step, mean: value, low: value - 0.5, high: value + 0.5 }));

describe('entry colours', () => {
  it('are fixed per method and do not move when entries are added', () => {
    const few = entryColors(scores([{ entry: 'replace' }, { entry: 'accumulate' }]));
    const more = entryColors(scores([{ entry: 'zeta-method' }, { entry: 'accumulate' }, { entry: 'alpha-method' }, { entry: 'replace' }]));
    expect(few.get('replace')).toBe(METHOD_COLORS.replace);
    expect(more.get('replace')).toBe(few.get('replace'));
    expect(more.get('accumulate')).toBe(few.get('accumulate'));
    // Unknown methods hash into the palette kept apart from the main baselines' colours.
    for (const name of ['zeta-method', 'alpha-method']) expect(METHOD_PALETTE).toContain(more.get(name));
    for (const baseline of ['real-only', 'replace', 'accumulate', 'accumulate-subsample'])
      expect(METHOD_PALETTE).not.toContain(METHOD_COLORS[baseline]);
    expect(methodColor('zeta-method')).toBe(more.get('zeta-method'));
  });

  it('follow the method, so the parameter variants of one method share a colour', () => {
    const colors = entryColors(
      scores([
        { entry: 'mix(a=1)', method: 'mix' },
        { entry: 'mix(a=2)', method: 'mix' },
      ]),
    );
    expect(colors.get('mix(a=1)')).toBe(methodColor('mix'));
    expect(colors.get('mix(a=2)')).toBe(methodColor('mix'));
  });

  it('give the seed methods that share a task different colours', () => {
    const byTask: Record<string, string[]> = {
      'gaussian-chain': [
        'real-only',
        'replace',
        'accumulate',
        'accumulate-subsample',
        'contraction-filter',
        'fresh-data-mixing',
        'generation-weighting',
      ],
      regression: [
        'real-only',
        'replace',
        'accumulate',
        'accumulate-subsample',
        'adaptive-regularization',
        'fresh-data-mixing',
        'generation-weighting',
      ],
      diffusion: [
        'real-only',
        'replace',
        'accumulate',
        'accumulate-subsample',
        'fresh-data-mixing',
        'generation-weighting',
        'latent-filtering',
        'latent-threshold-filtering',
      ],
      dcca: ['dcca', 'dcca-weight-decay', 'early-stopping', 'linear-cca', 'noise-regularization'],
      'diffusion-align': ['pretrained', 'grpo', 'pcpo'],
    };
    for (const [task, methods] of Object.entries(byTask)) expect(new Set(methods.map(methodColor)).size, task).toBe(methods.length);
  });
});

describe('entry dashes', () => {
  it('are solid unless two entries of one task share a colour; then the baseline and the plain entry keep the solid line', () => {
    const dashes = entryDashes(
      scores([
        { entry: 'mix(a=2)', method: 'mix' },
        { entry: 'mix', method: 'mix' },
        { entry: 'mix(a=1)', method: 'mix' },
        { entry: 'replace' },
        { entry: 'real-only' },
        { entry: 'early-stopping', task: 'dcca' }, // green like real-only, but never on the same chart
      ]),
    );
    expect(dashes.get('replace')).toEqual([]);
    expect(dashes.get('real-only')).toEqual([]);
    expect(dashes.get('early-stopping')).toEqual([]);
    expect(dashes.get('mix')).toEqual([]);
    expect(dashes.get('mix(a=1)')).toEqual(DASHES[1]);
    expect(dashes.get('mix(a=2)')).toEqual(DASHES[2]);
  });

  it('keep a fixed-colour method solid when an unknown method hashes onto its colour', () => {
    const orange = METHOD_COLORS['fresh-data-mixing'];
    const clash = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9'].find((m) => methodColor(m) === orange)!;
    expect(clash).toBeDefined();
    const dashes = entryDashes(scores([{ entry: clash }, { entry: 'fresh-data-mixing' }]));
    expect(dashes.get('fresh-data-mixing')).toEqual([]);
    expect(dashes.get(clash)).toEqual(DASHES[1]);
    // Entries with no ok seeds draw no line and so collide with nothing.
    expect(entryDashes(scores([{ entry: clash, seeds: 0 }, { entry: 'fresh-data-mixing' }])).get(clash)).toEqual([]);
  });
});

describe('log scale', () => {
  it('when all values are positive, span more than a factor of 30 and most lie low', () => {
    expect(wantsLogScale([0.01, 0.02, 0.03, 0.5])).toBe(true);
    expect(wantsLogScale([0.02, 0.03, 0.5])).toBe(false); // a factor of 25
    expect(wantsLogScale([0.01, 0.5, 0.6, 0.6])).toBe(false); // one curve falls to zero, the rest stay high
    expect(wantsLogScale([0, 0.01, 0.02, 0.5])).toBe(false);
    expect(wantsLogScale([-1, 0.01, 0.02, 0.5])).toBe(false);
    expect(wantsLogScale([])).toBe(false);
  });

  it('is labelled at 1, 2 and 5 times the powers of ten within the data', () => {
    expect(logTicks(0.0127, 0.531)).toEqual([0.02, 0.05, 0.1, 0.2, 0.5]);
    expect(logTicks(3, 3000)).toEqual([5, 10, 20, 50, 100, 200, 500, 1000, 2000]);
  });

  it('says so in the axis title and cuts bands that reach zero at half the smallest value', () => {
    const spec = chartSpec({
      metric: METRIC,
      stepAxis: 'generation',
      series: [
        { entry: 'replace', points: flat(40) },
        { entry: 'real-only', points: flat(0.2) },
        { entry: 'accumulate', points: flat(0.3) },
      ],
      colors: new Map(),
    }) as unknown as {
      layer: {
        mark: { type: string };
        data: { values: { low?: number; entry: string }[] };
        encoding: { y: { title: string; scale: { type?: string } } };
      }[];
    };
    const [bands, lines] = spec.layer;
    expect(lines.encoding.y.title).toBe('w2 (lower is better; log scale)');
    expect((lines.encoding.y as { axis?: { values: number[] } }).axis?.values).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10, 20]);
    expect(lines.encoding.y.scale.type).toBe('log');
    expect(bands.data.values.filter((v) => v.entry === 'real-only').map((v) => v.low)).toEqual([0.1, 0.1, 0.1]);
    const linear = chartSpec({
      metric: METRIC,
      stepAxis: 'generation',
      series: [{ entry: 'replace', points: flat(1) }],
      colors: new Map(),
    }) as unknown as typeof spec;
    expect(linear.layer[1].encoding.y.title).toBe('w2 (lower is better)');
    expect(linear.layer[1].encoding.y.scale.type).toBeUndefined();
  });
});

describe('chart layers and tooltips', () => {
  const theory = { metric: 'w2', steps: [0, 1, 2], values: [1, 1, 1], label: 'replace: E W2' };

  it('draw the theory above the entries, thinner and translucent, and the tooltip points on top', () => {
    const spec = chartSpec({
      metric: METRIC,
      stepAxis: 'generation',
      series: [{ entry: 'replace', points: flat(1) }],
      theory,
      colors: new Map([['replace', '#D55E00']]),
    }) as unknown as {
      layer: {
        name?: string;
        mark: { type: string; strokeWidth?: number; strokeOpacity?: number };
        data: { values: { entry: string }[] };
      }[];
    };
    const kinds = spec.layer.map((l) => [l.mark.type, l.data.values[0]?.entry]);
    expect(kinds).toEqual([
      ['area', 'replace'],
      ['line', 'replace'],
      ['line', 'theory'],
      ['point', 'replace'],
    ]);
    expect(spec.layer[2].mark.strokeWidth).toBeLessThan(spec.layer[1].mark.strokeWidth!);
    expect(spec.layer[2].mark.strokeOpacity).toBeLessThan(1);
    expect(spec.layer[3].name).toBe(TOOLTIP_LAYER);
  });

  it('render a <title> per value naming entry, step and value, escaped, and no aria-labels inside the SVG', async () => {
    const evil = '<b>"evil"</b>';
    const svg = await renderSvg(
      chartSpec({ metric: METRIC, stepAxis: 'epoch', series: [{ entry: evil, points: flat(2, 2) }], theory, colors: new Map() }),
    );
    const titles = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);
    expect(titles).toEqual([
      '&lt;b&gt;&quot;evil&quot;&lt;/b&gt;, epoch 0: w2 2 (95% band 1.5 to 2.5)',
      '&lt;b&gt;&quot;evil&quot;&lt;/b&gt;, epoch 1: w2 2 (95% band 1.5 to 2.5)',
      'theory, epoch 0: w2 1',
      'theory, epoch 1: w2 1',
      'theory, epoch 2: w2 1',
    ]);
    expect(svg).not.toContain(evil);
    expect(svg).not.toContain('aria-label');
    expect(svg).toContain(`class="mark-symbol role-mark ${TOOLTIP_LAYER}_marks"`);
  });
});
