import { beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry, applicability, type Registry } from './registry.ts';
import { cellId, parseShard, planCells } from './cells.ts';

let registry: Registry;
beforeAll(async () => {
  registry = await loadRegistry();
});

describe('planCells', () => {
  it('plans task × method × seed with fully resolved parameters (profile, then --set)', () => {
    const cells = planCells(registry, {
      tasks: ['gaussian-chain'],
      methods: ['replace', 'accumulate'],
      profile: 'standard',
      seeds: 2,
      sets: ['samples=7'],
    });
    expect(cells.map((c) => `${c.key.method}#${c.key.seed}`)).toEqual(['replace#0', 'replace#1', 'accumulate#0', 'accumulate#1']);
    expect(cells[0].key.taskParams).toEqual({
      dim: 1,
      samples: 7,
      samples_growth: 0,
      estimator: 'unbiased',
      generations: 50,
      replicates: 10_000,
      variance: 1,
      rho: 0,
      known_variance: false,
    });
  });

  it('expands comma-separated values into a sweep', () => {
    const cells = planCells(registry, {
      tasks: ['gaussian-chain'],
      methods: ['replace'],
      profile: 'quick',
      seeds: 1,
      sets: ['samples=5,10', 'estimator=mle,unbiased'],
    });
    expect(cells.map((c) => `${c.key.taskParams.samples}/${c.key.taskParams.estimator}`)).toEqual([
      '5/mle',
      '5/unbiased',
      '10/mle',
      '10/unbiased',
    ]);
  });

  it('splits into shards that partition the plan', () => {
    const all = planCells(registry, { profile: 'quick', seeds: 5 });
    const shards = [1, 2, 3].map((index) => planCells(registry, { profile: 'quick', seeds: 5, shard: { index, count: 3 } }));
    expect(
      shards
        .flat()
        .map((c) => c.id)
        .sort(),
    ).toEqual(all.map((c) => c.id).sort());
    expect(new Set(shards.flat().map((c) => c.id)).size).toBe(all.length);
  });

  it('keeps cell ids (and so every random stream) stable across versions', () => {
    const key = { task: 'gaussian-chain', taskParams: { samples: 10 }, method: 'replace', methodParams: {}, seed: 0 };
    expect(cellId(key)).toBe(cellId({ seed: 0, methodParams: {}, method: 'replace', taskParams: { samples: 10 }, task: 'gaussian-chain' }));
    expect(cellId(key)).toBe('8047a15c10d67cd1c863');
  });
});

describe('parseShard', () => {
  it('accepts k/N and rejects anything else with the expected form', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    for (const bad of ['0/2', '3/2', '1', 'a/b', '1/0'])
      expect(() => parseShard(bad)).toThrow(`invalid --shard "${bad}": expected k/N with 1 ≤ k ≤ N, e.g. 1/4`);
  });
});

describe('applicability', () => {
  it('is derived from hooks: every baseline applies to gaussian-chain', () => {
    const matrix = applicability(registry);
    for (const id of ['replace', 'accumulate', 'accumulate-subsample', 'real-only']) expect(matrix['gaussian-chain'][id]).toBeNull();
  });
});
