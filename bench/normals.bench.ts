/**
 * Throughput of `Rng.fillNormal` (harness/rng.ts) against numpy's
 * `default_rng(0).standard_normal(size, out=buf)` (PCG64 + ziggurat), both filling a buffer
 * of 1e6 doubles, each reported as the median over repeated timings.
 *
 *   node --import tsx bench/normals.bench.ts
 *
 * numpy runs first, in a child process (bench/normals_numpy.py), so the two never compete
 * for cores. Without /usr/bin/python3 or numpy the numpy column is null, with a note.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Bench } from 'tinybench';
import { rngFromKey } from '../harness/rng.ts';
import { PYTHON } from './reference.ts';

const SIZE = 1_000_000;
const NUMPY_SCRIPT = fileURLToPath(new URL('./normals_numpy.py', import.meta.url));

export interface NormalsBenchResult {
  /** Normals per second from `fillNormal`, from the median time per 1e6 fill. */
  oursPerSec: number;
  /** numpy's normals per second, or null when python3/numpy is unavailable. */
  numpyPerSec: number | null;
  /** Our time per normal divided by numpy's (≤ 1 means we are as fast or faster). */
  ratio: number | null;
}

interface NumpyTiming {
  perSec: number;
  numpy: string;
  medianSeconds: number;
}

/** Runs bench/normals_numpy.py; a note instead when python3 or numpy is missing. */
async function timeNumpy(size: number, repeats: number): Promise<NumpyTiming | { note: string }> {
  try {
    const { stdout } = await promisify(execFile)(PYTHON, [NUMPY_SCRIPT, String(size), String(repeats)], {
      timeout: 120_000,
    });
    return JSON.parse(stdout) as NumpyTiming;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stdout?: string };
    if (e.code === 'ENOENT') return { note: `${PYTHON} not found: skipping the numpy comparison` };
    try {
      const parsed = JSON.parse(e.stdout ?? '') as { error?: string };
      if (parsed.error) return { note: `${parsed.error}: skipping the numpy comparison` };
    } catch {
      // fall through to the generic note
    }
    return { note: `numpy timing failed (${e.message.split('\n')[0]}): skipping the numpy comparison` };
  }
}

/** Median time per `fillNormal` of 1e6 normals, measured with tinybench. */
async function timeOurs(size: number): Promise<number> {
  const rng = rngFromKey({ bench: 'normals' }, 'fillNormal');
  const buf = new Float64Array(size);
  const bench = new Bench({ name: 'normals', time: 1500, iterations: 50, warmupIterations: 10, warmupTime: 300 });
  bench.add('fillNormal', () => void rng.fillNormal(buf), { async: false });
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') throw new Error(`fillNormal benchmark did not complete: ${result.state}`);
  return result.latency.p50 / 1000; // ms → s
}

/** Times ours and numpy's normals; prints a note (not an error) when numpy is unavailable. */
export async function benchNormals(): Promise<NormalsBenchResult> {
  const numpy = await timeNumpy(SIZE, 50);
  if ('note' in numpy) console.warn(`note: ${numpy.note}`);
  const oursSeconds = await timeOurs(SIZE);
  const oursPerSec = SIZE / oursSeconds;
  const numpyPerSec = 'perSec' in numpy ? numpy.perSec : null;
  return { oursPerSec, numpyPerSec, ratio: numpyPerSec === null ? null : numpyPerSec / oursPerSec };
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { oursPerSec, numpyPerSec, ratio } = await benchNormals();
  const fmt = (perSec: number | null) => (perSec === null ? 'n/a' : `${(perSec / 1e6).toFixed(1)} M/s`);
  const ns = (perSec: number | null) => (perSec === null ? 'n/a' : `${(1e9 / perSec).toFixed(2)} ns`);
  console.log(`normals: fill a Float64Array of ${SIZE.toLocaleString('en')}, median over runs`);
  console.log(`cpu: ${cpuModel()}  node: ${process.version}`);
  console.table([
    { generator: 'ours: xoshiro128** + ziggurat (fillNormal)', 'normals/s': fmt(oursPerSec), 'time/normal': ns(oursPerSec) },
    { generator: 'numpy: PCG64 + ziggurat (standard_normal)', 'normals/s': fmt(numpyPerSec), 'time/normal': ns(numpyPerSec) },
  ]);
  console.log(`ratio (ours time / numpy time): ${ratio === null ? 'n/a' : ratio.toFixed(3)}`);
}
