/**
 * Where is the latent structure, and does it degrade under `replace`? (Cai et al., AAAI 2026:
 * the low-dimensional structure of the latents of synthetic data, OLE = Σ_c ‖M_c‖_* − ‖M‖_*,
 * degrades over self-consuming generations; they find it at intermediate timesteps.)
 *
 * Runs the `replace` loop of the diffusion task directly (chains = 1) and, at every
 * generation, takes the generation-0 denoiser's null-label latents of `eval_samples`
 * generated points at single timesteps t = f·T for each fraction f, and reports per t:
 *   - `ole`: the task's OLE of those latents (labels: the class each point was generated for);
 *   - `conf`: mean confidence p_probe(y | z(x)) of a softmax probe fitted on the real
 *     generation-0 training data's latents at the same t (the LSF score ξ(x, y)).
 * Generation "real" is the held-out real data. Seeds are not the CLI's cell keys (those are
 * hashes of the full key); use seeds ≥ 100 so that nothing chosen here is chosen on a scored run.
 *
 *   node --import tsx benchmarks/diffusion/latent-structure.ts [--dataset ring] [--seeds 100,101]
 *     [--profile quick|standard] [--generations G] [--fractions 0.01,0.05,…] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import task, { diffusionSimulation, scheduleOf, type DiffusionModel, type Points } from './task.ts';
import { latents } from './ddpm.ts';
import { ole } from './metrics.ts';
import { fitProbe, labelConfidence } from '../../methods/latent-filtering/probe.ts';
import { loadBackend } from '../../harness/backend.ts';
import { rngFromKey } from '../../harness/rng.ts';
import type { Batch } from '../../harness/types.ts';

export interface StructureRow {
  seed: number;
  generation: number | 'real';
  fraction: number;
  ole: number;
  conf: number;
}

/** The measurement for one seed: rows for the held-out real data and each generation 0…G. */
export function latentStructure(params: Record<string, unknown>, seed: number, fractions: readonly number[]): StructureRow[] {
  const p = task.params.parse({ ...params, chains: 1 });
  const key = { script: 'latent-structure', params: p, seed };
  const sim = diffusionSimulation(p, rngFromKey(key, 'setup'));
  const schedule = scheduleOf(p);
  const steps = fractions.map((f) => Math.max(1, Math.round(f * p.diffusion_steps)));
  const real = sim.real(p.real, rngFromKey(key, 'real'), 0) as Batch<Points>;
  const heldout = sim.real(p.eval_samples, rngFromKey(key, 'heldout'), 0) as Batch<Points>;
  const anchor = sim.fit({ parts: [{ batch: real }] }, {});
  const C = sim.features(real, anchor).classes;
  const H = p.hidden;
  const latentRng = rngFromKey(key, 'latents');
  // One probe per timestep, on the real training data's latents at that timestep.
  const probes = steps.map((t) =>
    fitProbe(latents(anchor.replicas[0], schedule, real.data.points, [t], latentRng), real.data.labels, p.real, H, C, {
      iterations: 300,
      learningRate: 0.5,
      l2: 1e-3,
    }),
  );
  const rows: StructureRow[] = [];
  const measure = (generation: number | 'real', points: Points) => {
    steps.forEach((t, k) => {
      const z = latents(anchor.replicas[0], schedule, points.points, [t], latentRng);
      const n = points.labels.length;
      const conf = labelConfidence(probes[k], z, points.labels, n).reduce((a, c) => a + c, 0) / n;
      rows.push({ seed, generation, fraction: fractions[k], ole: ole(z, H, points.labels, C), conf });
    });
  };
  measure('real', heldout.data);
  const sampleRng = rngFromKey(key, 'sample');
  const evalRng = rngFromKey(key, 'eval');
  let model: DiffusionModel = anchor;
  for (let g = 0; g <= p.generations; g++) {
    if (g > 0) model = sim.fit({ parts: [{ batch: sim.sample(model, p.samples, sampleRng, g) }] }, {});
    measure(g, (sim.sample(model, p.eval_samples, evalRng, g) as Batch<Points>).data);
  }
  return rows;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const profile = arg('profile', 'quick') as 'quick' | 'standard';
  const params: Record<string, unknown> = { ...task.profiles[profile], dataset: arg('dataset', 'ring') };
  if (args.includes('--generations')) params.generations = Number(arg('generations', '6'));
  const seeds = arg('seeds', '100,101').split(',').map(Number);
  const fractions = arg('fractions', '0.01,0.05,0.1,0.15,0.25,0.35,0.5').split(',').map(Number);
  await loadBackend('wasm');
  const rows: StructureRow[] = [];
  for (const seed of seeds) {
    const own = latentStructure(params, seed, fractions);
    rows.push(...own);
    for (const f of fractions) {
      const line = own.filter((r) => r.fraction === f).map((r) => `${r.generation}:${r.ole.toFixed(4)}/${r.conf.toFixed(3)}`);
      console.log(`seed ${seed} f=${f} ole/conf ${line.join(' ')}`);
    }
  }
  const out = arg('json', '');
  if (out) writeFileSync(out, JSON.stringify({ params, seeds, fractions, rows }, null, 1));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
