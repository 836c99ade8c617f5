/**
 * Accumulate-subsample: accumulate all data as in `accumulate`, then train on a uniform
 * random subset of n_t samples (per replicate), so every generation sees the same amount
 * of data as `replace` and the comparison isolates what accumulation keeps, not how much.
 */
import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
import { subsample } from '../../harness/pool.ts';

export default defineMethod({
  id: 'accumulate-subsample',
  title: 'Accumulate, then subsample',
  kind: 'baseline',
  summary: 'Accumulates all real and synthetic data, then trains on a uniform subset of the per-generation size.',
  papers: [
    {
      title: 'Collapse or Thrive? Perils and Promises of Synthetic Data in a Self-Generating World',
      authors: 'Kazdan et al.',
      year: 2024,
      url: 'https://arxiv.org/abs/2410.16713',
    },
  ],
  params: z.object({}),
  hooks: {
    // ctx.previous holds every batch so far (its subset is not carried over): add this
    // generation's samples and draw a fresh uniform subset of n_t from all of them.
    pool: (ctx) => subsample({ parts: [...ctx.previous.parts, { batch: ctx.synthetic(ctx.size) }] }, ctx.replicates, ctx.size, ctx.rng),
  },
});
