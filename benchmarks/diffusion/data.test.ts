/**
 * The three 2-D data sets against their documented ground truth: determinism, label
 * balance, overall and per-class variance (Monte Carlo against `classVariance`), and `modeOf`
 * on centres, off-mode points and samples of known mode. The spiral arm curve is re-derived
 * here from its documented formula, independently of data.ts.
 */
import { describe, expect, it } from 'vitest';
import { rngFromKey } from '../../harness/rng.ts';
import { dataset, type Dataset, type DatasetName } from './data.ts';

const NAMES: DatasetName[] = ['ring', 'grid', 'spirals'];

function draw(ds: Dataset, n: number, label: string): { points: Float32Array; labels: Int32Array } {
  const points = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  ds.sample(n, rngFromKey('diffusion data test', label), points, labels);
  return { points, labels };
}

/** The documented spiral arm: r = 0.3 + 2.2s, angle = 2πk/3 + 2π·0.75·s. */
function armPoint(k: number, s: number): [number, number] {
  const r = 0.3 + 2.2 * s;
  const angle = (2 * Math.PI * k) / 3 + 1.5 * Math.PI * s;
  return [r * Math.cos(angle), r * Math.sin(angle)];
}

describe('dataset.sample', () => {
  it.each(NAMES)('%s: the same seed gives the same samples, another seed different ones', (name) => {
    const ds = dataset(name);
    const a = draw(ds, 500, 'determinism');
    const b = draw(ds, 500, 'determinism');
    const c = draw(ds, 500, 'determinism-other');
    expect(b.points).toEqual(a.points);
    expect(b.labels).toEqual(a.labels);
    expect(c.points).not.toEqual(a.points);
  });

  it('writes exactly rows offset … offset + n − 1', () => {
    const ds = dataset('ring');
    const points = new Float32Array(20).fill(99);
    const labels = new Int32Array(10).fill(-5);
    ds.sample(4, rngFromKey('diffusion data test', 'offset'), points, labels, 3);
    for (let i = 0; i < 10; i++) {
      const written = i >= 3 && i < 7;
      expect(labels[i] === -5).toBe(!written);
      expect(points[2 * i] === 99 && points[2 * i + 1] === 99).toBe(!written);
    }
  });

  it.each(NAMES)('%s: labels are uniform over classes and match the point (modeOf class)', (name) => {
    const ds = dataset(name);
    const n = 20_000;
    const { points, labels } = draw(ds, n, `labels-${name}`);
    const counts = new Float64Array(ds.classes);
    let onMode = 0;
    let agree = 0;
    for (let i = 0; i < n; i++) {
      counts[labels[i]]++;
      const m = ds.modeOf(points[2 * i], points[2 * i + 1]);
      if (m >= 0) {
        onMode++;
        if (ds.modeClass[m] === labels[i]) agree++;
      }
    }
    // Pearson χ² with classes − 1 d.o.f.: mean C − 1, sd √(2(C − 1)); 6 sd is a loose bound.
    const expected = n / ds.classes;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(ds.classes - 1 + 6 * Math.sqrt(2 * (ds.classes - 1)));
    expect(agree / onMode).toBeGreaterThan(0.999);
    // Gaussian modes keep 1 − e^(−4.5) of their mass within 3 std; a spiral's 1-D transverse
    // noise keeps more (≈ 0.997 away from the arm ends).
    if (name === 'spirals') expect(onMode / n).toBeGreaterThan(0.99);
    else expect(Math.abs(onMode / n - (1 - Math.exp(-4.5)))).toBeLessThan(5 * Math.sqrt((0.011 * 0.989) / n));
  });

  it.each(NAMES)('%s: overall per-axis variance is between 1 and 2.5, mean ≈ 0', (name) => {
    const { points } = draw(dataset(name), 20_000, `overall-${name}`);
    for (const axis of [0, 1]) {
      let s = 0;
      let s2 = 0;
      for (let i = axis; i < points.length; i += 2) {
        s += points[i];
        s2 += points[i] ** 2;
      }
      const n = points.length / 2;
      const mean = s / n;
      const variance = s2 / n - mean * mean;
      expect(variance).toBeGreaterThan(1);
      expect(variance).toBeLessThan(2.5);
      expect(Math.abs(mean)).toBeLessThan(6 * Math.sqrt(variance / n));
    }
  });
});

describe('classVariance', () => {
  it.each(NAMES)('%s: matches the per-class sample variance within Monte Carlo error', (name) => {
    const ds = dataset(name);
    const n = name === 'grid' ? 4000 : 20_000;
    const rng = rngFromKey('diffusion data test', `class-variance-${name}`);
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    for (let c = 0; c < ds.classes; c++) {
      for (let i = 0; i < n; i++) [xs[i], ys[i]] = ds.sampleClass(c, rng);
      const mx = xs.reduce((a, b) => a + b, 0) / n;
      const my = ys.reduce((a, b) => a + b, 0) / n;
      // Total variance = mean of q_i = ‖x_i − x̄‖² (×n/(n−1)); its SE from the spread of q.
      const q = xs.map((x, i) => (x - mx) ** 2 + (ys[i] - my) ** 2);
      const qMean = q.reduce((a, b) => a + b, 0) / n;
      const qSd = Math.sqrt(q.reduce((a, b) => a + (b - qMean) ** 2, 0) / (n - 1));
      const estimate = (qMean * n) / (n - 1);
      expect(Math.abs(estimate - ds.classVariance[c])).toBeLessThan(4 * (qSd / Math.sqrt(n)));
    }
  });

  it('spirals: equals the arm curve variance (fine midpoint rule on the documented arm) + 2·std²', () => {
    const steps = 200_000;
    for (const std of [0.08, 0.2]) {
      const ds = dataset('spirals', { std });
      for (let k = 0; k < 3; k++) {
        let mx = 0;
        let my = 0;
        let m2 = 0;
        for (let i = 0; i < steps; i++) {
          const [x, y] = armPoint(k, (i + 0.5) / steps);
          mx += x / steps;
          my += y / steps;
          m2 += (x * x + y * y) / steps;
        }
        expect(ds.classVariance[k]).toBeCloseTo(m2 - mx * mx - my * my + 2 * std * std, 8);
      }
    }
  });

  it('is 2·std² for the Gaussian mixtures, also with a custom std', () => {
    expect(Array.from(dataset('ring').classVariance)).toEqual(new Array(8).fill(2 * 0.1 * 0.1));
    expect(Array.from(dataset('grid', { std: 0.05 }).classVariance)).toEqual(new Array(25).fill(2 * 0.05 * 0.05));
  });
});

describe('modeOf', () => {
  it.each(NAMES)('%s: every centre maps to its own mode, with the documented class', (name) => {
    const ds = dataset(name);
    for (let m = 0; m < ds.modes; m++) expect(ds.modeOf(ds.centers[2 * m], ds.centers[2 * m + 1])).toBe(m);
    expect(ds.modeOf(10, 10)).toBe(-1);
    expect(ds.modeOf(-7, 0.5)).toBe(-1);
  });

  it('ring and grid: layout, class = mode, and −1 between modes', () => {
    const ring = dataset('ring');
    expect([ring.classes, ring.modes]).toEqual([8, 8]);
    expect(Array.from(ring.modeClass)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (let m = 0; m < 8; m++) expect(Math.hypot(ring.centers[2 * m], ring.centers[2 * m + 1])).toBeCloseTo(2, 12);
    expect(ring.modeOf(0, 0)).toBe(-1);
    expect(ring.modeOf(2 * Math.cos(Math.PI / 8), 2 * Math.sin(Math.PI / 8))).toBe(-1);
    // Just inside / just outside 3 std = 0.3 of mode 0 at (2, 0).
    expect(ring.modeOf(2.29, 0)).toBe(0);
    expect(ring.modeOf(2.31, 0)).toBe(-1);

    const grid = dataset('grid');
    expect([grid.classes, grid.modes]).toEqual([25, 25]);
    const seen = new Set<string>();
    for (let m = 0; m < 25; m++) seen.add(`${grid.centers[2 * m]},${grid.centers[2 * m + 1]}`);
    expect(seen.size).toBe(25);
    for (const v of [-2, -1, 0, 1, 2]) expect(seen.has(`${v},${v}`)).toBe(true);
    expect(grid.modeOf(0.5, 0.5)).toBe(-1);
    expect(grid.modeOf(1, 0.23)).toBe(grid.modeOf(1, 0));
    expect(grid.modeOf(1, 0.25)).toBe(-1);
  });

  it('spirals: 3 classes × 4 segments; centres are segment midpoints of the documented arms', () => {
    const ds = dataset('spirals');
    expect([ds.classes, ds.modes]).toEqual([3, 12]);
    for (let k = 0; k < 3; k++) {
      for (let j = 0; j < 4; j++) {
        const m = 4 * k + j;
        const [x, y] = armPoint(k, (j + 0.5) / 4);
        expect(ds.centers[2 * m]).toBeCloseTo(x, 12);
        expect(ds.centers[2 * m + 1]).toBeCloseTo(y, 12);
        expect(ds.modeClass[m]).toBe(k);
      }
    }
    // The arms start at radius 0.3, 120° apart; the centre is 0.3 = 3.75 std from each.
    expect(ds.modeOf(0, 0)).toBe(-1);
  });

  it('spirals: arms are ≥ 6 std apart, so 3-std tubes never overlap', () => {
    const fine = 1500;
    let min = Infinity;
    for (let k = 0; k < 3; k++) {
      for (let l = k + 1; l < 3; l++) {
        for (let i = 0; i < fine; i++) {
          const [ax, ay] = armPoint(k, i / (fine - 1));
          for (let j = 0; j < fine; j++) {
            const [bx, by] = armPoint(l, j / (fine - 1));
            min = Math.min(min, Math.hypot(ax - bx, ay - by));
          }
        }
      }
    }
    expect(min).toBeGreaterThan(6 * 0.08);
  });

  it('spirals: points from segment j of arm k map to mode 4k + j with high probability', () => {
    const ds = dataset('spirals');
    const rng = rngFromKey('diffusion data test', 'spiral segments');
    const perSegment = 2000;
    for (let k = 0; k < 3; k++) {
      for (let j = 0; j < 4; j++) {
        let hits = 0;
        let wrongArm = 0;
        for (let i = 0; i < perSegment; i++) {
          const [x, y] = armPoint(k, (j + rng.uniform()) / 4);
          const m = ds.modeOf(x + 0.08 * rng.normal(), y + 0.08 * rng.normal());
          if (m === 4 * k + j) hits++;
          else if (m >= 0 && ds.modeClass[m] !== k) wrongArm++;
        }
        // Misses are points near a segment boundary that land on the neighbouring segment.
        expect(hits / perSegment).toBeGreaterThan(0.9);
        expect(wrongArm / perSegment).toBeLessThan(0.005);
      }
    }
  });
});

describe('dataset options', () => {
  it('rejects a non-positive std and out-of-range class labels', () => {
    expect(() => dataset('ring', { std: 0 })).toThrow(/std/);
    expect(() => dataset('spirals').sampleClass(3, rngFromKey('x', 'y'))).toThrow(/label/);
  });
});
