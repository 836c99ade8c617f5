/**
 * Linear CCA (Hotelling 1936) as a flat control: the dcca task's encoders become one linear
 * map per view, trained on the same objective. A linear map cannot discard information
 * nonlinearly, so its downstream R² rises to linear CCA's and stays there.
 */
import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
import type { DccaLossContext } from '../../benchmarks/dcca/task.ts';

export default defineMethod({
  id: 'linear-cca',
  title: 'Linear CCA (flat control)',
  kind: 'baseline',
  summary: 'The DCCA objective with one linear map per view instead of an MLP encoder.',
  papers: [
    { title: 'Relations between two sets of variates', authors: 'Hotelling', year: 1936, url: 'https://doi.org/10.1093/biomet/28.3-4.321' },
  ],
  params: z.object({}),
  engine: 'tfjs',
  training: () => ({ encoder: 'linear' }),
  hooks: { loss: (ctx: DccaLossContext) => ctx.objective },
});
