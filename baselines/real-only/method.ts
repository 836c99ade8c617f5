/**
 * Real-only (oracle): every generation trains on n_t fresh real samples, so nothing
 * synthetic ever enters the pool. It bounds what any mitigation can achieve, at the cost of
 * n_t real samples per generation (recorded as its real-data budget). Scores use it as the
 * zero of the normalized collapse area.
 */
import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';

export default defineMethod({
  id: 'real-only',
  title: 'Real only (oracle)',
  kind: 'baseline',
  summary: 'Each generation trains on fresh real data only; consumes n_t real samples per generation.',
  papers: [],
  params: z.object({}),
  hooks: {
    pool: (ctx) => ({ parts: [{ batch: ctx.real(ctx.size) }] }),
  },
});
