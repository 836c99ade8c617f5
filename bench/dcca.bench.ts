/**
 * Training steps per second of the dcca task's encoders (plain DCCA objective, quick-profile
 * model and batch) beside a PyTorch CPU reference of the same model, loss and batch
 * (bench/dcca_torch.py, Debian's python3-torch with libopenblas0-pthread, one thread: our
 * wasm backend runs one). Ours is a whole cell with evaluations only at epochs 0 and `steps`
 * (one full-batch step per epoch), so its rate includes two evaluations; the median over
 * repeats.
 *
 *   node --import tsx bench/dcca.bench.ts
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import task from '../benchmarks/dcca/task.ts';
import dcca from '../baselines/dcca/method.ts';
import { runCell } from '../harness/cell.ts';
import { activeBackend, pickBackend } from '../harness/backend.ts';
import { runReference } from './reference.ts';

const SCRIPT = fileURLToPath(new URL('./dcca_torch.py', import.meta.url));

export interface DccaCase {
  view_dim: number;
  hidden: number;
  out_dim: number;
  batch: number;
  ns_iterations: number;
  /** Training steps timed per repeat. */
  steps: number;
}

export interface DccaBenchResult extends DccaCase {
  backend: string;
  oursStepsPerSec: number;
  torchStepsPerSec: number | null;
  /** Our time per step over PyTorch's (≤ 1: as fast or faster). */
  ratio: number | null;
}

export const DCCA_CASES: DccaCase[] = [
  { view_dim: 20, hidden: 128, out_dim: 8, batch: 128, ns_iterations: 30, steps: 40 },
  { view_dim: 20, hidden: 256, out_dim: 8, batch: 256, ns_iterations: 30, steps: 20 },
];

async function timeTorch(c: DccaCase, repeats: number): Promise<number | null> {
  const out = await runReference<{ stepsPerSecond: number }>(
    SCRIPT,
    [c.view_dim, c.hidden, c.out_dim, c.batch, c.ns_iterations, c.steps, repeats],
    'PyTorch dcca',
  );
  return out?.stepsPerSecond ?? null;
}

function timeOurs(c: DccaCase, repeats: number): number {
  const { steps, ...size } = c;
  const taskParams = task.params.parse({ ...size, train_samples: c.batch, epochs: steps, eval_every: steps });
  const rates: number[] = [];
  for (let seed = 0; seed < repeats; seed++) {
    const start = performance.now();
    runCell(task, dcca, { task: task.id, taskParams, method: dcca.id, methodParams: {}, seed });
    rates.push(steps / ((performance.now() - start) / 1000));
  }
  return rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)];
}

export async function benchDcca(repeats = 3): Promise<DccaBenchResult[]> {
  if (activeBackend() === undefined) await pickBackend({ backend: process.env.COLLAPSE_BENCH_BACKEND });
  const out: DccaBenchResult[] = [];
  for (const c of DCCA_CASES) {
    const torchStepsPerSec = await timeTorch(c, repeats);
    const oursStepsPerSec = timeOurs(c, repeats);
    out.push({
      ...c,
      backend: `tfjs-${activeBackend()}`,
      oursStepsPerSec,
      torchStepsPerSec,
      ratio: torchStepsPerSec === null ? null : torchStepsPerSec / oursStepsPerSec,
    });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await benchDcca());
}
