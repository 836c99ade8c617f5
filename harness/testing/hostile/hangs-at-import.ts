import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
// Never finishes importing.
for (;;) {
  /* busy */
}
export default defineMethod({
  id: 'hangs-at-import',
  title: 'hangs-at-import',
  kind: 'method',
  summary: 'hostile test fixture: loops at import',
  papers: [],
  params: z.object({}),
  hooks: {},
});
