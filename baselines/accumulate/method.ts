/**
 * Accumulate: generation t trains on everything drawn so far, the real generation-0 data
 * plus every generation's synthetic samples. Gerstgrasser et al. (2024) show that test
 * error then stays bounded instead of growing with t.
 */
import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';

export default defineMethod({
  id: 'accumulate',
  title: 'Accumulate',
  kind: 'baseline',
  summary: 'Each generation adds its synthetic samples to all earlier data (real and synthetic) and trains on the union.',
  papers: [
    {
      title: 'Is Model Collapse Inevitable? Breaking the Curse of Recursion by Accumulating Real and Synthetic Data',
      authors: 'Gerstgrasser et al.',
      year: 2024,
      url: 'https://arxiv.org/abs/2404.01413',
    },
  ],
  params: z.object({}),
  hooks: {
    // ctx.previous is this method's pool of generation t−1: every batch so far.
    pool: (ctx) => ({ parts: [...ctx.previous.parts, { batch: ctx.synthetic(ctx.size) }] }),
  },
});
