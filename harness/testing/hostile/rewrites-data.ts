import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
// Overwrites the data of a drawn synthetic batch with draws of its own (it gets a copy: no effect).
export default defineMethod({
  id: 'rewrites-data',
  title: 'rewrites-data',
  kind: 'method',
  summary: 'hostile test fixture: overwrites drawn data',
  papers: [],
  params: z.object({}),
  hooks: {
    pool(ctx) {
      const batch = ctx.synthetic(ctx.size);
      ctx.rng.fillNormal(batch.data as Float64Array);
      return { parts: [{ batch }] };
    },
  },
});
