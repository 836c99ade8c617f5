/**
 * The Python method protocol's overhead: a whole quick-profile cell of generation-weighting-py
 * (methods written in Python, harness/python-method.ts) beside the same cell of its TypeScript
 * original, on the same cell key (so the same numbers, checked here), in this process, medians
 * over repeats taken alternately. Also times the interpreter's start alone (`python3 -I -c
 * "import numpy.random"`), the part of the overhead that does not depend on the task.
 *
 *   node --import tsx bench/python-method.bench.ts [task] [repeats]
 */
import { spawnSync } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import generationWeighting from '../methods/generation-weighting/method.ts';
import { runCell } from '../harness/cell.ts';
import { planCells } from '../harness/cells.ts';
import { loadRegistry } from '../harness/registry.ts';

const task = process.argv[2] ?? 'gaussian-chain';
const repeats = Number(process.argv[3] ?? 9);
const python = process.env.COLLAPSE_BENCH_PYTHON ?? 'python3';

const registry = await loadRegistry(undefined, { probe: false });
const cell = planCells(registry, { tasks: [task], methods: ['generation-weighting-py'], profile: 'quick', seeds: 1 })[0];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const times = { ts: [] as number[], py: [] as number[], start: [] as number[] };
for (let i = 0; i <= repeats; i++) {
  let t = performance.now();
  const ours = runCell(cell.task.definition, generationWeighting, cell.key);
  const ts = performance.now() - t;
  t = performance.now();
  const theirs = runCell(cell.task.definition, cell.method.definition, cell.key);
  const py = performance.now() - t;
  t = performance.now();
  spawnSync(python, ['-I', '-c', 'import numpy.random']);
  const start = performance.now() - t;
  if (!isDeepStrictEqual(ours.metrics, theirs.metrics))
    throw new Error('the Python twin’s numbers differ from the TypeScript method’s on the same key');
  if (i === 0) continue; // warm-up
  times.ts.push(ts);
  times.py.push(py);
  times.start.push(start);
}
const [ts, py, start] = [median(times.ts), median(times.py), median(times.start)];
console.log(`${task} quick cell, ${repeats} repeats (medians), ${python}:`);
console.log(`  TypeScript generation-weighting   ${ts.toFixed(0)} ms`);
console.log(`  Python generation-weighting-py    ${py.toFixed(0)} ms  (${(py / ts).toFixed(1)}×; identical numbers)`);
console.log(`  of which the interpreter's start  ${start.toFixed(0)} ms; the rest of the overhead ${(py - ts - start).toFixed(0)} ms`);
process.exit(0); // the last cell's Python process exits when its pipes close
