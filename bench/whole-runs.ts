/**
 * Whole-run timings: `collapse-bench run` of a profile (every cell recomputed into a fresh
 * folder) with --jobs 1 and --jobs 2, wall time and the peak resident memory of the largest
 * process (the CLI or one cell's process), from GNU time (`/usr/bin/time -f '%e %M'`: its
 * maximum RSS is the largest of the processes it waited for, so it is per worker, not a sum).
 *
 *   node --import tsx bench/whole-runs.ts [--profile quick] [--jobs 1,2] [--repeats 1] [--task <id> ...] [--seeds n]
 *
 * Prints one line per run and writes runs/bench/whole-runs.json. Medians over repeats.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../harness/registry.ts';

function flag(name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < process.argv.length; i++) if (process.argv[i] === `--${name}`) out.push(process.argv[i + 1]);
  return out;
}

const profile = flag('profile')[0] ?? 'quick';
const jobs = (flag('jobs')[0] ?? '1,2').split(',').map(Number);
const repeats = Number(flag('repeats')[0] ?? 1);
const extra = [
  ...flag('task').flatMap((t) => ['--task', t]),
  ...flag('seeds').flatMap((s) => ['--seeds', s]),
  ...flag('kernels').flatMap((k) => ['--kernels', k]),
];

interface Timing {
  jobs: number;
  wallS: number;
  peakRssMb: number;
}

async function once(j: number): Promise<Timing> {
  const out = mkdtempSync(join(tmpdir(), 'whole-run-'));
  try {
    const args = [
      '-f',
      '%e %M',
      process.execPath,
      join(ROOT, 'bin', 'collapse-bench.js'),
      'run',
      '--profile',
      profile,
      '--jobs',
      String(j),
      '--out',
      out,
      ...extra,
    ];
    const { stderr } = await promisify(execFile)('/usr/bin/time', args, { cwd: ROOT, maxBuffer: 64 << 20 });
    const last = stderr.trim().split('\n').at(-1)!;
    const [wall, rssKb] = last.split(' ').map(Number);
    if (!Number.isFinite(wall) || !Number.isFinite(rssKb)) throw new Error(`unexpected GNU time output: ${last}`);
    return { jobs: j, wallS: wall, peakRssMb: Math.round(rssKb / 1024) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const rows: { jobs: number; wallS: number[]; peakRssMb: number[] }[] = jobs.map((j) => ({ jobs: j, wallS: [], peakRssMb: [] }));
// Alternate the job counts within each repeat so both see the same machine load.
for (let k = 0; k < repeats; k++) {
  for (const row of rows) {
    const t = await once(row.jobs);
    row.wallS.push(t.wallS);
    row.peakRssMb.push(t.peakRssMb);
    console.log(`run --profile ${profile} ${extra.join(' ')} --jobs ${t.jobs}: ${t.wallS.toFixed(1)} s wall, peak RSS ${t.peakRssMb} MiB`);
  }
}
const report = {
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  node: process.version,
  profile,
  args: extra,
  runs: rows.map((r) => ({
    jobs: r.jobs,
    medianWallS: median(r.wallS),
    medianPeakRssMb: median(r.peakRssMb),
    wallS: r.wallS,
    peakRssMb: r.peakRssMb,
  })),
};
mkdirSync(join(ROOT, 'runs', 'bench'), { recursive: true });
writeFileSync(join(ROOT, 'runs', 'bench', 'whole-runs.json'), `${JSON.stringify(report, null, 1)}\n`);
console.table(
  report.runs.map((r) => ({
    jobs: r.jobs,
    'median wall s': r.medianWallS,
    'median peak RSS MiB': r.medianPeakRssMb,
    repeats: r.wallS.length,
  })),
);
