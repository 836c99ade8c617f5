/**
 * The differentiable total canonical correlation (cca.ts) against float64 references
 * (ml-matrix eigendecomposition and SVD) on known matrices, its invariance to invertible linear
 * maps, and its change under a rank-deficient one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import { loadBackend, tfjs } from '../../harness/backend.ts';
import { rngFromKey } from '../../harness/rng.ts';
import { sqrtAndInvSqrt, totalCorrelation } from './cca.ts';

beforeAll(async () => {
  await loadBackend('wasm');
});

/** A^p of a symmetric positive definite matrix, in float64 (eigendecomposition). */
function spdPower(a: Matrix, p: number): Matrix {
  const eig = new EigenvalueDecomposition(a, { assumeSymmetric: true });
  const v = eig.eigenvectorMatrix;
  const d = Matrix.diag(eig.realEigenvalues.map((l) => l ** p));
  return v.mmul(d).mmul(v.transpose());
}

/** Total canonical correlation Σσᵢ(Σ₁₁^{−1/2}Σ₁₂Σ₂₂^{−1/2}) in float64. */
function referenceCorr(x: Matrix, y: Matrix, r: number): number {
  const n = x.rows;
  const xc = Matrix.sub(x, Matrix.ones(n, 1).mmul(Matrix.rowVector(x.mean('column'))));
  const yc = Matrix.sub(y, Matrix.ones(n, 1).mmul(Matrix.rowVector(y.mean('column'))));
  const s11 = Matrix.add(
    xc
      .transpose()
      .mmul(xc)
      .div(n - 1),
    Matrix.eye(x.columns).mul(r),
  );
  const s22 = Matrix.add(
    yc
      .transpose()
      .mmul(yc)
      .div(n - 1),
    Matrix.eye(y.columns).mul(r),
  );
  const s12 = xc
    .transpose()
    .mmul(yc)
    .div(n - 1);
  const t = spdPower(s11, -0.5).mmul(s12).mmul(spdPower(s22, -0.5));
  return new SingularValueDecomposition(t, { computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal.reduce(
    (a, b) => a + b,
    0,
  );
}

function randomMatrix(rows: number, cols: number, label: string): Matrix {
  const rng = rngFromKey('cca test', label);
  return Matrix.from1DArray(
    rows,
    cols,
    Array.from({ length: rows * cols }, () => rng.normal()),
  );
}

function corrOf(x: Matrix, y: Matrix, r = 1e-3, iterations = 30): number {
  const tf = tfjs();
  return tf.tidy(() => totalCorrelation(tf, tf.tensor2d(x.to2DArray()), tf.tensor2d(y.to2DArray()), { r, iterations }).dataSync()[0]);
}

/** Two views sharing k latent directions: x = [z, noise] A, y = [z, noise] B. */
function views(n: number, p: number, q: number, k: number): { x: Matrix; y: Matrix } {
  const z = randomMatrix(n, k, 'z');
  const x = Matrix.add(z.mmul(randomMatrix(k, p, 'ax')), randomMatrix(n, p, 'nx').mul(0.7));
  const y = Matrix.add(z.mmul(randomMatrix(k, q, 'ay')), randomMatrix(n, q, 'ny').mul(0.7));
  return { x, y };
}

describe('Newton–Schulz square roots', () => {
  it('match the float64 eigendecomposition on a known SPD matrix (condition number 10³)', () => {
    const tf = tfjs();
    // Q diag(λ) Qᵀ with a random orthogonal Q and eigenvalues 1e-3 … 1.
    const q = new EigenvalueDecomposition(Matrix.add(randomMatrix(6, 6, 'q'), randomMatrix(6, 6, 'q').transpose()), {
      assumeSymmetric: true,
    }).eigenvectorMatrix;
    const lambdas = [1e-3, 0.01, 0.1, 0.3, 0.7, 1];
    const a = q.mmul(Matrix.diag(lambdas)).mmul(q.transpose()).mul(5);
    const { sqrt, invSqrt } = tf.tidy(() => {
      const out = sqrtAndInvSqrt(tf, tf.tensor2d(a.to2DArray()), 40);
      return { sqrt: out.sqrt.arraySync(), invSqrt: out.invSqrt.arraySync() };
    });
    const refSqrt = spdPower(a, 0.5);
    const refInv = spdPower(a, -0.5);
    const relErr = (got: number[][], ref: Matrix) => Matrix.sub(new Matrix(got), ref).norm() / ref.norm();
    expect(relErr(sqrt, refSqrt)).toBeLessThan(1e-5);
    expect(relErr(invSqrt, refInv)).toBeLessThan(1e-4);
  });

  it('give the exact roots of a diagonal matrix', () => {
    const tf = tfjs();
    const got = tf.tidy(() =>
      sqrtAndInvSqrt(
        tf,
        tf.tensor2d([
          [4, 0],
          [0, 0.25],
        ]),
        30,
      ).sqrt.arraySync(),
    );
    expect(got[0][0]).toBeCloseTo(2, 5);
    expect(got[1][1]).toBeCloseTo(0.5, 5);
    expect(got[0][1]).toBeCloseTo(0, 6);
  });
});

describe('total canonical correlation', () => {
  const { x, y } = views(400, 5, 4, 2);

  it('matches the float64 reference (eigendecomposition whitening, SVD trace norm)', () => {
    expect(corrOf(x, y)).toBeCloseTo(referenceCorr(x, y, 1e-3), 3);
  });

  it('is invariant to invertible linear maps of either view (to float tolerance)', () => {
    const a = Matrix.add(randomMatrix(5, 5, 'A'), Matrix.eye(5).mul(2));
    const b = Matrix.add(randomMatrix(4, 4, 'B'), Matrix.eye(4).mul(2));
    // r = 0: the ridge is the only term that is not invariant.
    const before = corrOf(x, y, 0, 40);
    const after = corrOf(x.mmul(a), y.mmul(b), 0, 40);
    expect(referenceCorr(x.mmul(a), y.mmul(b), 0)).toBeCloseTo(referenceCorr(x, y, 0), 10);
    expect(Math.abs(after - before)).toBeLessThan(2e-3);
  });

  it('changes under a rank-deficient map', () => {
    // Rank 2 of 5: project view 1 onto two of its directions (the columns stay 5 wide).
    const p = Matrix.zeros(5, 5);
    p.set(0, 0, 1);
    p.set(1, 1, 1);
    const before = corrOf(x, y);
    const after = corrOf(x.mmul(p), y);
    expect(after).toBeCloseTo(referenceCorr(x.mmul(p), y, 1e-3), 2);
    expect(before - after).toBeGreaterThan(0.1);
  });
});
