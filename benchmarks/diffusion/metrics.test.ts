/**
 * The diffusion metrics against direct reference implementations (on small sets), against
 * their expected values on constructed and sampled data, and against ml-matrix's SVD.
 */
import { describe, expect, it } from 'vitest';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { rngFromKey, type Rng } from '../../harness/rng.ts';
import { dataset, type Dataset, type DatasetName } from './data.ts';
import { classVarianceRatio, knnPrecisionRecall, mmd2, modeCoverage, nuclearNorm, ole } from './metrics.ts';

const rngFor = (label: string): Rng => rngFromKey('diffusion metrics test', label);

function real(ds: Dataset, n: number, rng: Rng): { points: Float32Array; labels: Int32Array } {
  const points = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  ds.sample(n, rng, points, labels);
  return { points, labels };
}

/** n points drawn uniformly from the given classes only. */
function fromClasses(ds: Dataset, classes: number[], n: number, rng: Rng): Float32Array {
  const points = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) points.set(ds.sampleClass(classes[rng.int(classes.length)], rng), 2 * i);
  return points;
}

function meanSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
  return { mean, sd };
}

function gaussianCloud(n: number, rng: Rng, scale = 1): Float32Array {
  return Float32Array.from({ length: 2 * n }, () => scale * rng.normal());
}

describe('mmd2', () => {
  /** Textbook unbiased MMD² with Math.exp and explicit i ≠ j loops. */
  function referenceMmd2(x: Float32Array, y: Float32Array, hs: number[]): number {
    const k = (p: Float32Array, i: number, q: Float32Array, j: number) => {
      const d2 = (p[2 * i] - q[2 * j]) ** 2 + (p[2 * i + 1] - q[2 * j + 1]) ** 2;
      return hs.reduce((s, h) => s + Math.exp(-d2 / (2 * h * h)), 0);
    };
    const m = x.length / 2;
    const n = y.length / 2;
    let xx = 0;
    let yy = 0;
    let xy = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) xx += k(x, i, x, j);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) yy += k(y, i, y, j);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) xy += k(x, i, y, j);
    return xx / (m * (m - 1)) + yy / (n * (n - 1)) - (2 * xy) / (m * n);
  }

  it('equals the textbook estimator (Math.exp, all pairs) on small sets', () => {
    const rng = rngFor('mmd reference');
    const x = gaussianCloud(37, rng);
    const y = gaussianCloud(53, rng, 1.5);
    for (const hs of [[0.1, 0.3, 1], [0.05], [0.5, 2, 8]]) {
      const expected = referenceMmd2(x, y, hs);
      expect(Math.abs(mmd2(x, y, hs) - expected)).toBeLessThan(1e-13 * Math.max(1, Math.abs(expected)));
    }
  });

  it('is NaN when a sample holds a NaN (a diverged model is not silently scored)', () => {
    const rng = rngFor('mmd nan');
    const x = gaussianCloud(20, rng);
    x[7] = NaN;
    expect(mmd2(x, gaussianCloud(20, rng))).toBeNaN();
  });

  it('is centred on 0 for two samples of one data set and clearly positive when half the modes are dropped', () => {
    const ds = dataset('ring');
    const n = 200;
    const same: number[] = [];
    const dropped: number[] = [];
    for (let r = 0; r < 30; r++) {
      const rng = rngFor(`mmd replicate ${r}`);
      const a = real(ds, n, rng).points;
      same.push(mmd2(a, real(ds, n, rng).points));
      dropped.push(mmd2(a, fromClasses(ds, [0, 1, 2, 3], n, rng)));
    }
    // A biased (V-statistic) estimate would sit ≈ 0.02 above 0, many SE away.
    const { mean, sd } = meanSd(same);
    expect(Math.abs(mean)).toBeLessThan(3 * (sd / Math.sqrt(same.length)));
    expect(same.some((v) => v < 0)).toBe(true);
    expect(Math.min(...dropped)).toBeGreaterThan(mean + 10 * sd);
  });
});

describe('knnPrecisionRecall', () => {
  /** Direct definition: sort all distances for the radii, scan every ball. */
  function reference(realPts: Float32Array, fakePts: Float32Array, k: number): { precision: number; recall: number } {
    const dist = (p: Float32Array, i: number, q: Float32Array, j: number) => Math.hypot(p[2 * i] - q[2 * j], p[2 * i + 1] - q[2 * j + 1]);
    const radii = (p: Float32Array) =>
      Array.from(
        { length: p.length / 2 },
        (_, i) =>
          Array.from({ length: p.length / 2 }, (_, j) => j)
            .filter((j) => j !== i)
            .map((j) => dist(p, i, p, j))
            .sort((a, b) => a - b)[k - 1],
      );
    const inside = (q: Float32Array, centres: Float32Array, r: number[]) =>
      Array.from({ length: q.length / 2 }, (_, i) => r.some((ri, c) => dist(q, i, centres, c) <= ri)).filter(Boolean).length /
      (q.length / 2);
    return { precision: inside(fakePts, realPts, radii(realPts)), recall: inside(realPts, fakePts, radii(fakePts)) };
  }

  it('equals the direct definition on small sets', () => {
    const rng = rngFor('knn reference');
    for (const k of [1, 3, 5]) {
      const a = gaussianCloud(60, rng);
      const b = gaussianCloud(70, rng, 1.6);
      expect(knnPrecisionRecall(a, b, k)).toEqual(reference(a, b, k));
    }
  });

  const ds = dataset('ring');
  const n = 1000;

  it('is high (> 0.9) for two samples of one data set', () => {
    const rng = rngFor('knn same');
    const { precision, recall } = knnPrecisionRecall(real(ds, n, rng).points, real(ds, n, rng).points);
    expect(precision).toBeGreaterThan(0.9);
    expect(recall).toBeGreaterThan(0.9);
  });

  it('recall ≈ 0.5 and precision high when the fake set covers half the ring modes', () => {
    const rng = rngFor('knn half');
    const { precision, recall } = knnPrecisionRecall(real(ds, n, rng).points, fromClasses(ds, [0, 2, 4, 6], n, rng));
    expect(precision).toBeGreaterThan(0.9);
    expect(Math.abs(recall - 0.5)).toBeLessThan(0.1);
  });

  it('precision is low for points scattered uniformly over a big square', () => {
    const rng = rngFor('knn uniform');
    const fake = Float32Array.from({ length: 2 * n }, () => 12 * rng.uniform() - 6);
    const { precision, recall } = knnPrecisionRecall(real(ds, n, rng).points, fake);
    expect(precision).toBeLessThan(0.05);
    // The sparse uniform points have wide balls that still cover the ring.
    expect(recall).toBeGreaterThan(0.5);
  });
});

describe('modeCoverage', () => {
  it.each<DatasetName>(['ring', 'grid', 'spirals'])('%s: counts exactly the modes present in a constructed set', (name) => {
    const ds = dataset(name);
    const rng = rngFor(`coverage ${name}`);
    const rows: number[] = [];
    // 30 points each near modes 0, 2, 5 (within half a std of the centre), 1 stray point on
    // mode 7 (under the threshold), 10 points far from every mode.
    for (const m of [0, 2, 5]) {
      for (let i = 0; i < 30; i++) {
        const angle = 2 * Math.PI * rng.uniform();
        rows.push(ds.centers[2 * m] + 0.5 * ds.std * Math.cos(angle), ds.centers[2 * m + 1] + 0.5 * ds.std * Math.sin(angle));
      }
    }
    rows.push(ds.centers[14], ds.centers[15]);
    for (let i = 0; i < 10; i++) rows.push(20 + i, -30);
    const fake = Float32Array.from(rows);
    const coverage = modeCoverage(ds, fake);
    const expected = new Int32Array(ds.modes);
    expected[0] = expected[2] = expected[5] = 30;
    expected[7] = 1;
    expect(coverage.counts).toEqual(expected);
    expect(coverage.covered).toBe(3);
    expect(coverage.onMode).toBe(91 / 101);
    expect(coverage.threshold).toBe(Math.max(1, (0.25 * 101) / ds.modes));
  });

  it.each<DatasetName>(['ring', 'grid', 'spirals'])('%s: real samples cover every mode', (name) => {
    const ds = dataset(name);
    const coverage = modeCoverage(ds, real(ds, 2000, rngFor(`coverage real ${name}`)).points);
    expect(coverage.covered).toBe(ds.modes);
    expect(coverage.onMode).toBeGreaterThan(0.97);
  });
});

describe('classVarianceRatio', () => {
  it('uses the n − 1 divisor (two points per class, exact)', () => {
    const ds = dataset('ring');
    const points = new Float32Array(4 * ds.classes);
    const labels = new Int32Array(2 * ds.classes);
    for (let c = 0; c < ds.classes; c++) {
      // Two points ±0.1 from the centre: sample variance 2·0.1² = classVariance.
      points.set([ds.centers[2 * c] + 0.1, ds.centers[2 * c + 1], ds.centers[2 * c] - 0.1, ds.centers[2 * c + 1]], 4 * c);
      labels[2 * c] = labels[2 * c + 1] = c;
    }
    expect(classVarianceRatio(ds, points, labels)).toBeCloseTo(1, 5);
  });

  it.each<DatasetName>(['ring', 'grid', 'spirals'])('%s: ≈ 1 for real samples', (name) => {
    const ds = dataset(name);
    const { points, labels } = real(ds, 20_000, rngFor(`ratio real ${name}`));
    expect(Math.abs(classVarianceRatio(ds, points, labels) - 1)).toBeLessThan(0.05);
  });

  it.each<DatasetName>(['ring', 'grid'])('%s: ≈ 0.25 for samples shrunk by half towards their class mean', (name) => {
    const ds = dataset(name);
    const { points, labels } = real(ds, 20_000, rngFor(`ratio shrunk ${name}`));
    for (let i = 0; i < labels.length; i++) {
      for (const axis of [0, 1])
        points[2 * i + axis] = ds.centers[2 * labels[i] + axis] + 0.5 * (points[2 * i + axis] - ds.centers[2 * labels[i] + axis]);
    }
    expect(Math.abs(classVarianceRatio(ds, points, labels) - 0.25)).toBeLessThan(0.0125);
  });

  it('counts a class with fewer than 2 points as 0', () => {
    const ds = dataset('ring');
    const { points, labels } = real(ds, 8000, rngFor('ratio dropped'));
    // Keep only the first point of class 3.
    const keep = Array.from(labels.keys()).filter((i) => labels[i] !== 3 || i === labels.indexOf(3));
    const kept = Float32Array.from(keep.flatMap((i) => [points[2 * i], points[2 * i + 1]]));
    const ratio = classVarianceRatio(
      ds,
      kept,
      Int32Array.from(keep, (i) => labels[i]),
    );
    expect(Math.abs(ratio - 7 / 8)).toBeLessThan(0.05);
  });
});

describe('nuclearNorm', () => {
  const svdSum = (rows: Float64Array, n: number, dim: number) =>
    new SingularValueDecomposition(Matrix.from1DArray(n, dim, rows), {
      autoTranspose: true,
      computeLeftSingularVectors: false,
      computeRightSingularVectors: false,
    }).diagonal.reduce((a, b) => a + b, 0);

  it.each([
    [50, 8],
    [6, 20],
    [1, 5],
    [40, 1],
  ])('equals the sum of singular values of a random %i×%i matrix', (n, dim) => {
    const rows = rngFor(`nuclear ${n}x${dim}`).fillNormal(new Float64Array(n * dim));
    const expected = svdSum(rows, n, dim);
    expect(Math.abs(nuclearNorm(rows, n, dim) - expected)).toBeLessThan(1e-10 * expected);
    expect(Math.abs(nuclearNorm(Float32Array.from(rows), n, dim) - expected)).toBeLessThan(1e-6 * expected);
  });

  it('is accurate for a rank-deficient matrix (rank 3 of 30×10)', () => {
    const rng = rngFor('nuclear rank 3');
    const a = Matrix.from1DArray(30, 3, rng.fillNormal(new Float64Array(90)));
    const b = Matrix.from1DArray(3, 10, rng.fillNormal(new Float64Array(30)));
    const rows = Float64Array.from(a.mmul(b).to1DArray());
    const expected = svdSum(rows, 30, 10);
    expect(Math.abs(nuclearNorm(rows, 30, 10) - expected)).toBeLessThan(1e-9 * expected);
  });
});

describe('ole', () => {
  it('is 0 when the classes live on orthogonal coordinate axes', () => {
    const rng = rngFor('ole orthogonal');
    for (const [classes, block] of [
      [3, 3],
      [4, 16],
    ]) {
      const dim = classes * block;
      const n = 400;
      const latents = new Float32Array(n * dim);
      const labels = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const c = rng.int(classes);
        labels[i] = c;
        // Unnormalized rows (random scale) on class c's own block of axes.
        const scale = 0.1 + 5 * rng.uniform();
        for (let j = 0; j < block; j++) latents[i * dim + c * block + j] = scale * rng.normal();
      }
      expect(ole(latents, dim, labels, classes)).toBeLessThanOrEqual(1e-9);
    }
  });

  it('is clearly positive when classes share directions', () => {
    const rng = rngFor('ole shared');
    const n = 600;
    const dim = 9;
    const latents = Float32Array.from({ length: n * dim }, () => rng.normal());
    const labels = Int32Array.from({ length: n }, () => rng.int(3));
    // Isotropic unit rows, n ≫ dim: ‖M‖_* ≈ √(n·dim), so OLE ≈ √dim (Σ_c √n_c − √n) / n.
    const counts = [0, 1, 2].map((c) => labels.filter((l) => l === c).length);
    const approx = (Math.sqrt(dim) * (counts.reduce((s, k) => s + Math.sqrt(k), 0) - Math.sqrt(n))) / n;
    expect(approx).toBeGreaterThan(0.08);
    expect(Math.abs(ole(latents, dim, labels, 3) / approx - 1)).toBeLessThan(0.1);
  });

  it('matches the closed form for two classes on single lines at angle θ', () => {
    // Rows ±u₁ (class 0) and ±u₂ (class 1), m each, interleaved: ‖M_c‖_* = √m, and MᵀM has
    // eigenvalues m(1 ± cos θ), so OLE = (2√m − √m(√(1 + cos θ) + √(1 − cos θ))) / 2m.
    const rng = rngFor('ole lines');
    const dim = 5;
    const m = 100;
    const theta = Math.PI / 3;
    // An orthonormal pair (e, f) in a random plane; u₁ = e, u₂ = cos θ e + sin θ f.
    const e = rng.fillNormal(new Float64Array(dim));
    const f = rng.fillNormal(new Float64Array(dim));
    const norm = (v: Float64Array) => v.map((x) => x / Math.hypot(...v));
    const eu = norm(e);
    const dot = f.reduce((s, x, j) => s + x * eu[j], 0);
    const fu = norm(f.map((x, j) => x - dot * eu[j]));
    const u = [eu, eu.map((x, j) => Math.cos(theta) * x + Math.sin(theta) * fu[j])];
    const latents = new Float64Array(2 * m * dim);
    const labels = new Int32Array(2 * m);
    for (let i = 0; i < 2 * m; i++) {
      labels[i] = i % 2;
      const scale = (rng.uniform() < 0.5 ? -1 : 1) * (0.5 + rng.uniform());
      for (let j = 0; j < dim; j++) latents[i * dim + j] = scale * u[i % 2][j];
    }
    const sq = Math.sqrt(m);
    const expected = (2 * sq - sq * (Math.sqrt(1 + Math.cos(theta)) + Math.sqrt(1 - Math.cos(theta)))) / (2 * m);
    expect(ole(latents, dim, labels, 2)).toBeCloseTo(expected, 9);
  });
});
