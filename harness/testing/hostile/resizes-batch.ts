import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
// Changes a drawn batch's size in place.
export default defineMethod({
  id: 'resizes-batch',
  title: 'resizes-batch',
  kind: 'method',
  summary: 'hostile test fixture: changes the size of a batch in place',
  papers: [],
  params: z.object({}),
  hooks: {
    pool(ctx) {
      const batch = ctx.synthetic(ctx.size);
      (batch as { size: number }).size = ctx.size / 2;
      return { parts: [{ batch }] };
    },
  },
});
