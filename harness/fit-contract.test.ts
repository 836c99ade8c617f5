/**
 * The fit contract: tasks declare their fit options and known quantities; the loop passes the
 * known quantities and the sample-size schedule to a fit hook and rejects undeclared or
 * out-of-range options with a message naming them; applicability follows from `needs`.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import gaussianChain from '../benchmarks/gaussian-chain/task.ts';
import regression from '../benchmarks/regression/task.ts';
import { runGenerational } from './generations.ts';
import { CellError } from './outcome.ts';
import { inapplicableReason } from './registry.ts';
import { defineMethod, type FitContext, type FitOptions, type AnyGenerationalTask } from './types.ts';

function fitMethod(rule: (ctx: FitContext) => FitOptions, needs?: { fitOptions?: string[]; known?: string[] }) {
  return defineMethod({
    id: 'fit-probe',
    title: 'fit probe',
    kind: 'method',
    summary: '',
    papers: [],
    params: z.object({}),
    hooks: { fit: (ctx) => rule(ctx) },
    needs,
  });
}

const cell = (
  method: ReturnType<typeof fitMethod>,
  task: AnyGenerationalTask = regression,
  over: Record<string, unknown> = { generations: 2, replicates: 4, samples_growth: 1 },
) => runGenerational(task, method, { task: task.id, taskParams: task.params.parse(over), method: method.id, methodParams: {}, seed: 0 });

describe('fit hooks see the known quantities and the sample sizes so far', () => {
  it('regression: d, σ², σ₀², ‖w₀‖² and n_0 … n_t', () => {
    const seen: FitContext[] = [];
    cell(
      fitMethod((ctx) => {
        seen.push(ctx);
        return {};
      }),
      regression,
      { generations: 2, replicates: 4, samples_growth: 1, noise: 0.5, synthetic_noise_scale: 2, dim: 3 },
    );
    expect(seen.map((c) => c.sampleSizes)).toEqual([[50], [50, 100], [50, 100, 150]]);
    expect(seen[2].known).toEqual({ dim: 3, noise_variance: 0.25, synthetic_noise_variance: 1, signal_norm2: 1 });
    expect(Object.isFrozen(seen[0].known)).toBe(true);
  });

  it('a task that declares none passes {}', () => {
    const seen: FitContext[] = [];
    cell(
      fitMethod((ctx) => {
        seen.push(ctx);
        return {};
      }),
      gaussianChain,
      { generations: 1, replicates: 4 },
    );
    expect(seen[0].known).toEqual({});
  });
});

describe('fit options are checked against the task’s declaration', () => {
  it('an undeclared option fails the cell, naming it and the declared ones', () => {
    expect(() => cell(fitMethod(() => ({ shrinkage: 0.5 })))).toThrow(CellError);
    expect(() => cell(fitMethod(() => ({ shrinkage: 0.5 })))).toThrow(
      'fit hook of fit-probe at generation 0: invalid fit option shrinkage for task regression (declares ridge, ridge_gcv)',
    );
  });

  it('an out-of-range value fails the cell, naming the option', () => {
    expect(() => cell(fitMethod(() => ({ ridge: -1 })))).toThrow('invalid fit option ridge for task regression');
    expect(() =>
      cell(
        fitMethod(() => ({ shrinkage: 2 })),
        gaussianChain,
        { generations: 1, replicates: 4 },
      ),
    ).toThrow('invalid fit option shrinkage for task gaussian-chain');
  });
});

describe('applicability follows from needs', () => {
  it('missing fit options or known quantities make a method inapplicable, with the reason', () => {
    expect(
      inapplicableReason(
        regression,
        fitMethod(() => ({}), { fitOptions: ['ridge'], known: ['noise_variance'] }),
      ),
    ).toBeUndefined();
    expect(
      inapplicableReason(
        gaussianChain,
        fitMethod(() => ({}), { fitOptions: ['ridge'] }),
      ),
    ).toBe('task gaussian-chain has no fit option ridge');
    expect(
      inapplicableReason(
        gaussianChain,
        fitMethod(() => ({}), { known: ['noise_variance', 'dim'] }),
      ),
    ).toBe('task gaussian-chain does not declare the known quantities noise_variance, dim');
  });
});

describe('every task that exposes fit declares its options', () => {
  it('in the registry', async () => {
    const { loadRegistry } = await import('./registry.ts');
    const registry = await loadRegistry();
    const withFit = registry.tasks.filter((t) => t.definition.hooks.includes('fit'));
    expect(withFit.length).toBeGreaterThan(0);
    for (const { definition: task } of withFit) {
      expect(task.fitOptions, task.id).toBeDefined();
      for (const [name, field] of Object.entries(task.fitOptions!.shape))
        expect(field.description, `${task.id} fit option ${name}`).toBeTruthy();
    }
  });
});
