/**
 * mlp.ts against TF.js on the same weights and rows: the forward pass, every hand-written
 * gradient (from an arbitrary upstream gradient and from the squared-error loss) against
 * tf.grads, Adam against tf.train.adam on the same gradients, several training steps against
 * optimizer.minimize; odd widths and row counts that hit every edge of the SIMD blocks; and
 * determinism (same bits run to run, whatever the rows per call).
 */
import type * as TF from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackend, tfjs } from '../../harness/backend.ts';
import { rngFromKey } from '../../harness/rng.ts';
import { MlpKernel, mlpParameterShapes, type MlpShape } from './mlp.ts';

let tf: typeof TF;
beforeAll(async () => {
  // The cpu backend computes plain float32 (no fused or reordered kernels): the reference.
  await loadBackend('cpu');
  tf = tfjs();
});

/** Random weights (biases non-zero too, so their gradients matter) and rows. */
function randomCase(shape: MlpShape, rows: number, seed: string) {
  const rng = rngFromKey('mlp-kernel-test', seed);
  const values = mlpParameterShapes(shape).map((s) => {
    const n = s.reduce((a, b) => a * b, 1);
    return new Float32Array(rng.fillNormal(new Float64Array(n), 0, Math.sqrt(2 / s[0])));
  });
  const input = new Float32Array(rng.fillNormal(new Float64Array(rows * shape.input)));
  const upstream = new Float32Array(rng.fillNormal(new Float64Array(rows * shape.output)));
  return { values, input, upstream };
}

/** The same MLP in TF.js: output (or last hidden layer) of x for weight tensors ws. */
function tfForward(shape: MlpShape, ws: TF.Tensor[], x: TF.Tensor2D, hiddenOnly = false): TF.Tensor2D {
  let h = x;
  for (let l = 0; l < shape.layers; l++) h = tf.relu(tf.add(tf.matMul(h, ws[2 * l] as TF.Tensor2D), ws[2 * l + 1])) as TF.Tensor2D;
  if (hiddenOnly) return h;
  return tf.add(tf.matMul(h, ws[2 * shape.layers] as TF.Tensor2D), ws[2 * shape.layers + 1]) as TF.Tensor2D;
}

/** max |a − b| / (1 + max |b|): float32 round-off of a different summation order stays ≲ 1e-5. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (1 + scale);
}

// Widths that hit every block edge (8-, 4- and 1-wide columns; 4-row blocks and leftover rows),
// and the diffusion denoiser's own shape.
const SHAPES: { name: string; shape: MlpShape; rows: number }[] = [
  { name: 'odd widths (5 → 13 ×2 → 3), 7 rows', shape: { input: 5, hidden: 13, layers: 2, output: 3 }, rows: 7 },
  { name: 'denoiser (27 → 64 ×3 → 2), 256 rows', shape: { input: 27, hidden: 64, layers: 3, output: 2 }, rows: 256 },
  { name: 'one hidden layer (1 → 4 → 1), 1 row', shape: { input: 1, hidden: 4, layers: 1, output: 1 }, rows: 1 },
];

describe.each(SHAPES)('MLP kernel vs TF.js: $name', ({ shape, rows }) => {
  it('forward: the output and the last hidden layer equal TF.js’s', () => {
    const { values, input } = randomCase(shape, rows, 'forward');
    const net = MlpKernel.create(shape, values, 2);
    net.input(rows).set(input);
    const out = net.forward(rows).slice();
    net.input(rows).set(input);
    const hidden = net.forward(rows, true).slice();
    const [want, wantHidden] = tf.tidy(() => {
      const ws = values.map((v, i) => tf.tensor(v, mlpParameterShapes(shape)[i]));
      const x = tf.tensor2d(input, [rows, shape.input]);
      return [tfForward(shape, ws, x).dataSync(), tfForward(shape, ws, x, true).dataSync()];
    });
    expect(out.length).toBe(rows * shape.output);
    expect(relativeError(out, want)).toBeLessThan(1e-5);
    expect(relativeError(hidden, wantHidden)).toBeLessThan(1e-5);
  });

  it('backward from an upstream gradient: every parameter’s gradient equals tf.grads', () => {
    const { values, input, upstream } = randomCase(shape, rows, 'backward');
    const net = MlpKernel.create(shape, values);
    net.input(rows).set(input);
    net.forward(rows);
    net.backward(rows, upstream);
    const got = net.gradients();
    const want = tf.tidy(() => {
      const ws = values.map((v, i) => tf.tensor(v, mlpParameterShapes(shape)[i]));
      const x = tf.tensor2d(input, [rows, shape.input]);
      const dy = tf.tensor2d(upstream, [rows, shape.output]);
      // ∂/∂w Σ dy ⊙ f(x; w) is the backward pass of f from upstream gradient dy.
      return tf
        .grads((...params: TF.Tensor[]) => tf.sum(tf.mul(dy, tfForward(shape, params, x))))(ws)
        .map((g) => g.dataSync());
    });
    want.forEach((w, i) => {
      expect(relativeError(got[i], w), `parameter ${i}`).toBeLessThan(1e-5);
    });
  });

  it('squared-error loss: its value and gradients equal TF.js’s mean(sum((ε − ε̂)², 1))', () => {
    const { values, input, upstream: target } = randomCase(shape, rows, 'loss');
    const net = MlpKernel.create(shape, values);
    net.input(rows).set(input);
    net.target(rows).set(target);
    // A learning rate of 0 leaves the weights as they were: only the loss and gradients matter here.
    const loss = net.trainStep(rows, { learningRate: 0 });
    const got = net.gradients();
    const { value, grads } = tf.tidy(() => {
      const ws = values.map((v, i) => tf.tensor(v, mlpParameterShapes(shape)[i]));
      const x = tf.tensor2d(input, [rows, shape.input]);
      const eps = tf.tensor2d(target, [rows, shape.output]);
      const f = (...params: TF.Tensor[]) => tf.mean(tf.sum(tf.square(tf.sub(eps, tfForward(shape, params, x))), 1));
      const { value, grads } = tf.valueAndGrads(f)(ws);
      return { value: value.dataSync()[0], grads: grads.map((g) => g.dataSync()) };
    });
    expect(Math.abs(loss - value) / value).toBeLessThan(1e-5);
    grads.forEach((w, i) => {
      expect(relativeError(got[i], w), `parameter ${i}`).toBeLessThan(1e-5);
    });
    net.read().forEach((w, i) => {
      expect(w).toEqual(values[i]);
    });
  });
});

describe('Adam', () => {
  const shape: MlpShape = { input: 6, hidden: 9, layers: 2, output: 2 };
  const rows = 11;

  it('an Adam step on the same gradients equals tf.train.adam’s (defaults β₁ .9, β₂ .999, ε 1e-7), over three steps', () => {
    const { values, input, upstream } = randomCase(shape, rows, 'adam');
    const net = MlpKernel.create(shape, values);
    const optimizer = tf.train.adam(0.01);
    const variables = values.map((v, i) => tf.variable(tf.tensor(v, mlpParameterShapes(shape)[i])));
    try {
      for (let step = 0; step < 3; step++) {
        net.input(rows).set(input);
        net.forward(rows);
        // A different upstream gradient each step, so the moments see changing gradients.
        net.backward(
          rows,
          upstream.map((u) => u * (step + 1)),
        );
        const gradients = net.gradients();
        net.adamStep({ learningRate: 0.01 });
        tf.tidy(() => optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: tf.tensor(gradients[i], v.shape) }))));
        const got = net.read();
        // Same float32 operations in the same order: equal to within a couple of float32 ulps.
        variables.forEach((v, i) => {
          expect(relativeError(got[i], v.dataSync()), `step ${step} parameter ${i}`).toBeLessThan(1e-6);
        });
      }
    } finally {
      optimizer.dispose();
      tf.dispose(variables);
    }
  });

  it('ten training steps on the squared error follow optimizer.minimize on the same weights and batches', () => {
    const { values } = randomCase(shape, rows, 'train');
    const rng = rngFromKey('mlp-kernel-test', 'batches');
    const batches = Array.from({ length: 10 }, () => ({
      x: new Float32Array(rng.fillNormal(new Float64Array(rows * shape.input))),
      y: new Float32Array(rng.fillNormal(new Float64Array(rows * shape.output))),
    }));
    const net = MlpKernel.create(shape, values);
    const losses = batches.map(({ x, y }) => {
      net.input(rows).set(x);
      net.target(rows).set(y);
      return net.trainStep(rows, { learningRate: 0.01 });
    });
    const optimizer = tf.train.adam(0.01);
    const variables = values.map((v, i) => tf.variable(tf.tensor(v, mlpParameterShapes(shape)[i])));
    try {
      const tfLosses = batches.map(({ x, y }) =>
        tf.tidy(() => {
          const xs = tf.tensor2d(x, [rows, shape.input]);
          const ys = tf.tensor2d(y, [rows, shape.output]);
          const loss = optimizer.minimize(
            () => tf.mean(tf.sum(tf.square(tf.sub(ys, tfForward(shape, variables, xs))), 1)) as TF.Scalar,
            true,
            variables,
          );
          return loss!.dataSync()[0];
        }),
      );
      losses.forEach((l, i) => {
        expect(Math.abs(l - tfLosses[i]) / tfLosses[i], `step ${i}`).toBeLessThan(1e-4);
      });
      const got = net.read();
      variables.forEach((v, i) => {
        expect(relativeError(got[i], v.dataSync()), `parameter ${i}`).toBeLessThan(1e-4);
      });
    } finally {
      optimizer.dispose();
      tf.dispose(variables);
    }
  });
});

describe('determinism and layout', () => {
  const shape: MlpShape = { input: 27, hidden: 24, layers: 3, output: 2 };

  it('two runs of training are bit-identical; a row’s output does not depend on the rows beside it', () => {
    const { values } = randomCase(shape, 64, 'determinism');
    const run = () => {
      const rng = rngFromKey('mlp-kernel-test', 'determinism-batches');
      const net = MlpKernel.create(shape, values, 1);
      for (let step = 0; step < 5; step++) {
        net.input(64).set(rng.fillNormal(new Float64Array(64 * shape.input)));
        net.target(64).set(rng.fillNormal(new Float64Array(64 * shape.output)));
        net.trainStep(64, { learningRate: 1e-3 });
      }
      return net;
    };
    const a = run();
    const b = run();
    expect(b.read()).toEqual(a.read());
    // 50 rows at once against the same rows in calls of 1, 7 and 42 (capacity grows meanwhile).
    const rows = new Float32Array(rngFromKey('mlp-kernel-test', 'rows').fillNormal(new Float64Array(50 * shape.input)));
    a.input(50).set(rows);
    const whole = a.forward(50).slice();
    const fresh = MlpKernel.create(shape, a.read(), 1);
    const parts: number[] = [];
    for (const [start, end] of [
      [0, 1],
      [1, 8],
      [8, 50],
    ]) {
      fresh.input(end - start).set(rows.subarray(start * shape.input, end * shape.input));
      parts.push(...fresh.forward(end - start));
    }
    expect(new Float32Array(parts)).toEqual(whole);
  });

  it('rejects weights that do not match the shape, and backward without its forward pass', () => {
    const { values, upstream } = randomCase(shape, 4, 'errors');
    expect(() => MlpKernel.create(shape, values.slice(1))).toThrow(/do not match/);
    expect(() => MlpKernel.create({ ...shape, hidden: 0 }, values)).toThrow(/positive integer/);
    const net = MlpKernel.create(shape, values);
    expect(() => net.backward(4, upstream)).toThrow(/forward pass/);
    net.input(4);
    net.forward(4, true);
    expect(() => net.backward(4, upstream)).toThrow(/forward pass/);
  });
});
