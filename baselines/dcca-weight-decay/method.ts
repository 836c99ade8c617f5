/**
 * DCCA with weight decay: L_DCCA + λ·Σ‖W‖²_F on the encoders' weight matrices. A generic
 * regularizer, to tell NR-DCCA's specific effect from plain regularization. He et al. (NeurIPS
 * 2024) do not test it (they list weight decay and dropout as future work); the total canonical
 * correlation is invariant to the scale of the embeddings, so shrinking the weights need not
 * change which information they keep.
 */
import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
import type { DccaLossContext } from '../../benchmarks/dcca/task.ts';

const Params = z.object({
  lambda: z.number().min(0).default(1e-3).describe('weight-decay coefficient λ on the sum of squared weight-matrix entries'),
});

export default defineMethod({
  id: 'dcca-weight-decay',
  title: 'DCCA + weight decay (generic regularizer)',
  kind: 'baseline',
  summary: 'Plain DCCA plus an L2 penalty on the encoders’ weight matrices.',
  papers: [
    {
      title: 'Preventing Model Collapse in Deep Canonical Correlation Analysis by Noise Regularization',
      authors: 'He et al.',
      year: 2024,
      url: 'https://arxiv.org/abs/2411.00383',
    },
  ],
  params: Params,
  engine: 'tfjs',
  hooks: {
    loss: (ctx: DccaLossContext, params: z.infer<typeof Params>) => {
      const { tf } = ctx;
      const decay = ctx.weights.reduce((sum, w) => tf.add(sum, tf.sum(tf.square(w))), tf.scalar(0));
      return tf.add(ctx.objective, tf.mul(decay, params.lambda));
    },
  },
});
