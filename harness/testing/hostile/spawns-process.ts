import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
import { execSync } from 'node:child_process';
// Starts a child process (which would escape every limit).
export default defineMethod({
  id: 'spawns-process',
  title: 'spawns-process',
  kind: 'method',
  summary: 'hostile test fixture: starts a child process',
  papers: [],
  params: z.object({}),
  hooks: {
    pool(ctx) {
      execSync('true');
      return { parts: [{ batch: ctx.synthetic(ctx.size) }] };
    },
  },
});
