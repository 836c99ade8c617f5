import * as C from '../../benchmarks/recursive-lm/char.ts';
import { loadBackend } from '../../harness/backend.ts';
import { rngFromKey } from '../../harness/rng.ts';
import { setFusedKernels } from '../../harness/kernels.ts';
await loadBackend('wasm');
const L = 64, R = 3;
const o = { replicates: R, window: 6, embedding: 12, hidden: 96 };
const m = { weights: C.initialWeights(o, rngFromKey('x', 'w')), trainLoss: new Float64Array(R) };
const heldout = C.corpus().heldout.slice(0, 64 * L);
for (let rep = 0; rep < 3; rep++) for (const fused of [false, true]) {
  setFusedKernels(fused);
  let t0 = performance.now();
  C.bitsPerChar(m, o, heldout, L);
  let t1 = performance.now();
  C.generateChunks(m, o, 64, L, { temperature: 1, topP: 1 }, rngFromKey('cmp', 'gen'));
  let t2 = performance.now();
  console.log(fused ? 'kernels' : 'tfjs', 'bpc ms', (t1 - t0).toFixed(1), 'gen ms', (t2 - t1).toFixed(1));
}
