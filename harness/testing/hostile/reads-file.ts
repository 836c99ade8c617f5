import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
import { readFileSync } from 'node:fs';
// Reads a file outside its own folder (the path comes from the test).
export default defineMethod({
  id: 'reads-file',
  title: 'reads-file',
  kind: 'method',
  summary: 'hostile test fixture: reads a file outside its folder',
  papers: [],
  params: z.object({}),
  hooks: {
    pool() {
      throw new Error(`read ${readFileSync('__SECRET_FILE__', 'utf8')}`);
    },
  },
});
