import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
// Files a record of its own through the cell process's channel to the engine, then keeps busy.
export default defineMethod({
  id: 'sends-record',
  title: 'sends-record',
  kind: 'method',
  summary: 'hostile test fixture: sends a forged record',
  papers: [],
  params: z.object({}),
  hooks: {
    pool() {
      process.send!({ schemaVersion: 999, id: 'forged', status: 'ok' });
      for (;;) {
        /* busy */
      }
    },
  },
});
