/**
 * noise-regularization: metadata checks of `collapse-bench validate` (its behaviour on dcca,
 * where its R² stays near its peak while plain DCCA's falls, is tested in
 * benchmarks/dcca/task.test.ts), and that its loss is the DCCA objective at α = 0.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import method from './method.ts';
import { formatProblem, validateMethods } from '../../scripts/commands/validate.ts';
import { loadBackend, tfjs } from '../../harness/backend.ts';
import { rngFromKey } from '../../harness/rng.ts';
import { totalCorrelation } from '../../benchmarks/dcca/cca.ts';
import type { DccaLossContext } from '../../benchmarks/dcca/task.ts';

const folder = dirname(fileURLToPath(import.meta.url));
const root = resolve(folder, '../..');

beforeAll(async () => {
  await loadBackend('wasm');
});

describe(method.id, () => {
  it('has valid metadata: README front matter, parameters and hooks', async () => {
    const [report] = await validateMethods(root, [folder], { run: false });
    expect(report.problems.map(formatProblem)).toEqual([]);
  });

  it('adds α·Σ|Corr(f(X), f(A))/out − Corr(X, A)/in| to the objective: zero for an identity encoder', () => {
    const tf = tfjs();
    const rng = rngFromKey('nr test', 'data');
    const x = [0, 1].map(() => tf.tensor2d(Float32Array.from(rng.fillNormal(new Float64Array(200 * 4))), [200, 4]));
    const correlation = (a: any, b: any) => totalCorrelation(tf, a, b, { r: 0, iterations: 40 });
    const context = (encode: (k: number, v: any) => any): DccaLossContext => {
      const embeddings = x.map((v, k) => encode(k, v));
      return {
        task: 'dcca', taskParams: {}, epoch: 1, step: 0, rng: rngFromKey('nr test', 'noise'),
        tf, views: x, embeddings, objective: tf.neg(correlation(embeddings[0], embeddings[1])), encode, correlation, weights: [],
      };
    };
    const identity = context((_, v) => v);
    const plain = identity.objective.dataSync()[0];
    expect((method.hooks.loss!(identity, { alpha: 100 }) as any).dataSync()[0]).toBeCloseTo(plain, 2);
    // A rank-1 encoder breaks the invariance: the penalty is positive.
    const squash = context((_, v) => tf.matMul(v, tf.ones([4, 4])));
    expect((method.hooks.loss!(squash, { alpha: 1 }) as any).dataSync()[0]).toBeGreaterThan(squash.objective.dataSync()[0] + 0.05);
  });
});
