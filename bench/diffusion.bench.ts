/**
 * The diffusion task's denoiser (benchmarks/diffusion/ddpm.ts): training steps per second
 * (`trainDenoiser`: minibatch drawing and input building on the CPU, forward, backward and one
 * Adam step; batch 256, ε-prediction loss, t uniform, label dropout 0.1) and the time of DDPM
 * sampling (`sampleDdpm`: 1000 points over every one of T = 100 timesteps), beside the same
 * network, loss, batch and sampling loop in PyTorch on the CPU (bench/diffusion_torch.py,
 * Debian python3-torch with libopenblas0-pthread, /usr/bin/python3, one thread: our wasm
 * backend runs one). Ours runs on both engines of ddpm.ts: TF.js (the reference) and the fused
 * wasm SIMD kernels (kernels/mlp, what cells use by default), their timed runs alternating so
 * that both see the same machine load. Medians over repeated runs, each after one warm-up run.
 *
 *   node --import tsx bench/diffusion.bench.ts [--backend wasm|cpu|node|node-gpu]
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { backendLabel, pickBackend } from '../harness/backend.ts';
import { kernelLabel, setFusedKernels } from '../harness/kernels.ts';
import { rngFromKey } from '../harness/rng.ts';
import { dataset } from '../benchmarks/diffusion/data.ts';
import { initDenoiser, linearSchedule, sampleDdpm, trainDenoiser, type DenoiserConfig } from '../benchmarks/diffusion/ddpm.ts';
import { runReference } from './reference.ts';

const SCRIPT = fileURLToPath(new URL('./diffusion_torch.py', import.meta.url));

export interface DiffusionCase {
  hidden: number;
  layers: number;
  batch: number;
  timeEmbedding: number;
  classes: number;
  /** Diffusion steps T (sampling runs one forward pass per timestep). */
  T: number;
  /** Adam steps per timed training run. */
  steps: number;
  /** Points per timed sampling run. */
  samples: number;
}

export interface DiffusionBenchResult extends DiffusionCase {
  /** TF.js's backend label (the TF.js engine's rows). */
  backend: string;
  /** The fused kernels' label, e.g. `kernels+tfjs-wasm`. */
  kernelBackend: string;
  /** TF.js engine. */
  oursStepsPerSecond: number;
  torchStepsPerSecond: number | null;
  /** Median time of one sampling run (samples points × T timesteps). */
  oursSampleMs: number;
  torchSampleMs: number | null;
  torchThreads: number | null;
  /** PyTorch's steps/s over ours (≥ 1: PyTorch is that many times faster). */
  ratio: number | null;
  /** Our sampling time over PyTorch's. */
  sampleRatio: number | null;
  /** The fused kernels: steps per second and sampling time. */
  kernelStepsPerSecond: number;
  kernelSampleMs: number;
  /** PyTorch's steps/s over the kernels' (≥ 1: PyTorch is that many times faster). */
  kernelRatio: number | null;
  /** The kernels' sampling time over PyTorch's. */
  kernelSampleRatio: number | null;
  /** The kernels' steps/s over TF.js's. */
  kernelSpeedup: number;
}

const SHARED = { layers: 3, batch: 256, timeEmbedding: 16, classes: 8, T: 100, steps: 200, samples: 1000 };

export const DIFFUSION_CASES: DiffusionCase[] = [
  // The task's defaults (quick profile).
  { hidden: 64, ...SHARED },
  { hidden: 128, ...SHARED },
];

const LEARNING_RATE = 2e-3;
const LABEL_DROPOUT = 0.1;
/** Labelled points the minibatches are drawn from (the task's `real` default). */
const POOL = 1000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeTorch(c: DiffusionCase, repeats: number): Promise<{ rate: number; sampleMs: number; threads: number } | null> {
  const out = await runReference<{ stepsPerSecond: number; sampleMs: number; threads: number }>(
    SCRIPT,
    [c.hidden, c.layers, c.batch, c.timeEmbedding, c.classes, c.T, c.steps, repeats, c.samples],
    'PyTorch diffusion',
    600_000,
  );
  return out && { rate: out.stepsPerSecond, sampleMs: out.sampleMs, threads: out.threads };
}

interface OurTimes {
  rate: number;
  sampleMs: number;
}

/** Our training rate and sampling time on TF.js and on the fused kernels, timed runs alternating. */
function timeOurs(c: DiffusionCase, repeats: number): { tfjs: OurTimes; kernels: OurTimes } {
  const config: DenoiserConfig = { hidden: c.hidden, layers: c.layers, timeEmbedding: c.timeEmbedding, classes: c.classes };
  const schedule = linearSchedule(c.T);
  const points = new Float32Array(2 * POOL);
  const labels = new Int32Array(POOL);
  dataset('ring').sample(POOL, rngFromKey('diffusion-bench', 'data'), points, labels);
  const options = { steps: c.steps, batch: c.batch, learningRate: LEARNING_RATE, labelDropout: LABEL_DROPOUT };
  const weights = initDenoiser(config, rngFromKey('diffusion-bench', 'sampler'));
  const sampleLabels = new Int32Array(c.samples).map((_, i) => i % c.classes);
  const train = (seed: number) => {
    const init = initDenoiser(config, rngFromKey({ bench: 'diffusion', seed }, 'init'));
    const start = performance.now();
    trainDenoiser(init, schedule, { points, labels }, options, rngFromKey({ bench: 'diffusion', seed }, 'fit'));
    return c.steps / ((performance.now() - start) / 1000);
  };
  const sample = (seed: number) => {
    const start = performance.now();
    sampleDdpm(weights, schedule, sampleLabels, rngFromKey({ bench: 'diffusion', seed }, 'sample'));
    return performance.now() - start;
  };
  const engines = [false, true];
  const rates: number[][] = [[], []];
  const sampleMs: number[][] = [[], []];
  try {
    // Warm-up: kernel set-up and first-call costs.
    engines.forEach((fused) => {
      setFusedKernels(fused);
      train(-1);
      sample(-1);
    });
    for (let i = 0; i < repeats; i++) {
      engines.forEach((fused, e) => {
        setFusedKernels(fused);
        rates[e].push(train(i));
        sampleMs[e].push(sample(i));
      });
    }
  } finally {
    setFusedKernels(false);
  }
  const times = (e: number) => ({ rate: median(rates[e]), sampleMs: median(sampleMs[e]) });
  return { tfjs: times(0), kernels: times(1) };
}

export async function benchDiffusion(repeats = 3, backend?: string): Promise<DiffusionBenchResult[]> {
  const { name } = await pickBackend({ backend: backend ?? 'wasm' });
  const out: DiffusionBenchResult[] = [];
  for (const c of DIFFUSION_CASES) {
    const torch = await timeTorch(c, repeats);
    const { tfjs: ours, kernels } = timeOurs(c, repeats);
    out.push({
      ...c,
      backend: backendLabel(name),
      kernelBackend: kernelLabel(backendLabel(name), true),
      oursStepsPerSecond: ours.rate,
      torchStepsPerSecond: torch?.rate ?? null,
      oursSampleMs: ours.sampleMs,
      torchSampleMs: torch?.sampleMs ?? null,
      torchThreads: torch?.threads ?? null,
      ratio: torch === null ? null : torch.rate / ours.rate,
      sampleRatio: torch === null ? null : ours.sampleMs / torch.sampleMs,
      kernelStepsPerSecond: kernels.rate,
      kernelSampleMs: kernels.sampleMs,
      kernelRatio: torch === null ? null : torch.rate / kernels.rate,
      kernelSampleRatio: torch === null ? null : kernels.sampleMs / torch.sampleMs,
      kernelSpeedup: kernels.rate / ours.rate,
    });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--backend');
  console.table(await benchDiffusion(3, i > 0 ? process.argv[i + 1] : undefined));
}
