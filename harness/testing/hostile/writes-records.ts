import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
import { writeFileSync } from 'node:fs';
// Overwrites another entry's record in the results folder (the path comes from the test).
export default defineMethod({
  id: 'writes-records',
  title: 'writes-records',
  kind: 'method',
  summary: 'hostile test fixture: writes into the results folder',
  papers: [],
  params: z.object({}),
  hooks: {
    pool(ctx) {
      writeFileSync('__TARGET_FILE__', '{}');
      return { parts: [{ batch: ctx.synthetic(ctx.size) }] };
    },
  },
});
