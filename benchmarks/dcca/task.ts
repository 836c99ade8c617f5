/**
 * Deep CCA on synthetic multi-view data, where collapse shows up as training goes on (He, Du,
 * Xu, Ma, "Preventing Model Collapse in Deep Canonical Correlation Analysis by Noise
 * Regularization", NeurIPS 2024, arXiv 2411.00383).
 *
 * One MLP encoder f_k per view maps X_k to out_dim dimensions; training maximizes the total
 * canonical correlation between the views' embeddings (Andrew et al. 2013):
 *
 *   L_DCCA = −Σ_{k<l} Corr(f_k(X_k), f_l(X_l)),  Corr = ‖Σ₁₁^{−1/2} Σ₁₂ Σ₂₂^{−1/2}‖_tr (cca.ts).
 *
 * Corr is invariant to any invertible linear map of either embedding, so the objective does
 * not care whether the encoder keeps the information a downstream task needs: an
 * over-parameterized encoder keeps raising the training correlation while its embeddings
 * lose that information, and downstream R² falls from its early peak ("model collapse" in
 * DCCA). The step axis is the epoch; every `eval_every` epochs the task records:
 * downstream_r2 (primary), train_corr, test_corr, cip_gap and weight_erank (README.md).
 *
 * Methods implement the `loss` hook: at each step they receive DccaLossContext and return
 * the scalar to minimize. Training options (MethodDefinition.training): `encoder` ('mlp' |
 * 'linear') and `checkpoint` ('last' | 'best': report the evaluation with the best
 * downstream R² so far, the early-stopping oracle).
 */
import { z } from 'zod';
import type * as TF from '@tensorflow/tfjs';
import { SingularValueDecomposition, Matrix } from 'ml-matrix';
import { defineTask, type LossContext, type TrainingOutput } from '../../harness/types.ts';
import { tfjs } from '../../harness/backend.ts';
import type { Rng } from '../../harness/rng.ts';
import { totalCorrelation, type CorrOptions } from './cca.ts';
import { multiViewSource, ridgeCvR2 } from './data.ts';

const Params = z.object({
  latent_dim: z.number().int().min(1).max(256).default(10).describe('dimension L of the god embedding G ~ N(0, I_L)'),
  views: z.number().int().min(2).max(5).default(2).describe('number of views'),
  common_rate: z
    .number()
    .min(0)
    .max(1)
    .default(0.6)
    .describe('fraction of G’s coordinates every view sees (the rest are private, dealt round-robin)'),
  view_dim: z.number().int().min(2).max(512).default(20).describe('dimension of each view X_k'),
  noise: z.number().min(0).default(0.3).describe('standard deviation of the Gaussian noise added to each view'),
  tasks: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(50)
    .describe('downstream regression targets (nonlinear functions of G; the paper uses 50)'),
  train_samples: z.number().int().min(16).max(100_000).default(256).describe('training rows (the encoders see only these)'),
  test_samples: z.number().int().min(16).max(100_000).default(512).describe('held-out rows: test_corr, cip_gap and the downstream R²'),
  hidden: z.number().int().min(4).max(1024).default(64).describe('units in each of the two ReLU hidden layers of an MLP encoder'),
  out_dim: z
    .number()
    .int()
    .min(1)
    .max(128)
    .default(20)
    .describe('embedding dimension of each encoder (= view_dim in every profile: the square case of the paper’s CIP theorem)'),
  epochs: z.number().int().min(1).max(10_000).default(30).describe('training epochs'),
  eval_every: z.number().int().min(1).max(10_000).default(5).describe('evaluate every this many epochs (and at epoch 0)'),
  batch: z.number().int().min(16).max(100_000).default(256).describe('rows per Adam step (the batch must be larger than out_dim)'),
  learning_rate: z.number().positive().max(1).default(3e-3).describe('Adam step size'),
  r: z.number().min(0).default(1e-3).describe('ridge r·I added to each covariance in Corr'),
  ns_iterations: z.number().int().min(5).max(200).default(30).describe('Newton–Schulz iterations per matrix square root (cca.ts)'),
  ridge: z.number().positive().default(1e-2).describe('ridge penalty of the downstream regression (standardized features)'),
  folds: z.number().int().min(2).max(20).default(5).describe('cross-validation folds of the downstream R²'),
});
export type DccaParams = z.infer<typeof Params>;

/**
 * What a `loss` hook receives at each step of dcca (beside LossContext). Every tensor lives
 * inside the optimizer's closure: the returned scalar is differentiated w.r.t. `weights`.
 */
export interface DccaLossContext extends LossContext {
  tf: typeof TF;
  /** The minibatch of each view, batch × view_dim. */
  views: TF.Tensor2D[];
  /** f_k(X_k) for the minibatch, batch × out_dim. */
  embeddings: TF.Tensor2D[];
  /** The plain DCCA loss L_DCCA = −Σ_{k<l} Corr(H_k, H_l) of this minibatch. */
  objective: TF.Scalar;
  /** Encoder k applied to any batch × view_dim input (differentiable). */
  encode(k: number, x: TF.Tensor2D): TF.Tensor2D;
  /** Total canonical correlation with the task's r and iterations (differentiable). */
  correlation(a: TF.Tensor2D, b: TF.Tensor2D): TF.Scalar;
  /** Trainable weight matrices (not biases) of every encoder. */
  weights: TF.Variable[];
}

/** Training options a method may set (MethodDefinition.training). */
export interface DccaTrainingOptions {
  encoder?: 'mlp' | 'linear';
  checkpoint?: 'last' | 'best';
}

export default defineTask({
  id: 'dcca',
  title: 'Deep CCA: collapse during training',
  summary:
    'Two MLP encoders are trained to maximize the total canonical correlation between the views of synthetic ' +
    'multi-view data. The objective ignores whether the embeddings keep the information of the latent cause, ' +
    'so as training goes on the downstream R² of the embeddings falls from an early peak. Scores run from the ' +
    'early-stopping oracle (0) to plain DCCA (1).',
  papers: [
    {
      title: 'Preventing Model Collapse in Deep Canonical Correlation Analysis by Noise Regularization',
      authors: 'He, Du, Xu, Ma',
      year: 2024,
      url: 'https://arxiv.org/abs/2411.00383',
    },
    {
      title: 'Deep Canonical Correlation Analysis',
      authors: 'Andrew, Arora, Bilmes, Livescu',
      year: 2013,
      url: 'https://proceedings.mlr.press/v28/andrew13.html',
    },
  ],
  stepAxis: 'epoch',
  params: Params,
  profiles: {
    quick: {},
    standard: { epochs: 100, train_samples: 1024, test_samples: 1024 },
    full: { epochs: 200, train_samples: 2048, test_samples: 2048, eval_every: 10 },
  },
  metrics: [
    {
      name: 'downstream_r2',
      description: 'cross-validated ridge R² of the downstream targets on the concatenated test embeddings, mean over targets',
      direction: 'higher',
      primary: true,
    },
    {
      name: 'train_corr',
      description: 'total canonical correlation between the views’ training embeddings (max out_dim per pair)',
      direction: 'higher',
    },
    { name: 'test_corr', description: 'total canonical correlation between the views’ test embeddings', direction: 'higher' },
    {
      name: 'cip_gap',
      description:
        'correlation-invariance violation: mean over views of |Corr(f(X), f(A)) − Corr(X, A)| on test rows, A fixed Gaussian noise (the NR loss ζ_k)',
      direction: 'lower',
    },
    {
      name: 'weight_erank',
      description:
        'spectrum spread of the encoders’ first weight matrix (the layer the paper plots): effective rank exp(entropy of σ/Σσ) over its maximum, mean over views',
      direction: 'higher',
    },
  ],
  hooks: ['loss'],
  scoreScale: { oracle: 'early-stopping', reference: 'dcca' },
  engine: 'tfjs',
  training(params, ctx): TrainingOutput {
    const tf = tfjs();
    const options = ctx.options as DccaTrainingOptions;
    const encoderKind = options.encoder ?? 'mlp';
    const checkpoint = options.checkpoint ?? 'last';
    if (encoderKind !== 'mlp' && encoderKind !== 'linear')
      throw new Error(`invalid training option encoder: ${JSON.stringify(encoderKind)} (method ${ctx.method}; expected mlp or linear)`);
    if (checkpoint !== 'last' && checkpoint !== 'best')
      throw new Error(`invalid training option checkpoint: ${JSON.stringify(checkpoint)} (method ${ctx.method}; expected last or best)`);
    const batch = Math.min(params.batch, params.train_samples);
    if (batch <= params.out_dim)
      throw new Error(`batch ${batch} must exceed out_dim ${params.out_dim} (a covariance of out_dim dimensions needs more rows)`);
    const corrOptions: CorrOptions = { r: params.r, iterations: params.ns_iterations };

    // Data, initial weights and minibatch order come from streams shared by every method of this
    // setting and seed; only the method's own stream ('method') differs.
    const source = multiViewSource(params, ctx.sharedRng('setup'));
    const train = source(params.train_samples, ctx.sharedRng('train'));
    const test = source(params.test_samples, ctx.sharedRng('test'));
    const trainX = train.views.map((v) => tf.tensor2d(Float32Array.from(v), [train.rows, params.view_dim]));
    const testX = test.views.map((v) => tf.tensor2d(Float32Array.from(v), [test.rows, params.view_dim]));
    // Fixed noise for the cip_gap metric (the NR method draws its own every step).
    const evalRng = ctx.sharedRng('eval-noise');
    const evalNoise = testX.map(() =>
      tf.tensor2d(Float32Array.from(evalRng.fillNormal(new Float64Array(test.rows * params.view_dim))), [test.rows, params.view_dim]),
    );
    const rawCip = tf.tidy(() => evalNoise.map((a, k) => totalCorrelation(tf, testX[k], a, corrOptions).dataSync()[0]));

    // Encoders: Glorot-uniform weights from the 'init' stream, zero biases.
    const initRng = ctx.sharedRng('init');
    const sizes =
      encoderKind === 'mlp' ? [params.view_dim, params.hidden, params.hidden, params.out_dim] : [params.view_dim, params.out_dim];
    const encoders = train.views.map(() => layersOf(tf, sizes, initRng));
    const weights = encoders.flatMap((e) => e.map((l) => l.w));
    const variables = encoders.flatMap((e) => e.flatMap((l) => [l.w, l.b]));
    const encode = (k: number, x: TF.Tensor2D): TF.Tensor2D => {
      let h = x;
      encoders[k].forEach((layer, i) => {
        const z = tf.add(tf.matMul(h, layer.w), layer.b) as TF.Tensor2D;
        h = i < encoders[k].length - 1 ? tf.relu(z) : z;
      });
      return h;
    };
    const correlation = (a: TF.Tensor2D, b: TF.Tensor2D) => totalCorrelation(tf, a, b, corrOptions);
    const objectiveOf = (h: TF.Tensor2D[]) => {
      let total = tf.scalar(0);
      for (let k = 0; k < h.length; k++) for (let l = k + 1; l < h.length; l++) total = tf.add(total, correlation(h[k], h[l]));
      return tf.neg(total) as TF.Scalar;
    };

    const optimizer = tf.train.adam(params.learning_rate);
    const orderRng = ctx.sharedRng('minibatches');
    const methodRng = ctx.rng('method');
    const names = ['downstream_r2', 'train_corr', 'test_corr', 'cip_gap', 'weight_erank'] as const;
    const steps: number[] = [];
    const metrics: Record<string, Float64Array[]> = Object.fromEntries(names.map((n) => [n, []]));
    let best: Record<string, number> | undefined;

    const evaluate = (epoch: number) => {
      const now = tf.tidy(() => {
        const hTrain = trainX.map((x, k) => encode(k, x));
        const hTest = testX.map((x, k) => encode(k, x));
        const trainCorr = -objectiveOf(hTrain).dataSync()[0];
        const testCorr = -objectiveOf(hTest).dataSync()[0];
        let gap = 0;
        // ζ_k = |Corr(f_k(X_k), f_k(A_k)) − Corr(X_k, A_k)|, the NR loss of He et al. (no normalization).
        evalNoise.forEach((a, k) => {
          gap += Math.abs(correlation(hTest[k], encode(k, a)).dataSync()[0] - rawCip[k]);
        });
        const features = concatRows(
          hTest.map((h) => h.dataSync() as Float32Array),
          test.rows,
          params.out_dim,
        );
        const r2 = ridgeCvR2(features, params.out_dim * hTest.length, test.targets, params.tasks, params.folds, params.ridge);
        return {
          downstream_r2: r2,
          train_corr: trainCorr,
          test_corr: testCorr,
          cip_gap: gap / evalNoise.length,
          weight_erank: meanErank(encoders.map((e) => e[0].w)),
        };
      });
      if (checkpoint === 'best' && best !== undefined && !(now.downstream_r2 > best.downstream_r2)) {
        // Early-stopping oracle: hold the best evaluation so far.
      } else {
        best = now;
      }
      const shown = checkpoint === 'best' ? best! : now;
      steps.push(epoch);
      for (const name of names) metrics[name].push(Float64Array.of(shown[name]));
    };

    evaluate(0);
    const n = params.train_samples;
    const perm = new Int32Array(n);
    for (let epoch = 1; epoch <= params.epochs; epoch++) {
      for (let i = 0; i < n; i++) perm[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const j = orderRng.int(i + 1);
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      // Full batches only (a trailing partial batch would have a noisier covariance).
      for (let s = 0, step = 0; s + batch <= n; s += batch, step++) {
        const cost = tf.tidy(() => {
          const idx = tf.tensor1d(perm.subarray(s, s + batch), 'int32');
          const xs = trainX.map((x) => tf.gather(x, idx) as TF.Tensor2D);
          return optimizer.minimize(
            () => {
              const embeddings = xs.map((x, k) => encode(k, x));
              const objective = objectiveOf(embeddings);
              if (!ctx.loss) return objective;
              const context: DccaLossContext = {
                task: 'dcca',
                taskParams: params,
                epoch,
                step,
                rng: methodRng,
                tf,
                views: xs,
                embeddings,
                objective,
                encode,
                correlation,
                weights,
              };
              return ctx.loss(context) as TF.Scalar;
            },
            true,
            variables,
          )!;
        });
        const value = cost.dataSync()[0];
        cost.dispose();
        if (!Number.isFinite(value)) throw new Error(`loss is ${value} at epoch ${epoch} (method ${ctx.method})`);
      }
      if (epoch % params.eval_every === 0 || epoch === params.epochs) evaluate(epoch);
    }
    tf.dispose([...trainX, ...testX, ...evalNoise, ...variables]);
    optimizer.dispose();
    return { steps, metrics };
  },
});

interface Layer {
  w: TF.Variable;
  b: TF.Variable;
}

function layersOf(tf: typeof TF, sizes: number[], rng: Rng): Layer[] {
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const [fanIn, fanOut] = [sizes[i], sizes[i + 1]];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const w = new Float32Array(fanIn * fanOut);
    for (let k = 0; k < w.length; k++) w[k] = (2 * rng.uniform() - 1) * limit;
    layers.push({ w: tf.variable(tf.tensor2d(w, [fanIn, fanOut])), b: tf.variable(tf.zeros([fanOut])) });
  }
  return layers;
}

function concatRows(parts: Float32Array[], rows: number, width: number): Float64Array {
  const p = parts.length * width;
  const out = new Float64Array(rows * p);
  for (let i = 0; i < rows; i++)
    parts.forEach((h, k) => {
      for (let j = 0; j < width; j++) out[i * p + k * width + j] = h[i * width + j];
    });
  return out;
}

/** Mean over matrices of exp(entropy of σ/Σσ) / min(rows, cols), in float64 (ml-matrix SVD). */
function meanErank(ws: TF.Variable[]): number {
  let total = 0;
  for (const w of ws) {
    const [rows, cols] = w.shape as [number, number];
    const values = w.dataSync();
    const m = new Matrix(rows, cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.set(i, j, values[i * cols + j]);
    const sigma = new SingularValueDecomposition(m, {
      computeLeftSingularVectors: false,
      computeRightSingularVectors: false,
      autoTranspose: true,
    }).diagonal;
    const sum = sigma.reduce((a, b) => a + b, 0);
    let entropy = 0;
    for (const s of sigma) if (s > 0) entropy -= (s / sum) * Math.log(s / sum);
    total += Math.exp(entropy) / Math.min(rows, cols);
  }
  return total / ws.length;
}
