/**
 * latent-filtering: on a constructed pool it keeps exactly N samples per replicate and prefers
 * in-mode samples; selectTop's balancing; the probe; metadata. Its behaviour on the diffusion
 * task itself is measured in benchmarks/diffusion/task.test.ts and the README.
 */
import { describe, expect, it } from 'vitest';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import method, { selectTop } from './method.ts';
import thresholdMethod from '../latent-threshold-filtering/method.ts';
import { fitProbe, labelConfidence } from './probe.ts';
import { formatProblem, validateMethods } from '../../harness/validate-methods.ts';
import { rngFromKey, type Rng } from '../../harness/rng.ts';
import type { Batch, Features, FilterContext, Pool } from '../../harness/types.ts';
import { dataset } from '../../benchmarks/diffusion/data.ts';

const folder = dirname(fileURLToPath(import.meta.url));
const root = resolve(folder, '../..');
const ring = dataset('ring');

interface Points {
  points: Float32Array;
  labels: Int32Array;
}

/** Labelled ring samples; with `offMode` a fraction of them is moved to a random wrong mode's centre region or between modes. */
function batch(
  origin: 'real' | 'synthetic',
  generation: number,
  replicates: number,
  size: number,
  rng: Rng,
  offMode = 0,
): { batch: Batch<Points>; inMode: Uint8Array } {
  const n = replicates * size;
  const data: Points = { points: new Float32Array(2 * n), labels: new Int32Array(n) };
  ring.sample(n, rng, data.points, data.labels);
  const inMode = new Uint8Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    if (rng.uniform() >= offMode) continue;
    inMode[i] = 0;
    // Half go between two modes (radius 1.2), half sit on another class's mode.
    const angle =
      rng.uniform() < 0.5 ? (2 * Math.PI * (rng.int(8) + 0.5)) / 8 : (2 * Math.PI * ((data.labels[i] + 1 + rng.int(7)) % 8)) / 8;
    const radius = rng.uniform() < 0.5 ? 1.2 : 2;
    data.points[2 * i] = radius * Math.cos(angle) + 0.1 * rng.normal();
    data.points[2 * i + 1] = radius * Math.sin(angle) + 0.1 * rng.normal();
  }
  return { batch: { origin, generation, size, data }, inMode };
}

/** Features standing in for a denoiser's latents: Gaussian bumps around the 8 ring centres, plus the radius. */
function features(b: Batch<Points>): Features {
  const n = b.data.labels.length;
  const dim = 9;
  const values = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const [x, y] = [b.data.points[2 * i], b.data.points[2 * i + 1]];
    for (let m = 0; m < 8; m++)
      values[i * dim + m] = Math.exp(-((x - ring.centers[2 * m]) ** 2 + (y - ring.centers[2 * m + 1]) ** 2) / 0.5);
    values[i * dim + 8] = Math.hypot(x, y);
  }
  return { dim, values, labels: b.data.labels, classes: 8 };
}

describe(method.id, () => {
  it('has valid metadata: README front matter, parameters and hooks', async () => {
    const [report] = await validateMethods(root, [folder], { run: false });
    expect(report.problems.map(formatProblem)).toEqual([]);
  });

  it.each([
    ['accumulated', 'threshold'],
    ['synthetic', 'threshold'],
    ['accumulated', 'top'],
    ['synthetic', 'top'],
  ] as const)('keeps exactly N samples per replicate and prefers in-mode ones (candidates: %s, select: %s)', (candidates, select) => {
    // select=top is this entry (ACU-LSF); threshold is latent-threshold-filtering.
    const entry = select === 'top' ? method : thresholdMethod;
    const R = 3;
    // Batches of 2N: even with half the synthetic candidates off-mode, every class has about
    // twice its quota of in-mode candidates.
    const N = 100;
    const B = 2 * N;
    const rng = rngFromKey('latent-filtering-test', candidates);
    const selectRng = rngFromKey('latent-filtering-test', `${candidates}-${select}`);
    const real = batch('real', 0, R, B, rng);
    const older = batch('synthetic', 0, R, B, rng, 0.5);
    const fresh = batch('synthetic', 1, R, B, rng, 0.5);
    const history: Batch<unknown>[] = [real.batch, older.batch];
    let drawn = 0;
    const ctx: FilterContext<unknown> = {
      t: 2,
      size: N,
      replicates: R,
      previous: { parts: [{ batch: older.batch }] },
      initial: real.batch,
      history,
      rng: selectRng,
      synthetic: () => {
        drawn++;
        history.push(fresh.batch);
        return fresh.batch;
      },
      real: () => {
        throw new Error('latent-filtering draws no fresh real data');
      },
      features: (b) => features(b as Batch<Points>),
    };
    const filter = entry.hooks.filter! as (ctx: FilterContext<unknown>, params: unknown) => Pool<unknown>;
    const pool = filter(ctx, entry.params.parse({ candidates })) as Pool<Points>;
    expect(drawn).toBe(1);
    const masks = new Map([real, older, fresh].map((x) => [x.batch, x.inMode]));
    const synthetic = pool.parts.filter((p) => p.batch.origin === 'synthetic');
    expect(synthetic.length).toBe(2);
    if (candidates === 'synthetic') expect(pool.parts.length).toBe(2);
    for (let r = 0; r < R; r++) {
      let kept = 0;
      let keptInMode = 0;
      let keptOff = 0;
      for (const part of pool.parts) {
        const mask = masks.get(part.batch as Batch<Points>)!;
        for (let i = 0; i < B; i++) {
          const w = part.weights![r * B + i];
          expect(w === 0 || w === 1).toBe(true);
          if (w === 0) continue;
          kept++;
          if (mask[r * B + i]) keptInMode++;
          else keptOff++;
        }
      }
      expect(kept).toBe(N);
      // Candidates are 2/3 (accumulated) or 1/2 (synthetic) in-mode; the kept ones nearly all.
      expect(keptOff).toBeLessThan(0.03 * N);
      expect(keptInMode).toBeGreaterThan(0.97 * N);
    }
    if (select === 'top') {
      // ACU-LSF keeps, per class, exactly the candidates of highest ξ(x, y): every kept one
      // scores at least as high as every dropped one of its class (the probe as the method fits it).
      const f0 = features(real.batch);
      for (let r = 0; r < R; r++) {
        const probe = fitProbe(f0.values.subarray(r * B * 9, (r + 1) * B * 9), f0.labels.subarray(r * B, (r + 1) * B), B, 9, 8, {
          iterations: 300,
          learningRate: 0.5,
          l2: 1e-3,
        });
        const keptMin = new Array(8).fill(Infinity);
        const droppedMax = new Array(8).fill(-Infinity);
        for (const part of pool.parts) {
          const f = features(part.batch as Batch<Points>);
          const labels = f.labels.subarray(r * B, (r + 1) * B);
          const xi = labelConfidence(probe, f.values.subarray(r * B * 9, (r + 1) * B * 9), labels, B);
          for (let i = 0; i < B; i++) {
            const c = labels[i];
            if (part.weights![r * B + i] > 0) keptMin[c] = Math.min(keptMin[c], xi[i]);
            else droppedMax[c] = Math.max(droppedMax[c], xi[i]);
          }
        }
        for (let c = 0; c < 8; c++) expect(keptMin[c]).toBeGreaterThanOrEqual(droppedMax[c]);
      }
    }
  });

  it('selectTop keeps the N best, balanced over classes when asked, and exactly N when a class runs short', () => {
    const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
    const labels = [0, 0, 0, 0, 1, 1];
    expect(selectTop(scores, labels, 2, 3, 'none')).toEqual([0, 1, 2]);
    expect(selectTop(scores, labels, 2, 4, 'class')).toEqual([0, 1, 4, 5]);
    // Class 1 has 2 candidates for a quota of 3: its unused slot goes to the best of class 0's rest.
    expect(selectTop(scores, labels, 2, 6, 'class').sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(selectTop([0.5, 0.5, 0.5], [0, 0, 0], 1, 2, 'none')).toEqual([0, 1]);
    expect(() => selectTop(scores, labels, 2, 7, 'none')).toThrow('latent filtering cannot keep 7 samples from 6 candidates');
  });

  it('the probe learns separable classes and is confident on them', () => {
    const rng = rngFromKey('probe-test', 'data');
    const { batch: b } = batch('real', 0, 1, 400, rng);
    const f = features(b);
    const probe = fitProbe(f.values, f.labels, 400, f.dim, 8, { iterations: 300, learningRate: 0.5, l2: 1e-3 });
    const confidence = labelConfidence(probe, f.values, f.labels, 400);
    const mean = confidence.reduce((a, c) => a + c, 0) / 400;
    expect(mean).toBeGreaterThan(0.9);
    // The wrong label gets little confidence.
    const wrong = Int32Array.from(f.labels, (c) => (c + 4) % 8);
    const wrongMean = labelConfidence(probe, f.values, wrong, 400).reduce((a, c) => a + c, 0) / 400;
    expect(wrongMean).toBeLessThan(0.05);
  });
});
