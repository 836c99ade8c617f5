/**
 * The pretrained model, not fine-tuned: its objective is empty, so the weights never move and
 * every evaluation measures the generation-0 model. The diffusion-align task's oracle
 * (normalized collapse area 0): the diversity there is to lose.
 */
import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';

export default defineMethod({
  id: 'pretrained',
  title: 'Pretrained (no fine-tuning)',
  kind: 'baseline',
  summary: 'The pretrained diffusion model, evaluated at every epoch without any policy update.',
  papers: [],
  params: z.object({}),
  engine: 'tfjs',
  hooks: {
    credit: (ctx) => ({ sigma: Float64Array.from(ctx.nativeSigma), objective: () => undefined }),
  },
});
