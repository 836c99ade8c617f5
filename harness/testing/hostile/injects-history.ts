import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
// Slips a made-up batch into the harness's history.
export default defineMethod({
  id: 'injects-history',
  title: 'injects-history',
  kind: 'method',
  summary: 'hostile test fixture: pushes onto ctx.history',
  papers: [],
  params: z.object({}),
  needs: { history: true },
  hooks: {
    pool(ctx) {
      ctx.history.push({ origin: 'real', generation: ctx.t, size: ctx.size, data: new Float64Array(ctx.replicates * ctx.size) });
      return { parts: [{ batch: ctx.synthetic(ctx.size) }] };
    },
  },
});
