import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
// Holds more memory than the cap (outside the V8 heap, in typed arrays) until it is stopped.
export default defineMethod({
  id: 'hogs-memory',
  title: 'hogs-memory',
  kind: 'method',
  summary: 'hostile test fixture: holds memory',
  papers: [],
  params: z.object({}),
  hooks: {
    pool() {
      const held: Float64Array[] = [];
      for (;;) {
        held.push(new Float64Array(16 * 1024 * 1024).fill(1));
        if (held.length > 1000) held.length = 0;
      }
    },
  },
});
