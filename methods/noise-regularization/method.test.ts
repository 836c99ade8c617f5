// biome-ignore-all lint/suspicious/noExplicitAny: TF.js tensors and the task's encoders, typed unknown by the contract, are used directly here
/**
 * noise-regularization: metadata checks of `collapse-bench validate`, and the NR loss itself on
 * known inputs: L = L_DCCA + α·Σ_k |Corr(f_k(X_k), f_k(A_k)) − Corr(X_k, A_k)| with the total
 * canonical correlations compared as they are (no division by dimension), checked against a
 * float64 reference on the same noise draw. Its behaviour on dcca (R² stays near its peak
 * while plain DCCA's falls) is tested in benchmarks/dcca/task.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import method from './method.ts';
import { formatProblem, validateMethods } from '../../harness/validate-methods.ts';
import { loadBackend, tfjs } from '../../harness/backend.ts';
import { rngFromKey } from '../../harness/rng.ts';
import { totalCorrelation } from '../../benchmarks/dcca/cca.ts';
import type { DccaLossContext } from '../../benchmarks/dcca/task.ts';

const folder = dirname(fileURLToPath(import.meta.url));
const root = resolve(folder, '../..');
const R = 1e-3;
const ROWS = 200;
const COLS = 4;

beforeAll(async () => {
  await loadBackend('wasm');
});

/** Total canonical correlation in float64 (eigendecomposition whitening, SVD trace norm). */
function referenceCorr(x: Matrix, y: Matrix): number {
  const n = x.rows;
  const center = (m: Matrix) => Matrix.sub(m, Matrix.ones(n, 1).mmul(Matrix.rowVector(m.mean('column'))));
  const [xc, yc] = [center(x), center(y)];
  const power = (a: Matrix) => {
    const eig = new EigenvalueDecomposition(a, { assumeSymmetric: true });
    return eig.eigenvectorMatrix.mmul(Matrix.diag(eig.realEigenvalues.map((l) => l ** -0.5))).mmul(eig.eigenvectorMatrix.transpose());
  };
  const s11 = Matrix.add(
    xc
      .transpose()
      .mmul(xc)
      .div(n - 1),
    Matrix.eye(x.columns).mul(R),
  );
  const s22 = Matrix.add(
    yc
      .transpose()
      .mmul(yc)
      .div(n - 1),
    Matrix.eye(y.columns).mul(R),
  );
  const t = power(s11)
    .mmul(
      xc
        .transpose()
        .mmul(yc)
        .div(n - 1),
    )
    .mmul(power(s22));
  return new SingularValueDecomposition(t, { computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal.reduce(
    (a, b) => a + b,
    0,
  );
}

/** Two correlated 4-column views, float32-rounded as the task stores them. */
function views(): Float32Array[] {
  const rng = rngFromKey('nr test', 'data');
  const shared = rng.fillNormal(new Float64Array(ROWS * COLS));
  return [0, 1].map(() => Float32Array.from(shared, (s) => s + 0.5 * rng.normal()));
}

function context(x: Float32Array[], encode: (k: number, v: any) => any): DccaLossContext {
  const tf = tfjs();
  const xs = x.map((v) => tf.tensor2d(v, [ROWS, COLS]));
  const correlation = (a: any, b: any) => totalCorrelation(tf, a, b, { r: R, iterations: 40 });
  const embeddings = xs.map((v, k) => encode(k, v));
  return {
    task: 'dcca',
    taskParams: {},
    epoch: 1,
    step: 0,
    rng: rngFromKey('nr test', 'noise'),
    tf,
    views: xs,
    embeddings,
    objective: tf.neg(correlation(embeddings[0], embeddings[1])),
    encode,
    correlation,
    weights: [],
  };
}

describe(method.id, () => {
  it('has valid metadata: README front matter, parameters and hooks', async () => {
    const [report] = await validateMethods(root, [folder], { run: false });
    expect(report.problems.map(formatProblem)).toEqual([]);
  });

  it('is the plain objective for an identity encoder (the CIP holds: ζ_k = 0)', () => {
    const identity = context(views(), (_, v) => v);
    const plain = identity.objective.dataSync()[0];
    expect((method.hooks.loss!(identity, { alpha: 100 }) as any).dataSync()[0]).toBeCloseTo(plain, 2);
  });

  it('adds α·Σ_k |Corr(f(X_k), f(A_k)) − Corr(X_k, A_k)|, unnormalized, on the noise it draws', () => {
    const tf = tfjs();
    // A nonlinear encoder (elementwise square) breaks the invariance.
    const x = views();
    const square = context(x, (_, v) => tf.square(v));
    const alpha = 3;
    const penalty = ((method.hooks.loss!(square, { alpha }) as any).dataSync()[0] - square.objective.dataSync()[0]) / alpha;
    // The same noise draws, in the order the method draws them (view 0, then view 1).
    const noise = rngFromKey('nr test', 'noise');
    let expected = 0;
    for (const v of x) {
      const a = Float32Array.from(noise.fillNormal(new Float64Array(ROWS * COLS)));
      const xm = Matrix.from1DArray(ROWS, COLS, Array.from(v));
      const am = Matrix.from1DArray(ROWS, COLS, Array.from(a));
      const sq = (m: Matrix) => m.clone().apply((i, j) => m.set(i, j, m.get(i, j) ** 2));
      expected += Math.abs(referenceCorr(sq(xm), sq(am)) - referenceCorr(xm, am));
    }
    expect(expected).toBeGreaterThan(0.05);
    expect(penalty).toBeCloseTo(expected, 3);
  });
});
