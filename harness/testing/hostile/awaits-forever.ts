import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
// A top-level await that never settles.
await new Promise(() => {});
export default defineMethod({
  id: 'awaits-forever',
  title: 'awaits-forever',
  kind: 'method',
  summary: 'hostile test fixture: never finishes importing',
  papers: [],
  params: z.object({}),
  hooks: {},
});
