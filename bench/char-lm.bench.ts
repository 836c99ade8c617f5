/**
 * Training steps per second of recursive-lm's char model (benchmarks/recursive-lm/char.ts,
 * `trainCharLm`: minibatch drawing, forward, backward and one Adam step over all chains) and
 * the time of one evaluation forward pass (`bitsPerChar` over EVAL_CHUNKS held-out chunks per
 * chain, the task's default), on TF.js and on the fused wasm SIMD kernels (kernels/charlm,
 * what cells use by default; timed runs alternating), beside the same model, batch and rows in
 * PyTorch on the CPU (bench/char_lm_torch.py, Debian python3-torch with libopenblas0-pthread,
 * /usr/bin/python3), medians over repeated runs.
 *
 *   node --import tsx bench/char-lm.bench.ts [--backend wasm|cpu|node|node-gpu]
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { backendLabel, pickBackend } from '../harness/backend.ts';
import { kernelLabel, setFusedKernels } from '../harness/kernels.ts';
import { rngFromKey } from '../harness/rng.ts';
import { bitsPerChar, corpus, initialWeights, trainCharLm, type CharData } from '../benchmarks/recursive-lm/char.ts';
import type { Batch } from '../harness/types.ts';
import { runReference } from './reference.ts';

const SCRIPT = fileURLToPath(new URL('./char_lm_torch.py', import.meta.url));

export interface CharLmCase {
  /** Chains trained together (the task's `chains`). */
  chains: number;
  batch: number;
  window: number;
  embedding: number;
  hidden: number;
  /** Adam steps per timed run. */
  steps: number;
}

export interface CharLmBenchResult extends CharLmCase {
  backend: string;
  /** TF.js: training steps per second, evaluation forward pass ms. */
  oursStepsPerSecond: number;
  oursEvalMs: number;
  /** The fused kernels' label, e.g. `kernels`: steps per second, evaluation ms. */
  kernelBackend: string;
  kernelStepsPerSecond: number;
  kernelEvalMs: number;
  torchStepsPerSecond: number | null;
  torchEvalMs: number | null;
  torchThreads: number | null;
  /** PyTorch's steps/s over TF.js's (≥ 1: PyTorch is that many times faster). */
  ratio: number | null;
  /** PyTorch's steps/s over the kernels'. */
  kernelRatio: number | null;
  /** The kernels' evaluation time over PyTorch's (≤ 1: as fast or faster). */
  kernelEvalRatio: number | null;
  /** The kernels' steps/s over TF.js's. */
  kernelSpeedup: number;
}

/** Chunk length and held-out chunks per chain of the evaluation pass (the task's defaults). */
const EVAL_L = 64;
const EVAL_CHUNKS = 64;

export const CHAR_LM_CASES: CharLmCase[] = [
  // The task's defaults (quick profile).
  { chains: 3, batch: 64, window: 6, embedding: 12, hidden: 96, steps: 100 },
  // One chain, larger batch and layer: compute rather than per-op overhead.
  { chains: 1, batch: 512, window: 8, embedding: 16, hidden: 256, steps: 40 },
];

async function timeTorch(c: CharLmCase, repeats: number): Promise<{ rate: number; evalMs: number; threads: number } | null> {
  const out = await runReference<{ stepsPerSecond: number; evalMs: number; threads: number }>(
    SCRIPT,
    [c.chains, c.batch, c.window, c.embedding, c.hidden, c.steps, repeats, EVAL_CHUNKS * EVAL_L],
    'PyTorch',
    600_000,
  );
  return out && { rate: out.stepsPerSecond, evalMs: out.evalMs, threads: out.threads };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Training rate and evaluation time on TF.js and on the fused kernels, timed runs alternating. */
function timeOurs(c: CharLmCase, repeats: number): { tfjs: { rate: number; evalMs: number }; kernels: { rate: number; evalMs: number } } {
  const L = 64;
  const n = 256;
  // A pool of real chunks per chain, as at generation 0.
  const { train, heldout } = corpus();
  const rng = rngFromKey('char-lm-bench', 'real');
  const chars = new Uint8Array(c.chains * n * L);
  for (let i = 0; i < c.chains * n; i++) {
    const start = rng.int(train.length - L + 1);
    chars.set(train.subarray(start, start + L), i * L);
  }
  const batch: Batch<CharData> = { origin: 'real', generation: 0, size: n, data: { chars, length: L } };
  const options = {
    replicates: c.chains,
    window: c.window,
    embedding: c.embedding,
    hidden: c.hidden,
    batch: c.batch,
    steps: c.steps,
    learningRate: 0.02,
  };
  const model = { weights: initialWeights(options, rngFromKey('char-lm-bench', 'eval')), trainLoss: new Float64Array(c.chains) };
  const evalText = heldout.slice(0, EVAL_CHUNKS * EVAL_L);
  const trainRate = (seed: number) => {
    const start = performance.now();
    trainCharLm({ parts: [{ batch }] }, options, rngFromKey({ bench: 'char-lm', seed }, 'fit'));
    return c.steps / ((performance.now() - start) / 1000);
  };
  const evalMs = () => {
    const start = performance.now();
    bitsPerChar(model, options, evalText, EVAL_L);
    return performance.now() - start;
  };
  const engines = [false, true];
  const rates: number[][] = [[], []];
  const evals: number[][] = [[], []];
  try {
    // Warm-up: kernel set-up and first-call costs.
    engines.forEach((fused) => {
      setFusedKernels(fused);
      trainRate(-1);
      evalMs();
    });
    for (let i = 0; i < repeats; i++) {
      engines.forEach((fused, e) => {
        setFusedKernels(fused);
        rates[e].push(trainRate(i));
        evals[e].push(evalMs());
      });
    }
  } finally {
    setFusedKernels(false);
  }
  const times = (e: number) => ({ rate: median(rates[e]), evalMs: median(evals[e]) });
  return { tfjs: times(0), kernels: times(1) };
}

export async function benchCharLm(repeats = 3, backend?: string): Promise<CharLmBenchResult[]> {
  const { name } = await pickBackend({ backend: backend ?? 'wasm' });
  const out: CharLmBenchResult[] = [];
  for (const c of CHAR_LM_CASES) {
    const torch = await timeTorch(c, repeats);
    const { tfjs, kernels } = timeOurs(c, repeats);
    out.push({
      ...c,
      backend: backendLabel(name),
      oursStepsPerSecond: tfjs.rate,
      oursEvalMs: tfjs.evalMs,
      // The char task declares its kernels instead of TF.js: a kernel cell records `kernels`.
      kernelBackend: kernelLabel(undefined, true),
      kernelStepsPerSecond: kernels.rate,
      kernelEvalMs: kernels.evalMs,
      torchStepsPerSecond: torch?.rate ?? null,
      torchEvalMs: torch?.evalMs ?? null,
      torchThreads: torch?.threads ?? null,
      ratio: torch === null ? null : torch.rate / tfjs.rate,
      kernelRatio: torch === null ? null : torch.rate / kernels.rate,
      kernelEvalRatio: torch === null ? null : kernels.evalMs / torch.evalMs,
      kernelSpeedup: kernels.rate / tfjs.rate,
    });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--backend');
  console.table(await benchCharLm(3, i > 0 ? process.argv[i + 1] : undefined));
}
