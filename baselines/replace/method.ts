/**
 * Replace: generation t trains only on n_t samples of generation t−1's model, the classic
 * self-consuming loop in which collapse is expected (Shumailov et al. 2024). Scores use it
 * as the reference: its normalized collapse area is 1 by definition.
 */
import { z } from 'zod';
import { defineMethod } from '../../harness/types.ts';
import { replacePool } from '../../harness/generations.ts';

export default defineMethod({
  id: 'replace',
  title: 'Replace (no mitigation)',
  kind: 'baseline',
  summary: 'Each generation trains only on the previous model’s samples.',
  papers: [
    {
      title: 'AI models collapse when trained on recursively generated data',
      authors: 'Shumailov et al.',
      year: 2024,
      url: 'https://doi.org/10.1038/s41586-024-07566-y',
    },
  ],
  params: z.object({}),
  hooks: { pool: replacePool },
});
