/**
 * ddpm.ts: the schedules and DDIM steps against their closed forms; the denoiser's custom
 * gradient against TF.js's own; a real learning run on two tight Gaussians (DDPM and DDIM
 * samples land on their class, zero-weight points never shape the model); determinism per
 * seed; and no tensor left behind by any public function. The learning and determinism tests run
 * on both engines (TF.js and the fused kernels of kernels/mlp, harness/kernels.ts), and the
 * kernels are checked against TF.js on the same weights, batches and random draws.
 */
import type * as TF from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBackend, tfjs } from '../../harness/backend.ts';
import { fusedKernels, setFusedKernels } from '../../harness/kernels.ts';
import { rngFromKey } from '../../harness/rng.ts';
import {
  createDenoiser,
  ddimCoefficient,
  ddimSchedule,
  ddimSigma,
  ddimStep,
  denoisingLoss,
  initDenoiser,
  latents,
  linearSchedule,
  sampleDdim,
  sampleDdpm,
  timeEmbeddingTable,
  trainDenoiser,
  weightedSampler,
  type DenoiserConfig,
  type DenoiserWeights,
  type TrainingData,
} from './ddpm.ts';

let tf: typeof TF;
beforeAll(async () => {
  await loadBackend('wasm');
  tf = tfjs();
});

/** Runs fn and checks it leaves the number of live tensors unchanged. */
function noLeak<T>(fn: () => T): T {
  const before = tf.memory().numTensors;
  const out = fn();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

const schedule = linearSchedule(100);

describe('linear schedule (closed forms)', () => {
  it('β_t = (βmin + (βmax − βmin)(t−1)/(T−1))/T and ᾱ_t = Π(1 − β_s), in float64', () => {
    const s = linearSchedule(50, 0.2, 15);
    let prod = 1;
    for (let t = 1; t <= 50; t++) {
      const beta = (0.2 + (14.8 * (t - 1)) / 49) / 50;
      prod *= 1 - beta;
      expect(s.beta[t - 1]).toBeCloseTo(beta, 15);
      expect(s.alpha[t - 1]).toBe(1 - s.beta[t - 1]);
      expect(s.alphaBar[t - 1]).toBeCloseTo(prod, 15);
    }
    expect(s.T).toBe(50);
  });

  it('ᾱ_T → exp(−(βmin + βmax)/2) with an O(1/T) error', () => {
    // Σβ_t = (βmin + βmax)/2 exactly, and 0 ≤ −ln(1−β) − β ≤ β²/(2(1−β)), so the error of
    // ln ᾱ_T is at most Σβ²/(2(1−β_T)) ≤ βmax²/(2(T − βmax)).
    const errors = [100, 1000, 10000].map((T) => {
      const s = linearSchedule(T);
      const error = -Math.log(s.alphaBar[T - 1]) - 10.05;
      expect(error).toBeGreaterThan(0);
      expect(error).toBeLessThan(400 / (2 * (T - 20)));
      return error * T;
    });
    // error·T settles (≈ Σβ²·T/2 → (βmin² + βmin·βmax + βmax²)/6 ≈ 67).
    expect(errors[2]).toBeCloseTo(67.0, 0);
    expect(Math.abs(errors[1] - errors[2])).toBeLessThan(2);
  });

  it('β increases, ᾱ decreases strictly inside (0, 1); T must exceed βmax', () => {
    for (let i = 1; i < schedule.T; i++) {
      expect(schedule.beta[i]).toBeGreaterThan(schedule.beta[i - 1]);
      expect(schedule.alphaBar[i]).toBeLessThan(schedule.alphaBar[i - 1]);
    }
    expect(schedule.alphaBar[0]).toBeLessThan(1);
    expect(schedule.alphaBar[99]).toBeGreaterThan(0);
    expect(() => linearSchedule(20)).toThrow('use T > betaMax');
    expect(() => linearSchedule(1)).toThrow('T >= 2');
  });
});

describe('DDIM steps (closed forms)', () => {
  const full = ddimSchedule(schedule, 100);
  const sub = ddimSchedule(schedule, 20);

  it('τ: evenly spaced, in order of use from T, ending at the first timestep', () => {
    expect(sub.steps).toEqual(Array.from({ length: 20 }, (_, k) => 100 - 5 * k));
    expect(full.steps).toEqual(Array.from({ length: 100 }, (_, k) => 100 - k));
    expect(ddimSchedule(linearSchedule(30), 7).steps).toEqual([30, 26, 21, 17, 13, 9, 4]);
    expect(sub.alphaBar[0]).toBe(schedule.alphaBar[99]);
    expect(sub.alphaBarPrev[0]).toBe(schedule.alphaBar[94]);
    expect(sub.alphaBarPrev[19]).toBe(1);
    expect(sub.alpha[3]).toBe(sub.alphaBar[3] / sub.alphaBarPrev[3]);
  });

  it('η = 1 over every timestep is DDPM: σ = √β̃_t and C = β_t/(√α_t √(1−ᾱ_t))', () => {
    for (let k = 0; k < 100; k++) {
      const t = 100 - k;
      const { beta, alpha, alphaBar } = schedule;
      const prev = t > 1 ? alphaBar[t - 2] : 1;
      const posterior = Math.sqrt((beta[t - 1] * (1 - prev)) / (1 - alphaBar[t - 1]));
      const sigma = ddimSigma(full, k, 1);
      expect(sigma).toBeCloseTo(posterior, 14);
      expect(ddimCoefficient(full, k, sigma)).toBeCloseTo(beta[t - 1] / Math.sqrt(alpha[t - 1]) / Math.sqrt(1 - alphaBar[t - 1]), 12);
    }
    expect(ddimSigma(sub, 19, 1)).toBe(0);
    expect(ddimSigma(sub, 5, 0)).toBe(0);
  });

  it('C(σ) makes μ = √ᾱ_prev·x̂₀ + √(1−ᾱ_prev−σ²)·ε̂', () => {
    const rng = rngFromKey('ddim', 'identity');
    for (let k = 0; k < 19; k++) {
      const sigma = rng.uniform() * Math.sqrt(1 - sub.alphaBarPrev[k]);
      const x = rng.normal();
      const eps = rng.normal();
      const x0hat = (x - Math.sqrt(1 - sub.alphaBar[k]) * eps) / Math.sqrt(sub.alphaBar[k]);
      const mu = x / Math.sqrt(sub.alpha[k]) - ddimCoefficient(sub, k, sigma) * eps;
      expect(mu).toBeCloseTo(Math.sqrt(sub.alphaBarPrev[k]) * x0hat + Math.sqrt(1 - sub.alphaBarPrev[k] - sigma * sigma) * eps, 12);
    }
    expect(() => ddimCoefficient(sub, 19, 0.01)).toThrow('exceeds');
  });

  it('with σ = 0 and the true ε, each step maps x_t exactly onto √ᾱ_prev x₀ + √(1−ᾱ_prev) ε, down to x₀', () => {
    const rng = rngFromKey('ddim', 'exact');
    const x0 = rng.fillNormal(new Float64Array(20), 0, 2);
    const eps = rng.fillNormal(new Float64Array(20));
    const noised = (ab: number) => x0.map((v, j) => Math.sqrt(ab) * v + Math.sqrt(1 - ab) * eps[j]);
    const x = noised(sub.alphaBar[0]);
    const zero = new Float64Array(20);
    for (let k = 0; k < 20; k++) {
      ddimStep(sub, k, 0, x, eps, zero);
      const expected = noised(sub.alphaBarPrev[k]);
      for (let j = 0; j < 20; j++) expect(x[j]).toBeCloseTo(expected[j], 11);
    }
    for (let j = 0; j < 20; j++) expect(x[j]).toBeCloseTo(x0[j], 11);
  });
});

describe('denoiser', () => {
  const config: DenoiserConfig = { hidden: 8, layers: 2, timeEmbedding: 5, classes: 3 };

  it('He-normal weights, zero biases; input = [x, emb(t), onehot(label incl. null)]', () => {
    const w = initDenoiser(config, rngFromKey('init', 'he'));
    expect(w.shapes).toEqual([[2 + 5 + 4, 8], [8], [8, 8], [8], [8, 2], [2]]);
    expect(Array.from(w.values[1])).toEqual(new Array(8).fill(0));
    const big = initDenoiser({ hidden: 256, layers: 1, timeEmbedding: 16, classes: 2 }, rngFromKey('init', 'big'));
    const v = big.values[0];
    const variance = v.reduce((s, x) => s + x * x, 0) / v.length;
    expect(variance).toBeCloseTo(2 / 21, 2);
    // Embedding: sin over ⌈E/2⌉ geometric frequencies at t′ = 1000 t/T, then cos (one fewer for odd E).
    const table = timeEmbeddingTable(100, 5);
    expect(table[(7 - 1) * 5 + 1]).toBeCloseTo(Math.sin(70 * 10000 ** (-1 / 3)), 6);
    expect(table[(7 - 1) * 5 + 4]).toBeCloseTo(Math.cos(70 * 10000 ** (-1 / 3)), 6);
  });

  it('predict is the plain MLP, and its hand-written gradient equals TF.js’s own', () => {
    const weights = initDenoiser(config, rngFromKey('init', 'grad'));
    // Non-zero biases, so that their gradients are exercised too.
    weights.values[1].fill(0.1);
    weights.values[3].fill(-0.05);
    const rng = rngFromKey('grad', 'data');
    const n = 6;
    const xs = Float32Array.from(rng.fillNormal(new Float64Array(2 * n)));
    const ts = [1, 17, 50, 99, 100, 3];
    const ls = [0, 1, 2, 3, 1, 0];
    const table = timeEmbeddingTable(100, 5);
    const rows = ts.flatMap((t, i) => [
      xs[2 * i],
      xs[2 * i + 1],
      ...table.subarray((t - 1) * 5, t * 5),
      ...[0, 1, 2, 3].map((c) => (c === ls[i] ? 1 : 0)),
    ]);
    const base = tf.memory().numTensors;
    const den = createDenoiser(weights, schedule);
    // Its variables and the time-embedding table.
    expect(tf.memory().numTensors).toBe(base + 6 + 1);
    const before = tf.memory().numTensors;
    const x = tf.tensor2d(xs, [n, 2]);
    const t = tf.tensor1d(ts, 'float32');
    const labels = tf.tensor1d(ls, 'int32');
    const input = tf.tensor2d(rows, [n, 11]);
    const target = tf.tensor2d(Float32Array.from(rng.fillNormal(new Float64Array(2 * n))), [n, 2]);
    const plain = (): TF.Tensor2D => {
      const [w1, b1, w2, b2, w3, b3] = den.variables;
      const h1 = tf.relu(tf.add(tf.matMul(input, w1 as TF.Tensor2D), b1)) as TF.Tensor2D;
      const h2 = tf.relu(tf.add(tf.matMul(h1, w2 as TF.Tensor2D), b2)) as TF.Tensor2D;
      return tf.add(tf.matMul(h2, w3 as TF.Tensor2D), b3) as TF.Tensor2D;
    };
    const [mineOut, plainOut] = [den.predict(x, t, labels), tf.tidy(plain)];
    const expected = plainOut.dataSync();
    mineOut.dataSync().forEach((v, j) => {
      expect(v).toBeCloseTo(expected[j], 6);
    });
    tf.dispose([mineOut, plainOut]);
    const loss = (out: () => TF.Tensor2D) => () => tf.sum(tf.square(tf.sub(out(), target))) as TF.Scalar;
    const mine = tf.variableGrads(
      loss(() => den.predict(x, t, labels)),
      den.variables,
    );
    const reference = tf.variableGrads(loss(plain), den.variables);
    expect(mine.value.dataSync()[0]).toBeCloseTo(reference.value.dataSync()[0], 5);
    for (const v of den.variables) {
      const a = mine.grads[v.name].dataSync();
      const b = reference.grads[v.name].dataSync();
      a.forEach((g, j) => {
        expect(g).toBeCloseTo(b[j], 5);
      });
    }
    // Integer timesteps give the same ε̂ as float ones.
    const tInt = tf.tensor1d(ts, 'int32');
    const [p1, p2] = [den.predict(x, t, labels), den.predict(x, tInt, labels)];
    expect(p2.dataSync()).toEqual(p1.dataSync());
    tf.dispose([tInt, p1, p2]);
    const hidden = den.hidden(x, t, labels);
    expect(hidden.shape).toEqual([n, 8]);
    tf.dispose([
      x,
      t,
      labels,
      input,
      target,
      hidden,
      mine.value,
      reference.value,
      ...Object.values(mine.grads),
      ...Object.values(reference.grads),
    ]);
    expect(tf.memory().numTensors).toBe(before);
    expect(den.read()).toEqual(weights);
    den.dispose();
    expect(tf.memory().numTensors).toBe(base);
  });
});

describe('weighted minibatches', () => {
  it('draws ∝ weight, never a zero-weight point, the same as the data without them', () => {
    const draw = weightedSampler(4, Float64Array.from([1, 0, 3, 0]));
    const rng = rngFromKey('alias', 'a');
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40000; i++) counts[draw(rng)]++;
    expect(counts[1] + counts[3]).toBe(0);
    expect(counts[2] / 40000).toBeCloseTo(0.75, 2);
    const compact = weightedSampler(2, Float64Array.from([1, 3]));
    const [r1, r2] = [rngFromKey('alias', 'b'), rngFromKey('alias', 'b')];
    for (let i = 0; i < 100; i++) expect(draw(r1)).toBe([0, 2][compact(r2)]);
    // Omitted weights are weight 1 everywhere, draw for draw.
    const [u1, u2] = [rngFromKey('alias', 'c'), rngFromKey('alias', 'c')];
    const uniform = weightedSampler(5);
    const ones = weightedSampler(5, new Float64Array(5).fill(1));
    for (let i = 0; i < 100; i++) expect(uniform(u1)).toBe(ones(u2));
    expect(() => weightedSampler(2, new Float64Array(2))).toThrow('no point has positive weight');
    expect(() => weightedSampler(2, Float64Array.from([1, -1]))).toThrow('not a finite number >= 0');
  });
});

/** Two tight classes, N((∓1.5, 0), 0.1² I), n each; `far` extra class-0 points at (10, 10). */
function toy(n: number, far: number, seed: string): TrainingData & { weights: Float64Array } {
  const rng = rngFromKey('toy', seed);
  const m = 2 * n + far;
  const points = new Float32Array(2 * m);
  const labels = new Int32Array(m);
  const weights = new Float64Array(m).fill(1);
  for (let i = 0; i < m; i++) {
    const c = i < 2 * n ? i % 2 : 0;
    labels[i] = c;
    points[2 * i] = i < 2 * n ? (c === 0 ? -1.5 : 1.5) + 0.1 * rng.normal() : 10;
    points[2 * i + 1] = i < 2 * n ? 0.1 * rng.normal() : 10;
    if (i >= 2 * n) weights[i] = 0;
  }
  return { points, labels, weights };
}

/** The points and labels of `data` whose index satisfies `keep` (no weights). */
function select(data: TrainingData, keep: (i: number) => boolean): TrainingData {
  const idx = Array.from(data.labels.keys()).filter(keep);
  return {
    points: Float32Array.from(idx.flatMap((i) => [data.points[2 * i], data.points[2 * i + 1]])),
    labels: Int32Array.from(idx.map((i) => data.labels[i])),
  };
}

function stats(x: Float32Array): { mean: [number, number]; within: (c: [number, number], r: number) => number } {
  const n = x.length / 2;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[2 * i] / n;
    my += x[2 * i + 1] / n;
  }
  const within = (c: [number, number], r: number) => {
    let k = 0;
    for (let i = 0; i < n; i++) if (Math.hypot(x[2 * i] - c[0], x[2 * i + 1] - c[1]) < r) k++;
    return k / n;
  };
  return { mean: [mx, my], within };
}

/** The two engines of trainDenoiser, sampling, denoisingLoss and latents. */
const ENGINES = [
  { engine: 'TF.js', fused: false },
  { engine: 'the fused kernels', fused: true },
];

/** Runs a describe block's tests with the fused kernels on or off, restoring the switch afterwards. */
function useEngine(fused: boolean): void {
  let saved = false;
  beforeAll(() => {
    saved = fusedKernels();
    setFusedKernels(fused);
  });
  afterAll(() => setFusedKernels(saved));
}

describe.each(ENGINES)('learning two tight Gaussians (hidden 64, 3 layers, T = 100) on $engine', ({ fused }) => {
  useEngine(fused);
  const config: DenoiserConfig = { hidden: 64, layers: 3, timeEmbedding: 16, classes: 2 };
  // Half of the class-0 points sit at (10, 10) with weight 0: they must never shape the model.
  const data = toy(256, 256, 'learn');
  const options = { steps: 500, batch: 256, learningRate: 2e-3, labelDropout: 0.1 };
  let init: DenoiserWeights;
  let trained: DenoiserWeights;
  const means: [number, number][] = [
    [-1.5, 0],
    [1.5, 0],
  ];

  it('the ε-prediction loss falls', () => {
    init = initDenoiser(config, rngFromKey('learn', 'init'));
    const initCopy = init.values.map((v) => v.slice());
    trained = noLeak(() => trainDenoiser(init, schedule, data, options, rngFromKey('learn', 'train')));
    expect(init.values).toEqual(initCopy);
    const before = noLeak(() => denoisingLoss(init, schedule, data, rngFromKey('learn', 'loss'), 4));
    const after = noLeak(() => denoisingLoss(trained, schedule, data, rngFromKey('learn', 'loss'), 4));
    // Measured: 5.93 → 0.127.
    expect(after).toBeLessThan(0.5 * before);
  });

  it('DDPM samples of each class land on its mean; none goes to the zero-weight points', () => {
    for (const c of [0, 1]) {
      const x = noLeak(() => sampleDdpm(trained, schedule, new Int32Array(500).fill(c), rngFromKey('learn', `ddpm-${c}`)));
      // Measured: means off by 0.06 and 0.06, 100% and 99.6% within 0.5.
      const { mean, within } = stats(x);
      expect(Math.hypot(mean[0] - means[c][0], mean[1] - means[c][1])).toBeLessThan(0.2);
      expect(within(means[c], 0.5)).toBeGreaterThan(0.9);
      expect(within([10, 10], 7)).toBe(0);
    }
  });

  it('the null label samples both classes (label dropout trains the unconditional model)', () => {
    const x = noLeak(() => sampleDdpm(trained, schedule, new Int32Array(500).fill(2), rngFromKey('learn', 'null')));
    const { within } = stats(x);
    // Measured: 53% and 31% of the points within 0.5 of each class mean.
    for (const c of [0, 1]) expect(within(means[c], 0.5)).toBeGreaterThan(0.15);
  });

  it('control: the same run with the far points weighted 1 does send class-0 samples there', () => {
    const control = trainDenoiser(init, schedule, { ...data, weights: undefined }, options, rngFromKey('learn', 'train'));
    const x = sampleDdpm(control, schedule, new Int32Array(500).fill(0), rngFromKey('learn', 'ddpm-0'));
    // Measured: 48% within 2 of (10, 10).
    expect(stats(x).within([10, 10], 2)).toBeGreaterThan(0.25);
  });

  it('deterministic DDIM (20 steps, σ = 0) lands there too; the recorded trajectory replays', () => {
    const ddim = ddimSchedule(schedule, 20);
    const labels = Int32Array.from({ length: 400 }, (_, i) => i % 2);
    const { x0, trajectory } = noLeak(() =>
      sampleDdim(trained, schedule, ddim, new Float64Array(20), labels, rngFromKey('learn', 'ddim'), true),
    );
    // Measured: means off by 0.11 and 0.11, 98% and 98.5% within 0.5.
    for (const c of [0, 1]) {
      const { mean, within } = stats(select({ points: x0, labels }, (i) => labels[i] === c).points);
      expect(Math.hypot(mean[0] - means[c][0], mean[1] - means[c][1])).toBeLessThan(0.2);
      expect(within(means[c], 0.5)).toBeGreaterThan(0.9);
    }
    expect(trajectory!.x.length).toBe(20);
    expect(trajectory!.eps[0].length).toBe(800);
    // x_T is the stream's first 800 normals; z is drawn at every step even though σ = 0.
    expect(trajectory!.x[0]).toEqual(Float32Array.from(rngFromKey('learn', 'ddim').fillNormal(new Float64Array(800))));
    expect(trajectory!.z[5].some((v) => v !== 0)).toBe(true);
    for (const k of [0, 10, 19]) {
      const x = ddimStep(ddim, k, 0, Float64Array.from(trajectory!.x[k]), trajectory!.eps[k], trajectory!.z[k]);
      const next = k < 19 ? trajectory!.x[k + 1] : x0;
      x.forEach((v, j) => {
        expect(v).toBeCloseTo(next[j], 4);
      });
    }
  });

  it('DDIM with η = 1 over every timestep is DDPM (same noise draws)', () => {
    const full = ddimSchedule(schedule, 100);
    const sigma = new Float64Array(100).map((_, k) => ddimSigma(full, k, 1));
    const labels = Int32Array.from({ length: 64 }, (_, i) => i % 3);
    const ddpm = sampleDdpm(trained, schedule, labels, rngFromKey('learn', 'same'));
    const ddim = sampleDdim(trained, schedule, full, sigma, labels, rngFromKey('learn', 'same')).x0;
    ddpm.forEach((v, j) => {
      expect(v).toBeCloseTo(ddim[j], 3);
    });
  });

  it('latents: the null-label last hidden layer at x_t, averaged over the timesteps', () => {
    const points = data.points.subarray(0, 2 * 50);
    const z = noLeak(() => latents(trained, schedule, points, [25, 50], rngFromKey('learn', 'latents')));
    expect(z.length).toBe(50 * 64);
    // The same noised points through Denoiser.hidden with the null label (class 2).
    const rng = rngFromKey('learn', 'latents');
    const den = createDenoiser(trained, schedule);
    const sum = new Float64Array(50 * 64);
    for (const t of [25, 50]) {
      const eps = rng.fillNormal(new Float64Array(100));
      const ab = schedule.alphaBar[t - 1];
      const xt = points.map((v, j) => Math.sqrt(ab) * v + Math.sqrt(1 - ab) * eps[j]);
      const h = tf.tidy(() =>
        den.hidden(tf.tensor2d(xt, [50, 2]), tf.fill([50], t) as TF.Tensor1D, tf.fill([50], 2, 'int32') as TF.Tensor1D),
      );
      h.dataSync().forEach((v, j) => {
        sum[j] += v / 2;
      });
      h.dispose();
    }
    den.dispose();
    // Bit for bit: both input paths build the same float32 rows (one embedding table), and the
    // kernels sum in tfjs-wasm's order (see 'the fused kernels against TF.js').
    expect(z).toEqual(Float32Array.from(sum));
  });
});

describe.each(ENGINES)('determinism and weights on $engine', ({ fused }) => {
  useEngine(fused);
  const config: DenoiserConfig = { hidden: 16, layers: 2, timeEmbedding: 8, classes: 2 };
  const options = { steps: 30, batch: 64, learningRate: 1e-2, labelDropout: 0.2 };
  const data = toy(64, 64, 'det');

  it('the same seed gives bit-identical weights and samples; another seed differs', () => {
    const run = (seed: string) => {
      const w = trainDenoiser(initDenoiser(config, rngFromKey(seed, 'init')), schedule, data, options, rngFromKey(seed, 'train'));
      const labels = Int32Array.from({ length: 100 }, (_, i) => i % 3);
      return { w, x: sampleDdpm(w, schedule, labels, rngFromKey(seed, 'sample')) };
    };
    const a = noLeak(() => run('a'));
    const b = run('a');
    const c = run('c');
    expect(b.w.values).toEqual(a.w.values);
    expect(b.x).toEqual(a.x);
    expect(c.w.values[0]).not.toEqual(a.w.values[0]);
    expect(c.x).not.toEqual(a.x);
  });

  it('zero-weight points change nothing: training equals training on the data without them', () => {
    const init = initDenoiser(config, rngFromKey('zero', 'init'));
    const withZeros = trainDenoiser(init, schedule, data, options, rngFromKey('zero', 'train'));
    const without = trainDenoiser(
      init,
      schedule,
      select(data, (i) => data.weights[i] > 0),
      options,
      rngFromKey('zero', 'train'),
    );
    expect(withZeros.values).toEqual(without.values);
    // …while giving them weight changes the model.
    const weighted = trainDenoiser(init, schedule, { ...data, weights: undefined }, options, rngFromKey('zero', 'train'));
    expect(weighted.values[0]).not.toEqual(withZeros.values[0]);
  });

  it('rejects labels outside 0…classes and weights that do not match the config', () => {
    const w = initDenoiser(config, rngFromKey('bad', 'init'));
    expect(() => sampleDdpm(w, schedule, Int32Array.from([3]), rngFromKey('bad', 's'))).toThrow('outside 0…2');
    expect(() => sampleDdpm({ ...w, config: { ...config, hidden: 8 } }, schedule, Int32Array.from([0]), rngFromKey('bad', 's'))).toThrow(
      'do not match their config',
    );
    expect(() =>
      sampleDdim(w, schedule, ddimSchedule(schedule, 10), new Float64Array(9), Int32Array.from([0]), rngFromKey('bad', 's')),
    ).toThrow('one per DDIM step');
  });
});

describe('the fused kernels against TF.js (same weights, batches and random draws)', () => {
  const config: DenoiserConfig = { hidden: 24, layers: 3, timeEmbedding: 16, classes: 2 };
  const data = toy(256, 256, 'engines');
  const options = { steps: 200, batch: 100, learningRate: 2e-3, labelDropout: 0.1 };
  afterAll(() => setFusedKernels(false));

  /** fn with the fused kernels on, then off. */
  const both = <T>(fn: () => T): { kernels: T; tfjs: T } => {
    setFusedKernels(true);
    const kernels = fn();
    setFusedKernels(false);
    return { kernels, tfjs: fn() };
  };

  // On the wasm backend the kernels compute the very same float32 numbers as TF.js: XNNPACK's
  // wasm SIMD matmul also sums over k in order with a separate multiply and add, and the kernels'
  // Adam, ReLU and loss gradient follow TF.js's operations. So equality is exact here; a change
  // of summation order in the kernels (k-splitting, fused multiply-add) would show up as a
  // failure of this test and needs its own statistical check instead.
  it('training (200 Adam steps), its random draws, and the trained model’s loss, DDPM and DDIM samples and latents equal TF.js’s bit for bit', () => {
    const init = initDenoiser(config, rngFromKey('engines', 'init'));
    const trained = both(() => {
      const rng = rngFromKey('engines', 'train');
      const weights = trainDenoiser(init, schedule, data, options, rng);
      // The rng ends in the same state: the same draws, in the same order.
      return { weights, next: rng.uniform() };
    });
    expect(trained.kernels).toEqual(trained.tfjs);
    const weights = trained.tfjs.weights;
    // Trained: the loss fell (measured 2.77 → 0.31 on both engines) and agrees exactly.
    const before = denoisingLoss(init, schedule, data, rngFromKey('engines', 'loss'), 2);
    const loss = both(() => denoisingLoss(weights, schedule, data, rngFromKey('engines', 'loss'), 2));
    expect(loss.kernels).toBeLessThan(0.5 * before);
    expect(loss.kernels).toBe(loss.tfjs);
    const labels = Int32Array.from({ length: 300 }, (_, i) => i % 3);
    const ddpm = both(() => sampleDdpm(weights, schedule, labels, rngFromKey('engines', 'ddpm'), 1.5));
    expect(ddpm.kernels).toEqual(ddpm.tfjs);
    const ddim = ddimSchedule(schedule, 10);
    const sigma = new Float64Array(10).map((_, k) => ddimSigma(ddim, k, 0.5));
    const x = both(() => sampleDdim(weights, schedule, ddim, sigma, labels, rngFromKey('engines', 'ddim'), true));
    expect(x.kernels).toEqual(x.tfjs);
    const points = data.points.subarray(0, 2 * 40);
    const z = both(() => latents(weights, schedule, points, [10, 60], rngFromKey('engines', 'latents')));
    expect(z.kernels).toEqual(z.tfjs);
  });
});
