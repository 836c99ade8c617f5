/**
 * Where do the samples ACU-LSF keeps sit? On `ring` (class c = the Gaussian at radius 2, angle
 * 2πc/8), per generation: the mean radius of the kept samples, their mean absolute angle from
 * their class's mode, and the share of real generation-0 samples among them. Runs the cell
 * loop (harness runCell) with latent-filtering's own filter, wrapped to record its pool.
 * Seeds ≥ 100: not the scored cells.
 *
 *   node --import tsx methods/latent-filtering/diagnose.ts [--seed 100] [--method latent-threshold-filtering]
 */
import task, { type Points } from '../../benchmarks/diffusion/task.ts';
import lsf from './method.ts';
import threshold from '../latent-threshold-filtering/method.ts';
import { loadBackend } from '../../harness/backend.ts';
import { runCell } from '../../harness/cell.ts';
import { defineMethod, type Batch, type FilterContext, type Pool, type AnyMethod } from '../../harness/types.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const inner: AnyMethod = arg('method', 'latent-filtering') === 'latent-threshold-filtering' ? threshold : lsf;
const seed = Number(arg('seed', '100'));

await loadBackend('wasm');
const wrapped = defineMethod({
  ...inner,
  hooks: {
    filter(ctx: FilterContext<unknown>, params: unknown) {
      const pool = (inner.hooks.filter as (c: FilterContext<unknown>, p: unknown) => Pool<unknown>)(ctx, params);
      let n = 0;
      let radius = 0;
      let angle = 0;
      let real = 0;
      for (const { batch, weights } of pool.parts) {
        const { points, labels } = (batch as Batch<Points>).data;
        for (let i = 0; i < batch.size; i++) {
          if (!(weights![i] > 0)) continue; // replicate 0
          const [x, y] = [points[2 * i], points[2 * i + 1]];
          const off = Math.atan2(y, x) - (2 * Math.PI * labels[i]) / 8;
          n++;
          radius += Math.hypot(x, y);
          angle += Math.abs(Math.atan2(Math.sin(off), Math.cos(off)));
          if (batch.origin === 'real') real++;
        }
      }
      console.log(
        `generation ${ctx.t}: kept ${n}, mean radius ${(radius / n).toFixed(3)} (mode at 2), mean |angle − class angle| ${((angle / n) * (180 / Math.PI)).toFixed(1)}°, real share ${(real / n).toFixed(3)}`,
      );
      return pool;
    },
  },
});
const taskParams = task.params.parse({ ...task.profiles.quick, dataset: 'ring' });
const out = runCell(task, wrapped, { task: task.id, taskParams, method: inner.id, methodParams: inner.params.parse({}), seed });
console.log('mmd', out.metrics.mmd.mean.map((x) => x.toFixed(3)).join(' '));
console.log('ole', out.metrics.ole.mean.map((x) => x.toFixed(4)).join(' '));
