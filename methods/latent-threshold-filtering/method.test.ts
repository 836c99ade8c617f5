/**
 * latent-threshold-filtering: metadata, and its selection rule (a uniform sample of the
 * candidates above the real data's per-class quantile). Its behaviour on a constructed pool is
 * tested beside latent-filtering's (methods/latent-filtering/method.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import method, { classQuantiles, selectAboveThreshold } from './method.ts';
import { formatProblem, validateMethods } from '../../harness/validate-methods.ts';
import { rngFromKey } from '../../harness/rng.ts';

const folder = dirname(fileURLToPath(import.meta.url));
const root = resolve(folder, '../..');

describe(method.id, () => {
  it('has valid metadata: README front matter, parameters and hooks', async () => {
    const [report] = await validateMethods(root, [folder], { run: false });
    expect(report.problems.map(formatProblem)).toEqual([]);
  });

  it('selectAboveThreshold keeps a uniform sample of the passing candidates, topped up by the best failing ones', () => {
    const rng = rngFromKey('threshold-test', 'select');
    // 1000 candidates of one class, scores i/1000; threshold 0.5: 500 pass.
    const scores = Array.from({ length: 1000 }, (_, i) => i / 1000);
    const labels = new Array(1000).fill(0);
    const kept = selectAboveThreshold(scores, labels, Float64Array.of(0.5), 100, 'class', rng);
    expect(kept.length).toBe(100);
    expect(kept.every((i) => scores[i] >= 0.5)).toBe(true);
    // Uniform among the passing ones, not their top: the mean kept score is near 0.75, not 0.95.
    const mean = kept.reduce((a, i) => a + scores[i], 0) / 100;
    expect(Math.abs(mean - 0.75)).toBeLessThan(0.05);
    // Too few pass: all of them, then the best of the rest.
    const topped = selectAboveThreshold(scores, labels, Float64Array.of(0.99), 20, 'none', rng);
    expect(topped.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 980 + i));
  });

  it('classQuantiles: per class, the quantile of that class’s own scores', () => {
    const scores = Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.9, 0.8]);
    const labels = Int32Array.from([0, 0, 0, 0, 1, 1]);
    expect(Array.from(classQuantiles(scores, labels, 3, 0.5))).toEqual([0.3, 0.9, 0]);
  });
});
