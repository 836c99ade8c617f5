/**
 * `npm run bench`: normals per second and the Gaussian chain's time per generation, each beside
 * numpy doing the same work on this machine, as ratios (ours / numpy time; ≤ 1 is as fast).
 * Writes runs/bench/report.json with the machine it ran on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../harness/registry.ts';
import { benchNormals } from './normals.bench.ts';
import { benchChain } from './gaussian-chain.bench.ts';

const normals = await benchNormals();
const chain = await benchChain();
const report = { date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, normals, chain };

console.log(`normals: ours ${(normals.oursPerSec / 1e6).toFixed(1)} M/s, numpy ${normals.numpyPerSec ? (normals.numpyPerSec / 1e6).toFixed(1) : 'n/a'} M/s, time ratio ${normals.ratio?.toFixed(2) ?? 'n/a'}`);
console.table(chain.map((c) => ({ dim: c.dim, samples: c.samples, replicates: c.replicates, 'ours ms/gen': c.oursPerGenerationMs.toFixed(2), 'numpy ms/gen': c.numpyPerGenerationMs?.toFixed(2) ?? 'n/a', ratio: c.ratio?.toFixed(2) ?? 'n/a' })));
const dir = join(ROOT, 'runs', 'bench');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'report.json'), JSON.stringify(report, null, 1) + '\n');
console.log(`report: ${join('runs', 'bench', 'report.json')}`);
