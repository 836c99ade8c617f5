import task from '../../benchmarks/recursive-lm/task.ts';
import replace from '../../baselines/replace/method.ts';
import { loadBackend } from '../../harness/backend.ts';
import { setFusedKernels } from '../../harness/kernels.ts';
import { runGenerational } from '../../harness/loop.ts';
await loadBackend('wasm');
const taskParams = task.params.parse({ variant: 'char', generations: Number(process.argv[2] ?? 20) });
const key: any = { task: task.id, taskParams, method: replace.id, methodParams: replace.params.parse({}), seed: 0 };
const outs: Record<string, string> = {};
for (const fused of (process.argv[3] === "k" ? [true] : [false, true, false, true])) {
  setFusedKernels(fused);
  const t0 = performance.now();
  const out = runGenerational(task, replace, key);
  const ms = performance.now() - t0;
  outs[String(fused)] = JSON.stringify(out.metrics);
  console.log(fused ? 'kernels' : 'tfjs-wasm', (ms / 1000).toFixed(2), 's', 'bpc', Array.from(out.metrics.bits_per_char.mean).slice(-1)[0]);
}
console.log('identical metrics', outs.true === outs.false);
