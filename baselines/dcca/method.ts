/**
 * Plain DCCA: minimize L_DCCA = −Σ_{k<l} Corr(f_k(X_k), f_l(X_l)) (Andrew et al. 2013), the
 * objective whose training run collapses (He et al., NeurIPS 2024). The dcca task's
 * reference: its normalized collapse area is 1 by definition.
 */
import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
import type { DccaLossContext } from '../../benchmarks/dcca/task.ts';

export default defineMethod({
  id: 'dcca',
  title: 'DCCA (no mitigation)',
  kind: 'baseline',
  summary: 'Deep CCA trained on its plain objective, the total canonical correlation, for every epoch.',
  papers: [
    {
      title: 'Deep Canonical Correlation Analysis',
      authors: 'Andrew, Arora, Bilmes, Livescu',
      year: 2013,
      url: 'https://proceedings.mlr.press/v28/andrew13.html',
    },
  ],
  params: z.object({}),
  engine: 'tfjs',
  hooks: { loss: (ctx: DccaLossContext) => ctx.objective },
});
