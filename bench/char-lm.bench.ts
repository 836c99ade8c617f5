/**
 * Training steps per second of recursive-lm's char model (benchmarks/recursive-lm/char.ts,
 * `trainCharLm`: minibatch drawing, forward, backward and one Adam step over all chains)
 * beside the same model and batch in PyTorch on the CPU (bench/char_lm_torch.py, Debian
 * python3-torch with libopenblas0-pthread, /usr/bin/python3), median over repeated runs.
 *
 *   node --import tsx bench/char-lm.bench.ts [--backend wasm|cpu|node|node-gpu]
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { backendLabel, pickBackend } from '../harness/backend.ts';
import { rngFromKey } from '../harness/rng.ts';
import { corpus, trainCharLm, type CharData } from '../benchmarks/recursive-lm/char.ts';
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
  oursStepsPerSecond: number;
  torchStepsPerSecond: number | null;
  torchThreads: number | null;
  /** PyTorch's steps/s over ours (≥ 1: PyTorch is that many times faster). */
  ratio: number | null;
}

export const CHAR_LM_CASES: CharLmCase[] = [
  // The task's defaults (quick profile).
  { chains: 3, batch: 64, window: 6, embedding: 12, hidden: 96, steps: 100 },
  // One chain, larger batch and layer: compute rather than per-op overhead.
  { chains: 1, batch: 512, window: 8, embedding: 16, hidden: 256, steps: 40 },
];

async function timeTorch(c: CharLmCase, repeats: number): Promise<{ rate: number; threads: number } | null> {
  const out = await runReference<{ stepsPerSecond: number; threads: number }>(SCRIPT, [c.chains, c.batch, c.window, c.embedding, c.hidden, c.steps, repeats], 'PyTorch', 600_000);
  return out && { rate: out.stepsPerSecond, threads: out.threads };
}

function timeOurs(c: CharLmCase, repeats: number): number {
  const L = 64;
  const n = 256;
  // A pool of real chunks per chain, as at generation 0.
  const { train } = corpus();
  const rng = rngFromKey('char-lm-bench', 'real');
  const chars = new Uint8Array(c.chains * n * L);
  for (let i = 0; i < c.chains * n; i++) {
    const start = rng.int(train.length - L + 1);
    chars.set(train.subarray(start, start + L), i * L);
  }
  const batch: Batch<CharData> = { origin: 'real', generation: 0, size: n, data: { chars, length: L } };
  const options = { replicates: c.chains, window: c.window, embedding: c.embedding, hidden: c.hidden, batch: c.batch, steps: c.steps, learningRate: 0.02 };
  const run = (seed: number) => {
    const start = performance.now();
    trainCharLm({ parts: [{ batch }] }, options, rngFromKey({ bench: 'char-lm', seed }, 'fit'));
    return c.steps / ((performance.now() - start) / 1000);
  };
  run(-1); // warm-up: kernel set-up and first-call costs
  const rates = Array.from({ length: repeats }, (_, i) => run(i)).sort((a, b) => a - b);
  return rates[Math.floor(repeats / 2)];
}

export async function benchCharLm(repeats = 3, backend?: string): Promise<CharLmBenchResult[]> {
  const { name } = await pickBackend({ backend: backend ?? 'wasm' });
  const out: CharLmBenchResult[] = [];
  for (const c of CHAR_LM_CASES) {
    const torch = await timeTorch(c, repeats);
    const ours = timeOurs(c, repeats);
    out.push({
      ...c,
      backend: backendLabel(name),
      oursStepsPerSecond: ours,
      torchStepsPerSecond: torch?.rate ?? null,
      torchThreads: torch?.threads ?? null,
      ratio: torch === null ? null : torch.rate / ours,
    });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--backend');
  console.table(await benchCharLm(3, i > 0 ? process.argv[i + 1] : undefined));
}
