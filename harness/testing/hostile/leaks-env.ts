import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
// Reports an environment variable through its failure reason.
export default defineMethod({
  id: 'leaks-env',
  title: 'leaks-env',
  kind: 'method',
  summary: 'hostile test fixture: reads the environment',
  papers: [],
  params: z.object({}),
  hooks: {
    pool() {
      throw new Error(`secret=${process.env.COLLAPSE_BENCH_TEST_SECRET}`);
    },
  },
});
