import * as oldC from './tmp_old_char.ts';
import * as newC from '../../benchmarks/recursive-lm/char.ts';
import { loadBackend } from '../../harness/backend.ts';
import { rngFromKey } from '../../harness/rng.ts';
import { setFusedKernels } from '../../harness/kernels.ts';
await loadBackend('wasm');
const { train } = newC.corpus();
const L = 64, n = 128, R = 3;
const rng = rngFromKey('cmp', 'real');
const chars = new Uint8Array(R * n * L);
for (let i = 0; i < R * n; i++) { const s = rng.int(train.length - L + 1); chars.set(train.subarray(s, s + L), i * L); }
const weights = Float64Array.from({ length: R * n }, (_, i) => (i % 5) * 0.5);
const pool = { parts: [{ batch: { origin: 'real' as const, generation: 0, size: n, data: { chars, length: L } }, weights }] };
const o = { replicates: R, window: 6, embedding: 12, hidden: 96, steps: 100, batch: 64, learningRate: 0.02 };
const heldout = newC.corpus().heldout.slice(0, 64 * L);
const res: Record<string, any> = {};
for (const [name, C, fused] of [['old', oldC, false], ['new', newC, false], ['kernels', newC, true]] as const) {
  setFusedKernels(fused);
  const t0 = performance.now();
  const m = C.trainCharLm(pool as any, o, rngFromKey('cmp', 'fit'));
  const t1 = performance.now();
  const bpc = C.bitsPerChar(m, o, heldout, L);
  const gen = C.generateChunks(m, o, 64, L, { temperature: 1, topP: 0.9 }, rngFromKey('cmp', 'gen'));
  const t2 = performance.now();
  res[name] = { m, bpc, gen };
  console.log(name, 'train ms', (t1 - t0).toFixed(0), 'eval ms', (t2 - t1).toFixed(0), 'bpc', Array.from(bpc).map((x) => x.toFixed(4)).join(' '), 'trainLoss', Array.from(m.trainLoss).map((x) => x.toFixed(4)).join(' '));
}
const same = (a: any, b: any) => JSON.stringify(Array.from(a)) === JSON.stringify(Array.from(b));
console.log('old vs new TF: weights', res.old.m.weights.every((w: any, i: number) => same(w, res.new.m.weights[i])), 'trainLoss', same(res.old.m.trainLoss, res.new.m.trainLoss), 'bpc', same(res.old.bpc, res.new.bpc), 'gen', same(res.old.gen, res.new.gen));
console.log('TF vs kernels: weights', res.new.m.weights.map((w: any, i: number) => same(w, res.kernels.m.weights[i])), 'trainLoss', same(res.new.m.trainLoss, res.kernels.m.trainLoss), 'bpc', same(res.new.bpc, res.kernels.bpc), 'gen', same(res.new.gen, res.kernels.gen));
let d = 0; for (let i = 0; i < res.new.gen.length; i++) if (res.new.gen[i] !== res.kernels.gen[i]) d++; console.log('gen chars differing', d, 'of', res.new.gen.length);
console.log(Array.from(res.new.bpc), Array.from(res.kernels.bpc));
