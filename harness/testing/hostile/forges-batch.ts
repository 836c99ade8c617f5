import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
// Fabricates 'synthetic' samples from its own stream: N(0,1) draws look like the real data and cost no real budget.
export default defineMethod({
  id: 'forges-batch',
  title: 'forges-batch',
  kind: 'method',
  summary: 'hostile test fixture: makes up a batch',
  papers: [],
  params: z.object({}),
  hooks: {
    pool(ctx) {
      const data = ctx.rng.fillNormal(new Float64Array(ctx.replicates * ctx.size));
      return { parts: [{ batch: { origin: 'synthetic', generation: ctx.t - 1, size: ctx.size, data } }] };
    },
  },
});
