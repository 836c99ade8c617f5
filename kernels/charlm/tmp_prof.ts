import { CharLmKernel } from './charlm.ts';
import { rngFromKey } from '../../harness/rng.ts';
import { initialWeights } from '../../benchmarks/recursive-lm/char.ts';
const o = { replicates: 3, window: 6, embedding: 12, hidden: 96 };
const w = initialWeights(o, rngFromKey('p', 'w'));
const rows = 4096;
for (let rep = 0; rep < 5; rep++) {
  let t0 = performance.now();
  const net = CharLmKernel.create({ ...o, symbols: 29, classes: 28 }, w, rows);
  const ctx = net.contexts(rows);
  for (let i = 0; i < ctx.length; i++) ctx[i] = (i * 7) % 29;
  let t1 = performance.now();
  net.forward(rows);
  let t2 = performance.now();
  net.logProbabilities(rows);
  let t3 = performance.now();
  console.log('create', (t1 - t0).toFixed(1), 'forward', (t2 - t1).toFixed(1), 'forward+logsoftmax', (t3 - t2).toFixed(1));
}
