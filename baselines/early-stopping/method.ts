/**
 * Early-stopping oracle: plain DCCA, but every evaluation reports the checkpoint with the best
 * downstream R² so far (chosen with the test targets, hence an oracle). Its curve is the
 * running maximum of DCCA's: the dcca task's oracle, normalized collapse area 0.
 */
import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
import type { DccaLossContext } from '../../benchmarks/dcca/task.ts';

export default defineMethod({
  id: 'early-stopping',
  title: 'Early stopping (oracle)',
  kind: 'baseline',
  summary: 'Plain DCCA holding its best epoch so far by downstream R² (an oracle: it looks at the test targets).',
  papers: [
    {
      title: 'Preventing Model Collapse in Deep Canonical Correlation Analysis by Noise Regularization',
      authors: 'He et al.',
      year: 2024,
      url: 'https://arxiv.org/abs/2411.00383',
    },
  ],
  params: z.object({}),
  engine: 'tfjs',
  training: () => ({ checkpoint: 'best' }),
  hooks: { loss: (ctx: DccaLossContext) => ctx.objective },
});
