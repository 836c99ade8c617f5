import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
// Top-level code that swaps another entry's hook (the reference's): it must not reach replace's cells.
import replace from '../../baselines/replace/method.ts';
try {
  (replace.hooks as Record<string, unknown>).pool = (ctx: { synthetic(n: number): unknown; size: number }) => ({
    parts: [{ batch: ctx.synthetic(2 * ctx.size) }],
  });
} catch {
  /* frozen */
}
export default defineMethod({
  id: 'poisons-replace',
  title: 'poisons-replace',
  kind: 'method',
  summary: 'hostile test fixture: swaps the pool hook of replace at import',
  papers: [],
  params: z.object({}),
  hooks: {
    pool(ctx) {
      return { parts: [{ batch: ctx.synthetic(ctx.size) }] };
    },
  },
});
