/**
 * Method template — TUTORIAL: what the method is, in one line.
 *
 * TUTORIAL — this folder is the scaffold that `npx collapse-bench new-method <id>` copies to
 * methods/<id>/. Replace every TUTORIAL comment with what a reader of your method needs, and
 * delete the rest; CONTRIBUTING.md walks through the whole path to a pull request.
 *
 * Write this doc comment like the first paragraph of a paper's method section: what the method
 * changes in the generational loop, the equation it implements in the paper's symbols, and the
 * paper, e.g. "Generation t trains on the pool D_t = (1−λ)·S_t ∪ λ·R_t (Eq. 3 of …)".
 *
 * TUTORIAL — the contract (harness/types.ts):
 * - `id` equals the folder name; `kind: 'method'` under methods/.
 * - `params` is a zod object; every field has `.default()` and `.describe()`. Users set them with
 *   `--set <id>.<name>=value`; `a,b,c` sweeps.
 * - `hooks` are the extension points you implement. Your method applies to a task only when the
 *   task exposes every hook you implement (`npx collapse-bench list` shows each task's hooks),
 *   so delete the hooks you do not need. Optionally, `skip(task)` returns a reason to skip a task.
 * - What the hooks reuse for a whole cell (a trained network, a factorization of the
 *   generation-0 fit) is built by an optional `prepare(ctx, params)` beside `hooks`: it runs once
 *   per cell, right after generation 0's fit (`ctx.anchor`), and what it returns is `ctx.state`
 *   in every later hook (methods/contraction-filter trains its filter there). Never keep state
 *   in module variables.
 * - A hook that works in the coordinates of the task's model declares the families it knows in
 *   `needs: { modelFamily: ['gaussian', 'categorical'] }` (ModelFamily in harness/types.ts says
 *   what each model holds); the method then applies exactly where the task declares one.
 * - Randomness comes only from `ctx.rng` (seeded from the cell key): never `Math.random()`, the
 *   clock or state kept between calls. `collapse-bench validate` runs each cell twice and rejects
 *   a method whose numbers differ.
 */
import { z } from 'zod';
import { defineMethod, type FitOptions, type Pool, type PoolContext } from '../../harness/types.ts';

// Hyper-parameters — TUTORIAL: one line each, with its default, its range and its symbol in the paper.
const params = z.object({
  lambda: z.number().min(0).max(1).default(0.5).describe('λ: share of fresh real data in each generation’s pool'),
});
type Params = z.infer<typeof params>;

export default defineMethod({
  id: '_template',
  title: 'Method template',
  kind: 'method',
  summary: 'TUTORIAL: one sentence — what the method changes in the generational loop.',
  // TUTORIAL: the paper(s) the method comes from; [] when it is new.
  papers: [{ title: 'TUTORIAL: paper title', authors: 'First Author et al.', year: 2025, url: 'https://doi.org/…' }],
  params,
  hooks: {
    // <hook pool>
    /**
     * TUTORIAL — `pool`: build generation t's training pool. `ctx.synthetic(n)` draws n samples per
     * replicate from generation t−1's model; `ctx.real(n)` draws fresh real data (it counts toward
     * the real-data budget once a sample enters the pool with positive weight); `ctx.previous` is
     * the pool generation t−1 was fit on, `ctx.initial` the real generation-0 batch, and
     * `ctx.history` every batch so far (for methods that declare `needs: { history: true }`;
     * the harness keeps it only for them). Per-sample weights
     * (0 excludes a sample) and helpers such as `bernoulliSplit`, `subsample` and `reweightShares`
     * are in harness/pool.ts. Every array holds all replicates at once: loop over them, vectorized.
     */
    pool(ctx: PoolContext<unknown>, p: Params): Pool<unknown> {
      throw new Error(`not implemented: the pool hook of methods/_template/method.ts (generation ${ctx.t}, params ${JSON.stringify(p)})`);
    },
    // </hook pool>
    // <hook fit>
    /**
     * TUTORIAL — `fit`: fit options for the task's estimator, e.g. `{ shrinkage: 0.2 }` for
     * gaussian-chain or `{ ridge: 0.1 }` for regression. Each task declares its options as a zod
     * object (`fitOptions` in its task.ts; `npx collapse-bench list` and its README show them) and
     * the quantities its protocol fixes (`known`, read as `ctx.known`, e.g. regression's noise
     * variance). Declare what your hook relies on in `needs: { fitOptions: [...], known: [...] }`
     * beside `hooks`: the method then applies exactly to the tasks that declare them. Never
     * branch on `ctx.task`.
     */
    fit(ctx, p: Params): FitOptions {
      throw new Error(`not implemented: the fit hook of methods/_template/method.ts (generation ${ctx.t}, params ${JSON.stringify(p)})`);
    },
    // </hook fit>
    // <hook estimate>
    /**
     * TUTORIAL — `estimate`: correct the fitted model (the task's model type; all replicates at
     * once). `ctx.anchor` is the generation-0 fit on real data, `ctx.poolSize` the per-replicate
     * training-pool size Σw for sample-size corrections. Return the corrected model.
     */
    estimate(model: unknown, ctx, p: Params): unknown {
      throw new Error(
        `not implemented: the estimate hook of methods/_template/method.ts (generation ${ctx.t}, ${typeof model} model, params ${JSON.stringify(p)})`,
      );
    },
    // </hook estimate>
  },
});
