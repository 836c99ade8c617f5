import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
// Ends the process as soon as it is imported.
process.exit(0);
export default defineMethod({
  id: 'exits-at-import',
  title: 'exits-at-import',
  kind: 'method',
  summary: 'hostile test fixture: exits at import',
  papers: [],
  params: z.object({}),
  hooks: {},
});
