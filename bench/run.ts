/**
 * `npm run bench`: normals per second and each statistical task's time per generation, each
 * beside numpy doing the same work on this machine, as ratios (ours / numpy time; ≤ 1 is as
 * fast or faster); and the neural tasks' training steps per second beside PyTorch on the CPU.
 * Medians over repeats. Writes runs/bench/report.json with the machine it ran on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../harness/registry.ts';
import { benchNormals } from './normals.bench.ts';
import { benchChain } from './gaussian-chain.bench.ts';
import { benchRegression } from './regression.bench.ts';
import { benchRecursiveLm } from './recursive-lm.bench.ts';
import { benchDcca } from './dcca.bench.ts';
import { benchCharLm } from './char-lm.bench.ts';
import { benchDiffusion } from './diffusion.bench.ts';

interface Row {
  oursPerGenerationMs: number;
  numpyPerGenerationMs: number | null;
  ratio: number | null;
}

const normals = await benchNormals();
const tasks = {
  'gaussian-chain': await benchChain(),
  regression: await benchRegression(),
  'recursive-lm': await benchRecursiveLm(),
};
// Neural tasks: training steps per second beside a PyTorch CPU reference of the same model and batch.
const neural = { dcca: await benchDcca(), 'recursive-lm char': await benchCharLm(), diffusion: await benchDiffusion() };
const report = {
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  node: process.version,
  normals,
  tasks,
  neural,
};

const ms = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));
console.log(
  `normals: ours ${(normals.oursPerSec / 1e6).toFixed(1)} M/s, numpy ${normals.numpyPerSec ? (normals.numpyPerSec / 1e6).toFixed(1) : 'n/a'} M/s, time ratio ${normals.ratio?.toFixed(2) ?? 'n/a'}`,
);
console.table(
  Object.entries(tasks).flatMap(([task, rows]) =>
    (rows as unknown as (Row & Record<string, unknown>)[]).map(({ oursPerGenerationMs, numpyPerGenerationMs, ratio, ...size }) => ({
      task,
      case: Object.entries(size)
        .filter(([, v]) => typeof v === 'number')
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
      'ours ms/gen': ms(oursPerGenerationMs),
      'numpy ms/gen': ms(numpyPerGenerationMs),
      ratio: ratio?.toFixed(2) ?? 'n/a',
    })),
  ),
);
console.table([
  ...neural.dcca.map((r) => ({
    task: 'dcca',
    backend: r.backend,
    'ours steps/s': r.oursStepsPerSec.toFixed(1),
    'torch steps/s': r.torchStepsPerSec?.toFixed(1) ?? 'n/a',
    'torch faster by': r.ratio?.toFixed(1) ?? 'n/a',
  })),
  ...neural['recursive-lm char'].flatMap((r) => [
    {
      task: `recursive-lm char R=${r.chains} B=${r.batch} H=${r.hidden}`,
      backend: r.backend,
      'ours steps/s': r.oursStepsPerSecond.toFixed(1),
      'torch steps/s': r.torchStepsPerSecond?.toFixed(1) ?? 'n/a',
      'torch faster by': r.ratio?.toFixed(1) ?? 'n/a',
    },
    {
      task: `recursive-lm char R=${r.chains} B=${r.batch} H=${r.hidden}`,
      backend: r.kernelBackend,
      'ours steps/s': r.kernelStepsPerSecond.toFixed(1),
      'torch steps/s': r.torchStepsPerSecond?.toFixed(1) ?? 'n/a',
      'torch faster by': r.kernelRatio?.toFixed(2) ?? 'n/a',
    },
  ]),
  ...neural.diffusion.flatMap((r) => [
    {
      task: `diffusion hidden=${r.hidden}`,
      backend: r.backend,
      'ours steps/s': r.oursStepsPerSecond.toFixed(1),
      'torch steps/s': r.torchStepsPerSecond?.toFixed(1) ?? 'n/a',
      'torch faster by': r.ratio?.toFixed(1) ?? 'n/a',
    },
    {
      task: `diffusion hidden=${r.hidden}`,
      backend: r.kernelBackend,
      'ours steps/s': r.kernelStepsPerSecond.toFixed(1),
      'torch steps/s': r.torchStepsPerSecond?.toFixed(1) ?? 'n/a',
      'torch faster by': r.kernelRatio?.toFixed(2) ?? 'n/a',
    },
  ]),
]);
// Diffusion sampling (sampleDdpm): time per run, ours / PyTorch.
console.table(
  neural.diffusion.flatMap((r) => [
    {
      task: `diffusion sampling hidden=${r.hidden}`,
      case: `${r.samples} points × T=${r.T}`,
      backend: r.backend,
      'ours ms': ms(r.oursSampleMs),
      'torch ms': ms(r.torchSampleMs),
      ratio: r.sampleRatio?.toFixed(2) ?? 'n/a',
    },
    {
      task: `diffusion sampling hidden=${r.hidden}`,
      case: `${r.samples} points × T=${r.T}`,
      backend: r.kernelBackend,
      'ours ms': ms(r.kernelSampleMs),
      'torch ms': ms(r.torchSampleMs),
      ratio: r.kernelSampleRatio?.toFixed(2) ?? 'n/a',
    },
  ]),
);
// Char-LM evaluation (bitsPerChar: one forward pass over the held-out rows): time, ours / PyTorch.
console.table(
  neural['recursive-lm char'].flatMap((r) => [
    {
      task: `recursive-lm char eval R=${r.chains} H=${r.hidden}`,
      backend: r.backend,
      'ours ms': ms(r.oursEvalMs),
      'torch ms': ms(r.torchEvalMs),
      ratio: r.torchEvalMs === null ? 'n/a' : (r.oursEvalMs / r.torchEvalMs).toFixed(2),
    },
    {
      task: `recursive-lm char eval R=${r.chains} H=${r.hidden}`,
      backend: r.kernelBackend,
      'ours ms': ms(r.kernelEvalMs),
      'torch ms': ms(r.torchEvalMs),
      ratio: r.kernelEvalRatio?.toFixed(2) ?? 'n/a',
    },
  ]),
);
const dir = join(ROOT, 'runs', 'bench');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 1)}\n`);
console.log(`report: ${join('runs', 'bench', 'report.json')}`);
