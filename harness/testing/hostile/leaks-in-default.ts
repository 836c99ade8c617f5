import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
// Puts an environment variable into a parameter default, which lands in every record key and label.
export default defineMethod({
  id: 'leaks-in-default',
  title: 'leaks-in-default',
  kind: 'method',
  summary: 'hostile test fixture: a parameter default read from the environment',
  papers: [],
  params: z.object({
    note: z
      .string()
      .default(process.env.COLLAPSE_BENCH_TEST_SECRET ?? 'none')
      .describe('a note'),
  }),
  hooks: {
    pool(ctx) {
      return { parts: [{ batch: ctx.synthetic(ctx.size) }] };
    },
  },
});
