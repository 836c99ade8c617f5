/**
 * charlm.ts against TF.js on the wasm backend (the one cells use) on the same weights,
 * contexts, targets and scales: the logits, the log-softmax, the weighted loss and every
 * hand-written gradient against tf.grads of char.ts's TF.js model, Adam against tf.train.adam
 * on the same gradients, several training steps against optimizer.minimize — all bit for bit,
 * as the kernels follow tfjs-wasm's float32 operations and summation orders (README.md); tanh
 * against tf.tanh on a million inputs; sizes that hit every SIMD block edge and TF.js's k-blocks
 * of 48; determinism (same bits run to run, whatever the rows per call); bad ids refused.
 */
import type * as TF from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackend, tfjs } from '../../harness/backend.ts';
import { rngFromKey } from '../../harness/rng.ts';
import { CharLmKernel, charLmParameterShapes, type CharLmShape } from './charlm.ts';
import { CHARLM_WASM_BASE64 } from './wasm.generated.ts';

let tf: typeof TF;
beforeAll(async () => {
  await loadBackend('wasm');
  tf = tfjs();
});

/** Random weights (biases non-zero, so their gradients matter), contexts, targets and scales. */
function randomCase(shape: CharLmShape, rows: number, seed: string) {
  const rng = rngFromKey('charlm-kernel-test', seed);
  const R = shape.replicates;
  const weights = charLmParameterShapes(shape).map(([a, b], i) => {
    const sd = i === 0 ? 0.5 : Math.sqrt(1 / (i === 2 || i === 4 ? b : a));
    return new Float32Array(rng.fillNormal(new Float64Array(R * a * b), 0, sd));
  });
  const contexts = Int32Array.from({ length: R * rows * shape.window }, () => rng.int(shape.symbols));
  const targets = Int32Array.from({ length: R * rows }, () => rng.int(shape.classes));
  const scales = Float32Array.from({ length: R * rows }, () => (0.5 + rng.uniform()) / rows);
  return { weights, contexts, targets, scales };
}

type Case = ReturnType<typeof randomCase>;

function kernelFor(shape: CharLmShape, c: Case, rows: number, capacity = 1): CharLmKernel {
  const net = CharLmKernel.create(shape, c.weights, capacity);
  net.contexts(rows);
  net.targets(rows);
  net.scales(rows);
  net.contexts(rows).set(c.contexts);
  net.targets(rows).set(c.targets);
  net.scales(rows).set(c.scales);
  return net;
}

/** Per replicate, its weight tensors [emb, W₁, b₁ (1×H), W₂, b₂ (1×V)] from the [R, a, b] arrays. */
function replicaTensors(shape: CharLmShape, weights: Float32Array[]): TF.Tensor2D[][] {
  const dims = charLmParameterShapes(shape);
  return Array.from({ length: shape.replicates }, (_, r) =>
    weights.map((w, i) => {
      const [a, b] = dims[i];
      return tf.tensor2d(w.subarray(r * a * b, (r + 1) * a * b), [a, b]);
    }),
  );
}

/** char.ts's TF.js model: logits [R·rows, V] (one-hot × embedding, tanh layer, output layer). */
function tfLogits(shape: CharLmShape, w: TF.Tensor2D[][], contexts: Int32Array, rows: number): TF.Tensor2D {
  const { window: k, embedding: E, symbols: S } = shape;
  return tf.concat(
    w.map(([emb, w1, b1, w2, b2], r) => {
      const ids = tf.tensor1d(contexts.subarray(r * rows * k, (r + 1) * rows * k), 'int32');
      const x = tf.matMul(tf.oneHot(ids, S), emb).reshape([rows, k * E]) as TF.Tensor2D;
      const h = tf.tanh(tf.add(tf.matMul(x, w1), b1)) as TF.Tensor2D;
      return tf.add(tf.matMul(h, w2), b2) as TF.Tensor2D;
    }),
    0,
  );
}

/** char.ts's TF.js loss: per replicate Σ_b scale_b·CE_b, [R]. */
function tfLosses(shape: CharLmShape, w: TF.Tensor2D[][], c: Case, rows: number): TF.Tensor1D {
  const y = tf.oneHot(tf.tensor1d(c.targets, 'int32'), shape.classes);
  const logp = tf.logSoftmax(tfLogits(shape, w, c.contexts, rows));
  const ce = tf.neg(tf.sum(tf.mul(logp, y), 1)).reshape([shape.replicates, rows]);
  return tf.sum(tf.mul(ce, tf.tensor2d(c.scales, [shape.replicates, rows])), 1) as TF.Tensor1D;
}

/** TF.js's gradients of Σ_r loss_r, in the kernel's layout (each parameter for all replicates). */
function tfGradients(shape: CharLmShape, c: Case, rows: number): Float32Array[] {
  return tf.tidy(() => {
    const w = replicaTensors(shape, c.weights);
    const flat = w.flat();
    const grads = tf.grads((...ws: TF.Tensor[]) => {
      const byReplica = Array.from({ length: shape.replicates }, (_, r) => ws.slice(5 * r, 5 * r + 5) as TF.Tensor2D[]);
      return tf.sum(tfLosses(shape, byReplica, c, rows));
    })(flat);
    return [0, 1, 2, 3, 4].map((i) => {
      const out = new Float32Array(c.weights[i].length);
      for (let r = 0; r < shape.replicates; r++) out.set(grads[5 * r + i].dataSync(), (r * out.length) / shape.replicates);
      return out;
    });
  });
}

/** max |a − b| / max |b|: relative to the array's scale (the gradients here are ≪ 1). */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

// The char task's default model (products over 64 rows and 96 units: TF.js's k-blocks of 48);
// odd sizes that hit every SIMD block edge (widths not multiples of 4 or 8, leftover rows, a
// k-block of 48 plus a remainder); the smallest model.
const SHAPES: { name: string; shape: CharLmShape; rows: number }[] = [
  {
    name: 'char defaults (R 3, k 6, E 12, H 96, 29 → 28), 64 rows',
    shape: { replicates: 3, window: 6, embedding: 12, hidden: 96, symbols: 29, classes: 28 },
    rows: 64,
  },
  {
    name: 'odd sizes (R 2, k 3, E 5, H 13, 6 → 5), 9 rows',
    shape: { replicates: 2, window: 3, embedding: 5, hidden: 13, symbols: 6, classes: 5 },
    rows: 9,
  },
  {
    name: 'odd sizes over k-blocks (R 2, k 5, E 3, H 53, 7 → 6), 101 rows',
    shape: { replicates: 2, window: 5, embedding: 3, hidden: 53, symbols: 7, classes: 6 },
    rows: 101,
  },
  {
    name: 'smallest (R 1, k 1, E 1, H 1, 2 → 2), 1 row',
    shape: { replicates: 1, window: 1, embedding: 1, hidden: 1, symbols: 2, classes: 2 },
    rows: 1,
  },
];

describe.each(SHAPES)('char LM kernel vs TF.js: $name', ({ shape, rows }) => {
  it('the logits and log-probabilities equal TF.js’s bit for bit', () => {
    const c = randomCase(shape, rows, 'forward');
    const net = kernelFor(shape, c, rows);
    const logits = net.forward(rows).slice();
    const logp = net.logProbabilities(rows).slice();
    const [want, wantLogp] = tf.tidy(() => {
      const z = tfLogits(shape, replicaTensors(shape, c.weights), c.contexts, rows);
      return [z.dataSync(), tf.logSoftmax(z).dataSync()];
    });
    expect(logits.length).toBe(shape.replicates * rows * shape.classes);
    expect(logits).toEqual(want);
    expect(logp).toEqual(wantLogp);
  });

  it('the weighted loss and every gradient equal tf.grads of char.ts’s TF.js loss bit for bit', () => {
    const c = randomCase(shape, rows, 'backward');
    const net = kernelFor(shape, c, rows);
    const losses = net.lossAndGradients(rows);
    const got = net.gradients();
    const wantLosses = tf.tidy(() => tfLosses(shape, replicaTensors(shape, c.weights), c, rows).dataSync());
    const want = tfGradients(shape, c, rows);
    expect(losses).toEqual(wantLosses);
    got.forEach((g, i) => {
      expect(g.length, `gradient ${i}`).toBe(want[i].length);
      expect(g, `gradient ${i}`).toEqual(want[i]);
      // Not trivially zero (every parameter is in the graph).
      expect(
        g.some((x) => x !== 0),
        `gradient ${i} non-zero`,
      ).toBe(true);
    });
  });

  it('Adam steps on the same gradients equal tf.train.adam bit for bit', () => {
    const c = randomCase(shape, rows, 'adam');
    const net = kernelFor(shape, c, rows);
    net.lossAndGradients(rows);
    const grads = net.gradients();
    const options = { learningRate: 0.02 };
    for (let s = 0; s < 3; s++) net.adamStep(options);
    const want = tf.tidy(() => {
      const vars = c.weights.map((w) => tf.variable(tf.tensor1d(w)));
      const optimizer = tf.train.adam(options.learningRate);
      for (let s = 0; s < 3; s++) optimizer.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: tf.tensor1d(grads[i]) })));
      const out = vars.map((v) => v.dataSync().slice());
      optimizer.dispose();
      tf.dispose(vars);
      return out;
    });
    expect(net.read()).toEqual(want);
  });

  it('training steps equal optimizer.minimize on the summed loss bit for bit', () => {
    const c = randomCase(shape, rows, 'train');
    const net = kernelFor(shape, c, rows);
    const steps = 5;
    const options = { learningRate: 0.02 };
    const kernelLosses = Array.from({ length: steps }, () => Array.from(net.trainStep(rows, options)));
    const { weights, losses } = tf.tidy(() => {
      const w = replicaTensors(shape, c.weights).map((ws) => ws.map((t) => tf.variable(t)));
      const optimizer = tf.train.adam(options.learningRate);
      const losses: number[][] = [];
      for (let s = 0; s < steps; s++) {
        let perReplicate: TF.Tensor | undefined;
        optimizer.minimize(
          () => {
            perReplicate = tf.keep(tfLosses(shape, w, c, rows));
            return tf.sum(perReplicate) as TF.Scalar;
          },
          false,
          w.flat(),
        );
        losses.push(Array.from(perReplicate!.dataSync()));
      }
      const weights = [0, 1, 2, 3, 4].map((i) => Float32Array.from(w.flatMap((ws) => Array.from(ws[i].dataSync()))));
      optimizer.dispose();
      return { weights, losses };
    });
    expect(kernelLosses).toEqual(losses);
    net.read().forEach((w, i) => {
      expect(w, `weights ${i}`).toEqual(weights[i]);
    });
    // The weights moved (the comparison is not of two untouched copies).
    expect(relativeError(net.read()[1], c.weights[1])).toBeGreaterThan(1e-3);
  });
});

describe('char LM kernel: tanh', () => {
  it('equals tfjs-wasm’s Tanh (musl’s tanhf) on a million inputs across its branches', () => {
    const k = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(CHARLM_WASM_BASE64, 'base64')), {}).exports as {
      memory: WebAssembly.Memory;
      heapBase(): number;
      tanhInPlace(x: number, n: number): void;
    };
    const rng = rngFromKey('charlm-kernel-test', 'tanh');
    const n = 1 << 20;
    // |x| on a log scale from 1e-40 (subnormal) to 20 (beyond the |x| > 10 branch), both signs,
    // and the special values.
    const x = Float32Array.from(
      { length: n },
      () => (rng.uniform() < 0.5 ? -1 : 1) * Math.exp(Math.log(1e-40) + rng.uniform() * (Math.log(20) - Math.log(1e-40))),
    );
    x.set([0, -0, Infinity, -Infinity, NaN, 0.5493, 0.2554, 10, -10]);
    const at = Math.ceil(k.heapBase() / 16) * 16;
    const pages = Math.ceil((at + 4 * n) / 65536) - k.memory.buffer.byteLength / 65536;
    if (pages > 0) k.memory.grow(pages);
    new Float32Array(k.memory.buffer, at, n).set(x);
    k.tanhInPlace(at, n);
    const got = new Float32Array(k.memory.buffer, at, n).slice();
    const want = tf.tidy(() => tf.tanh(tf.tensor1d(x)).dataSync());
    let differ = 0;
    for (let i = 0; i < n; i++) if (!Object.is(got[i], want[i])) differ++;
    expect(differ).toBe(0);
  });
});

describe('char LM kernel: determinism and contracts', () => {
  const shape: CharLmShape = { replicates: 2, window: 4, embedding: 6, hidden: 20, symbols: 9, classes: 8 };

  it('two trainings give the same bits; a row’s logits do not depend on the rows per call', () => {
    const c = randomCase(shape, 12, 'determinism');
    const train = () => {
      const net = kernelFor(shape, c, 12);
      for (let s = 0; s < 4; s++) net.trainStep(12, { learningRate: 0.05 });
      return net.read();
    };
    expect(train()).toEqual(train());
    // setWeights starts over: one instance reused for a second model trains it as a fresh one.
    const reused = kernelFor(shape, c, 12);
    reused.trainStep(12, { learningRate: 0.05 });
    reused.setWeights(c.weights);
    for (let s = 0; s < 4; s++) reused.trainStep(12, { learningRate: 0.05 });
    expect(reused.read()).toEqual(train());
    // The first 5 rows of each replicate, alone, give the same logits as within 12 rows.
    const all = kernelFor(shape, c, 12).forward(12).slice();
    const net = CharLmKernel.create(shape, c.weights, 5);
    const ctx = net.contexts(5);
    for (let r = 0; r < 2; r++) ctx.set(c.contexts.subarray(r * 12 * 4, (r * 12 + 5) * 4), r * 5 * 4);
    const few = net.forward(5);
    for (let r = 0; r < 2; r++) expect(few.subarray(r * 5 * 8, (r + 1) * 5 * 8)).toEqual(all.subarray(r * 12 * 8, (r * 12 + 5) * 8));
  });

  it('refuses ids outside the table, targets outside the classes and mismatched weights', () => {
    const c = randomCase(shape, 3, 'errors');
    const net = kernelFor(shape, c, 3);
    net.contexts(3)[5] = 9;
    expect(() => net.forward(3)).toThrow('context id 9 is outside 0…8');
    net.contexts(3)[5] = 0;
    net.targets(3)[1] = -1;
    expect(() => net.lossAndGradients(3)).toThrow('target -1 is outside 0…7');
    expect(() => net.forward(4)).toThrow('rows must be an integer in 1…3');
    expect(() => CharLmKernel.create(shape, c.weights.slice(0, 4))).toThrow('char LM weights do not match');
    expect(() => net.setWeights(c.weights.map((w) => w.subarray(1)))).toThrow('char LM weights do not match');
  });
});
