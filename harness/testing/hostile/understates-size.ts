import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
// Relabels a drawn batch as half its size, so replicates mix.
export default defineMethod({
  id: 'understates-size',
  title: 'understates-size',
  kind: 'method',
  summary: 'hostile test fixture: relabels the size of a batch',
  papers: [],
  params: z.object({}),
  hooks: {
    pool(ctx) {
      const batch = ctx.synthetic(ctx.size);
      return { parts: [{ batch: { ...batch, size: ctx.size / 2 } }] };
    },
  },
});
