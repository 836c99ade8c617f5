/**
 * The `markov` variant of recursive-lm: a count-based next-token model over `vocab` tokens
 * in `contexts` contexts (a bigram-style table p̂(token | context)), the statistical language
 * model of Seddik et al. (2024) and Bakshi & Chakraborty.
 *
 * Truth: context c's next-token distribution p*_c is Zipf(s), p_k ∝ k^(−s), under a random
 * permutation of the vocabulary per context (drawn once per cell from the setup stream and
 * shared by every replicate). Fit: weighted token counts per (replicate, context) plus an
 * additive pseudo-count β, p̂_v = (n_v + β)/(N + Vβ).
 *
 * Cost follows counts, not tokens. A batch draws one multinomial per (replicate, context) from
 * p̂ (or p*), by conditional binomials or alias draws, whichever is cheaper for the row, and
 * keeps the counts (TokenData); the fit adds the counts of unweighted parts (and w·counts of
 * parts whose weights are one value per replicate). The fit reads pools as built
 * (`compactPools`): a Bernoulli `draw` part counts the slots its mask takes per context (the
 * harness's own uniforms) and draws which tokens they hold in law from the counts (DrawReader), a
 * `subset` is drawn in law from the union's counts (hypergeometric.ts), and running sums make a
 * pool that keeps earlier rounds cost its new parts only. Tokens are made only for dense weights
 * that vary within a replicate, as a uniformly random arrangement of each row's multiset from a
 * stream forked when the batch was drawn, for that read only.
 *
 * Batch layout (what pool hooks see). `data.tokens` is an Int32Array of R × size token ids,
 * replicate-major; within a replicate, sample j belongs to context j mod C ("round-robin"):
 * row i holds token i of context 0, 1, …, C−1. So any prefix of a replicate's samples is a
 * balanced per-context subsample (counts differ by at most one), `ctx.synthetic(n)` works
 * for any n (a final partial row covers the first n mod C contexts), and batches of the same
 * size line up slot by slot: slot j is the same context in every batch. Tokens within a
 * context are i.i.d. draws in storage order, never sorted (multinomial counts in a uniformly
 * random order are exactly i.i.d. draws).
 */
import { z } from 'zod';
import type { Batch, BernoulliDraw, FitOptions, GenerationalSimulation, Pool, PoolPart } from '../../harness/types.ts';
import { Rng } from '../../harness/rng.ts';
import { RowPicker, subsetCounts } from './hypergeometric.ts';
import type { RecursiveLmParams } from './task.ts';
import { sqNorm, zipfPmf } from './theory.ts';

/**
 * A batch's payload: the token counts of every (replicate, context), the fit's sufficient
 * statistic, and the tokens themselves only on demand.
 *
 * `counts[(r·C + c)·V + v]` is how many of replicate r's samples in context c are token v; they
 * are drawn as one multinomial per (replicate, context) with n_c = ⌊size/C⌋ (+1 for c < size
 * mod C) trials. `tokens` (R × size ids, replicate-major, sample j of a replicate in context
 * j mod C) is a uniformly random arrangement of each (replicate, context)'s multiset, shuffled
 * with a stream forked when the batch was drawn: multinomial counts in a uniform order are
 * exactly i.i.d. draws in storage order, and the same batch always materializes the same
 * tokens. `tokens` arranges them on first read and keeps them; the fit reads them through
 * `arrangedTokens` (only for a pool part whose weights vary within a replicate, once per part
 * thanks to its running sums) and drops them, so a batch holds only its counts and the stream's
 * seed, O(R·C·V) rather than O(R·size), however its pools weight it.
 *
 * Only `contexts` is an own enumerable property; the rest sits in private fields behind
 * getters, so that walking or cloning a batch's data (harness/guard.ts) never materializes
 * tokens. The guard's per-sample shape check therefore sees no arrays here.
 */
export class TokenData {
  /** Contexts C: sample j of a replicate belongs to context j mod C. */
  readonly contexts: number;
  readonly #counts: Int32Array;
  readonly #replicates: number;
  readonly #vocab: number;
  readonly #size: number;
  /** The seed of the arrangement's stream, or the tokens a caller gave (fromTokens). */
  readonly #seed: string | undefined;
  readonly #given: Int32Array | undefined;
  #arrangements = 0;
  #arranged: Int32Array | undefined;

  /**
   * @param counts R × C × V counts whose rows sum to the samples of each (replicate, context)
   * @param source the stream that arranges them into tokens (only its seed is kept: each
   *   arrangement starts it afresh), or the tokens themselves
   */
  constructor(counts: Int32Array, shape: { replicates: number; contexts: number; vocab: number; size: number }, source: Rng | Int32Array) {
    const { replicates: R, contexts: C, vocab: V, size } = shape;
    if (counts.length !== R * C * V)
      throw new Error(`TokenData needs replicates × contexts × vocab = ${R * C * V} counts, got ${counts.length}`);
    this.contexts = C;
    this.#counts = counts;
    this.#replicates = R;
    this.#vocab = V;
    this.#size = size;
    if (source instanceof Int32Array) {
      if (source.length !== R * size) throw new Error(`TokenData needs replicates × size = ${R * size} tokens, got ${source.length}`);
      this.#given = source;
    } else {
      this.#seed = source.seed;
    }
  }

  /** Data holding the given tokens (R × size, layout as above), their counts computed. */
  static fromTokens(tokens: Int32Array, shape: { replicates: number; contexts: number; vocab: number }): TokenData {
    const { replicates: R, contexts: C, vocab: V } = shape;
    const size = tokens.length / R;
    if (!Number.isInteger(size)) throw new Error(`${tokens.length} tokens do not split into ${R} replicates`);
    const counts = new Int32Array(R * C * V);
    for (let r = 0; r < R; r++) {
      for (let j = 0; j < size; j++) {
        const v = tokens[r * size + j];
        if (!(v >= 0 && v < V)) throw new Error(`token ${v} at replicate ${r} sample ${j} is outside the vocabulary 0 … ${V - 1}`);
        counts[(r * C + (j % C)) * V + v]++;
      }
    }
    return new TokenData(counts, { replicates: R, contexts: C, vocab: V, size }, tokens);
  }

  /** R × C × V token counts (read-only by contract: batches are never modified). */
  get counts(): Int32Array {
    return this.#counts;
  }

  get replicates(): number {
    return this.#replicates;
  }

  get vocab(): number {
    return this.#vocab;
  }

  /** Samples per replicate (the batch's size). */
  get size(): number {
    return this.#size;
  }

  /** How many times `tokens` has been arranged from the counts (a diagnostic: 0 = never needed). */
  get arrangements(): number {
    return this.#arrangements;
  }

  /**
   * R × size token ids, replicate-major, sample j in context j mod C; i.i.d. in storage order.
   * Arranged on first read, O(R·size), and kept (read-only by contract, like the counts).
   */
  get tokens(): Int32Array {
    if (this.#given) return this.#given;
    if (!this.#arranged) {
      this.#arrangements++;
      this.#arranged = this.#arrange(new Rng(this.#seed!));
    }
    return this.#arranged;
  }

  /**
   * The same tokens as `tokens`, without keeping them: the kept (or given) array when there is
   * one, else a fresh arrangement the caller owns. For a reader that needs them once (the fit
   * reads each weighted pool part once), so that batches do not grow by R·size ids each.
   */
  arrangedTokens(): Int32Array {
    if (this.#given) return this.#given;
    if (this.#arranged) return this.#arranged;
    this.#arrangements++;
    return this.#arrange(new Rng(this.#seed!));
  }

  /**
   * Each (replicate, context)'s multiset, shuffled uniformly into its slots (Fisher–Yates; the
   * swap partner of slot i is ⌊u·(i+1)⌋ for a 53-bit uniform u, as the alias draws pick their
   * column, off uniform by < (i+1)·2⁻⁵³).
   */
  #arrange(stream: Rng): Int32Array {
    const { contexts: C } = this;
    const R = this.#replicates;
    const V = this.#vocab;
    const n = this.#size;
    const counts = this.#counts;
    const tokens = new Int32Array(R * n);
    const width = Math.ceil(n / C);
    const row = new Int32Array(width);
    const u = new Float64Array(width);
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C && c < n; c++) {
        // One context's tokens grouped by id, then shuffled; a single context in place.
        const m = contextSize(n, C, c);
        const slots = C === 1 ? tokens.subarray(r * n, (r + 1) * n) : row;
        let at = 0;
        const off = (r * C + c) * V;
        for (let v = 0; v < V; v++) for (let k = counts[off + v]; k > 0; k--) slots[at++] = v;
        if (at !== m) throw new Error(`TokenData counts of replicate ${r} context ${c} sum to ${at}, not ${m}`);
        stream.fillUniform(m > 1 ? u.subarray(0, m - 1) : u.subarray(0, 0));
        for (let i = m - 1; i > 0; i--) {
          const j = (u[i - 1] * (i + 1)) | 0;
          const x = slots[i];
          slots[i] = slots[j];
          slots[j] = x;
        }
        if (C > 1) for (let i = 0, j = r * n + c; i < m; i++, j += C) tokens[j] = slots[i];
      }
    }
    return tokens;
  }
}

/** Samples of context c in a replicate of n samples (round-robin over C contexts). */
function contextSize(n: number, C: number, c: number): number {
  return Math.floor(n / C) + (c < n % C ? 1 : 0);
}

/**
 * A batch of n samples per replicate: `drawRow(r, c, n_c, counts, offset)` writes the counts of
 * (replicate r, context c) at counts[offset …]. The token stream is forked first, from four
 * draws of `rng` (fork labels must differ between batches of one stream).
 */
function drawBatch(
  R: number,
  C: number,
  V: number,
  n: number,
  rng: Rng,
  drawRow: (r: number, c: number, count: number, counts: Int32Array, offset: number) => void,
): TokenData {
  const label = `tokens ${rng.nextUint32()} ${rng.nextUint32()} ${rng.nextUint32()} ${rng.nextUint32()}`;
  const stream = rng.fork(label);
  const counts = new Int32Array(R * C * V);
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const count = contextSize(n, C, c);
      if (count > 0) drawRow(r, c, count, counts, (r * C + c) * V);
    }
  }
  return new TokenData(counts, { replicates: R, contexts: C, vocab: V, size: n }, stream);
}

/**
 * The fitted model, and what an `estimate` hook receives and returns: p̂ as a Float64Array
 * R × C × V (replicate, context, token), each row summing to 1. Sampling and metrics treat a
 * row as proportional to probabilities (entries finite and ≥ 0, positive sum).
 */
export type MarkovModel = Float64Array;

/** Fit options this variant accepts (see README.md); the task declares them (task.ts `fitOptions`). */
export const FitOptionsSchema = z.object({
  smoothing: z
    .number()
    .min(0)
    .optional()
    .describe('markov: additive pseudo-count β for this fit, p̂ = (count + β)/(n + Vβ) (replaces the task parameter smoothing)'),
  smoothing_cv: z
    .number()
    .int()
    .min(0)
    .max(1)
    .optional()
    .describe('markov: 1 = choose β per replicate by leave-one-out log-likelihood (excludes smoothing)'),
});
const FIT_OPTIONS = Object.keys(FitOptionsSchema.shape);

/**
 * The β grid searched by `smoothing_cv`: 0 and 10^(k/4) for k = −12 … 8 (10⁻³ … 10²
 * pseudo-counts, four per decade).
 */
export const SMOOTHING_GRID: readonly number[] = [0, ...Array.from({ length: 21 }, (_, i) => 10 ** ((i - 12) / 4))];

/** ε of the KL metric: p̂ is smoothed to (p̂ + ε)/(1 + Vε) so that KL stays finite after tokens die. */
export const KL_EPSILON = 1e-6;

export function markovSimulation(p: RecursiveLmParams, setup: Rng): GenerationalSimulation<TokenData, MarkovModel> {
  const R = p.replicates;
  const C = p.contexts;
  const V = p.vocab;

  const zipf = zipfPmf(V, p.zipf);
  const pStar = trueDistributions(p, setup);
  // Σ_v p*_v ln p*_v = −H(p*), the same for every context (a permutation of one Zipf vector).
  let hStar = 0;
  for (let k = 0; k < V; k++) if (zipf[k] > 0) hStar -= zipf[k] * Math.log(zipf[k]);
  const trueSupport = zipf.reduce((s, x) => s + (x > 0 ? 1 : 0), 0);
  const starSqNorm = sqNorm(zipf);
  // The truth's rows are prepared once, for both ways of drawing counts.
  const realRows = new RowSamplers(C, V);
  for (let c = 0; c < C; c++) {
    realRows.prepare(pStar, c * V, c, -1);
    realRows.buildAlias(c);
    realRows.buildConditionals(c);
  }
  const modelRows = new RowSamplers(C, V);
  const counter = new PoolCounter(R, C, V);

  return {
    replicates: R,
    generations: p.generations,
    // fit counts pools as built: draws realized part by part, subsets in law (PoolCounter).
    compactPools: true,
    sampleSize: (t) => C * Math.round(p.samples * (t + 1) ** p.samples_growth),
    real(n, rng, generation) {
      const batch = drawBatch(R, C, V, n, rng, (_r, c, count, out, off) => realRows.drawCounts(c, count, rng, out, off));
      return { origin: 'real', generation, size: n, data: batch };
    },
    sample(model, n, rng, generation) {
      checkModel(model, R * C * V);
      const batch = drawBatch(R, C, V, n, rng, (r, c, count, out, off) => {
        modelRows.prepare(model, (r * C + c) * V, c, r);
        // Whichever exact multinomial draw is cheaper for this row (see RowSamplers).
        if (modelRows.prefersBinomials(c, count)) modelRows.buildConditionals(c);
        else modelRows.buildAlias(c);
        modelRows.drawCounts(c, count, rng, out, off);
      });
      return { origin: 'synthetic', generation, size: n, data: batch };
    },
    fit(pool, options) {
      const { smoothing, cv } = parseFitOptions(options, p.smoothing);
      const { counts, totals } = counter.count(pool);
      const beta = cv ? looSmoothing(counts, totals, R, C, V) : new Float64Array(R).fill(smoothing);
      // p̂ = (n_v + β)/(N + Vβ), in place: the counts array becomes the model.
      const model = counts;
      for (let r = 0; r < R; r++) {
        const b = beta[r];
        for (let c = 0; c < C; c++) {
          const row = (r * C + c) * V;
          const denom = totals[r * C + c] + V * b;
          // A context with no pool weight (and β = 0) has no information: uniform, the β → ∞ limit.
          if (!(denom > 0)) {
            model.fill(1 / V, row, row + V);
            continue;
          }
          const inv = 1 / denom;
          for (let v = row; v < row + V; v++) model[v] = (model[v] + b) * inv;
        }
      }
      return model;
    },
    evaluate(model) {
      checkModel(model, R * C * V);
      const l2 = new Float64Array(R);
      const kl = new Float64Array(R);
      const support = new Float64Array(R);
      const entropyRatio = new Float64Array(R);
      // Only tokens with q = p̂_v > 0 need work: per context, with p̃ = (q + ε)/(1 + Vε),
      //   ‖q − p*‖² = ‖p*‖² + Σ_{q>0} q(q − 2p*_v),
      //   KL(p*‖p̃) = −H(p*) + ln(1 + Vε) − ln ε − Σ_{q>0} p*_v [ln(q + ε) − ln ε],
      // and the entropy and support sum over q > 0 alone. ‖p*‖² and H(p*) are the same in every
      // context. The positive entries are gathered first, branch-free (late in a chain whether
      // a token is alive is a coin flip, and a mispredicted branch costs more than the test).
      const klConst = -hStar + Math.log(1 + V * KL_EPSILON) - LOG_EPSILON;
      const alive = new Int32Array(V);
      for (let r = 0; r < R; r++) {
        let l2Sum = 0;
        let cross = 0;
        let kept = 0;
        let hSum = 0;
        for (let c = 0; c < C; c++) {
          const row = (r * C + c) * V;
          let total = 0;
          let m = 0;
          for (let v = 0; v < V; v++) {
            const x = model[row + v];
            if (!(x >= 0) || x === Infinity) throw new Error(invalidEntry(r, c, v, x));
            total += x;
            alive[m] = v;
            m += (x > 0) as unknown as number;
          }
          if (!(total > 0) || total === Infinity) throw new Error(invalidSum(r, c, total));
          const inv = 1 / total;
          for (let i = 0; i < m; i++) {
            const v = alive[i];
            const q = model[row + v] * inv;
            const ps = pStar[c * V + v];
            l2Sum += q * (q - 2 * ps);
            const logSmoothed = Math.log(q + KL_EPSILON);
            cross += ps * (logSmoothed - LOG_EPSILON);
            hSum -= q * logFromSmoothed(q, logSmoothed);
            kept += (ps > 0) as unknown as number;
          }
        }
        l2[r] = starSqNorm + l2Sum / C;
        kl[r] = klConst - cross / C;
        support[r] = kept / (C * trueSupport);
        entropyRatio[r] = hSum / C / hStar;
      }
      return { l2_err: l2, kl, support, entropy_ratio: entropyRatio };
    },
  };
}

/**
 * The true next-token tables p*, C × V: context c's row is the Zipf pmf with rank k+1 relabelled
 * as token perm_c[k], one uniform permutation per context drawn in order from `setup` (the
 * simulation makes exactly these draws first, so a test can rebuild p* from the cell key).
 */
export function trueDistributions(p: Pick<RecursiveLmParams, 'vocab' | 'contexts' | 'zipf'>, setup: Rng): Float64Array {
  const { vocab: V, contexts: C } = p;
  const zipf = zipfPmf(V, p.zipf);
  const pStar = new Float64Array(C * V);
  for (let c = 0; c < C; c++) {
    const perm = setup.permutation(V);
    for (let k = 0; k < V; k++) pStar[c * V + perm[k]] = zipf[k];
  }
  return pStar;
}

const LOG_EPSILON = Math.log(KL_EPSILON);

/**
 * ln q given ln(q + ε), without a second logarithm where q ≥ 10⁻³: ln q = ln(q + ε) − ln(1 + t)
 * with t = ε/q ≤ 10⁻³, and the series t − t²/2 + t³/3 − t⁴/4 + t⁵/5 is off by < t⁶/6 ≈ 2·10⁻¹⁹.
 * Halves the logarithms of `evaluate`, its main cost.
 */
function logFromSmoothed(q: number, logSmoothed: number): number {
  if (q < 1e-3) return Math.log(q);
  const t = KL_EPSILON / q;
  return logSmoothed - t * (1 - t * (1 / 2 - t * (1 / 3 - t * (1 / 4 - t / 5))));
}

/** Validates fit options; `smoothing` replaces the task parameter for this fit. */
function parseFitOptions(options: FitOptions, defaultSmoothing: number): { smoothing: number; cv: boolean } {
  for (const name of Object.keys(options)) {
    if (!FIT_OPTIONS.includes(name)) {
      throw new Error(`unknown fit option ${name} for recursive-lm (known: ${FIT_OPTIONS.join(', ')})`);
    }
  }
  const smoothing = options.smoothing ?? defaultSmoothing;
  if (!(smoothing >= 0) || !Number.isFinite(smoothing))
    throw new Error(`fit option smoothing must be a finite number >= 0, got ${smoothing}`);
  const cv = options.smoothing_cv ?? 0;
  if (cv !== 0 && cv !== 1) throw new Error(`fit option smoothing_cv must be 0 or 1, got ${cv}`);
  if (cv === 1 && options.smoothing !== undefined) {
    throw new Error('fit options smoothing and smoothing_cv cannot be combined: smoothing_cv = 1 chooses β itself');
  }
  return { smoothing, cv: cv === 1 };
}

const invalidEntry = (r: number, c: number, v: number, x: number) =>
  `invalid recursive-lm model: replicate ${r} context ${c} has probability ${x} for token ${v} (must be finite and >= 0)`;
const invalidSum = (r: number, c: number, sum: number) =>
  `invalid recursive-lm model: replicate ${r} context ${c} has probabilities summing to ${sum}`;

function checkModel(model: unknown, length: number): asserts model is Float64Array {
  if (!(model instanceof Float64Array) || model.length !== length) {
    const got = model instanceof Float64Array ? `a Float64Array of length ${model.length}` : typeof model;
    throw new Error(`recursive-lm model must be a Float64Array of replicates × contexts × vocab = ${length} probabilities, got ${got}`);
  }
}

/**
 * Weighted token counts per (replicate, context, token), R × C × V, and their sums per
 * (replicate, context), of a pool as built (what the fit counts): a `draw` part is realized
 * in law (DrawReader), a `subset` in law from the seed (the same counts for the same pool,
 * every time).
 */
export function countTokens(pool: Pool<TokenData>, R: number, C: number, V: number): { counts: Float64Array; totals: Float64Array } {
  return new PoolCounter(R, C, V, false).count(pool);
}

/**
 * Adds the weighted token counts of `parts` into counts (R × C × V). An unweighted part adds
 * its counts; a `draw` part its draw realized in law (DrawReader); a part with dense weights adds,
 * per replicate, w·counts where the replicate's weights are all one value w (scaled or whole
 * batches), and otherwise sums the weights token by token over the batch's tokens, arranged for
 * this read only (TokenData.arrangedTokens: a part is read once, the PoolCounter keeps its sum).
 */
function addCounts(counts: Float64Array, parts: readonly PoolPart<TokenData>[], R: number, C: number, V: number, draws: DrawReader): void {
  const CV = C * V;
  for (const part of parts) {
    const { batch } = part;
    checkPart(batch, R, C, V);
    if (part.draw) {
      draws.add(counts, batch, part.draw);
      continue;
    }
    const weights = part.weights;
    const n = batch.size;
    const data = batch.data;
    const source = data.counts;
    // Arranged at most once per part, on the first replicate whose weights vary.
    let tokens: Int32Array | undefined;
    for (let r = 0; r < R; r++) {
      const first = r * CV;
      if (weights === undefined) {
        for (let i = first, end = first + CV; i < end; i++) counts[i] += source[i];
        continue;
      }
      const w = weights[r * n];
      let constant = true;
      for (let j = r * n + 1, end = (r + 1) * n; j < end; j++) {
        if (weights[j] !== w) {
          constant = false;
          break;
        }
      }
      if (constant) {
        if (w !== 0) for (let i = first, end = first + CV; i < end; i++) counts[i] += w * source[i];
        continue;
      }
      // Weights vary within the replicate: sum them per token. Sample j is in context j mod C:
      // rows of C samples, one per context, then a partial row (nested loops keep the context
      // bookkeeping out of the inner loop).
      if (tokens === undefined) {
        draws.claim(data, ARRANGED);
        tokens = data.arrangedTokens();
      }
      const rows = Math.floor(n / C);
      const rest = n - rows * C;
      let j = r * n;
      for (let i = 0; i < rows; i++) {
        for (let off = first, end = first + CV; off < end; off += V) {
          counts[off + tokens[j]] += weights[j];
          j++;
        }
      }
      for (let c = 0; c < rest; c++, j++) counts[first + c * V + tokens[j]] += weights[j];
    }
  }
}

/** Throws unless the batch's data has the task's replicates, contexts and vocabulary, and the batch's size. */
function checkPart(batch: Batch<TokenData>, R: number, C: number, V: number): void {
  const data = batch.data;
  if (data.contexts !== C) throw new Error(`pool batch has ${data.contexts} contexts; the task has ${C}`);
  if (data.replicates !== R || data.vocab !== V || data.size !== batch.size) {
    throw new Error(
      `pool batch data holds ${data.replicates} replicates × ${data.size} samples over ${data.vocab} tokens; the task has ${R} replicates and ${V} tokens, the batch size ${batch.size}`,
    );
  }
}

function rowSums(a: Float64Array, rows: number, V: number): Float64Array {
  const sums = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let v = i * V, end = v + V; v < end; v++) s += a[v];
    sums[i] = s;
  }
  return sums;
}

/**
 * Counts of a pool as built (compactPools), with running sums across fits. The union of a
 * pool's parts (Σ of their weighted counts, and the samples per context) is kept for the last
 * pool of two or more parts; when the next pool's parts start with exactly those part objects
 * (accumulate: one new part per generation; generation weighting: two new draw parts;
 * accumulate-subsample: the same, under a fresh subset) only the new parts are counted, so a fit
 * costs O(new parts) rather than O(history). Parts are harness-owned and immutable (a draw is a
 * fixed recipe), which makes the reuse exact; the new parts are added in pool order onto the
 * kept sum, the very additions a count from scratch makes, so the result is bit-identical.
 * A `subset` is then realized in law from the union (hypergeometric.ts `subsetCounts`).
 */
class PoolCounter {
  private kept: { parts: PoolPart<TokenData>[]; sum: Float64Array; population: Float64Array } | undefined;
  private readonly draws: DrawReader;

  /** @param keep whether to keep the union between calls (a one-off count need not) */
  constructor(
    private readonly R: number,
    private readonly C: number,
    private readonly V: number,
    private readonly keep = true,
  ) {
    this.draws = new DrawReader(R, C, V);
  }

  count(pool: Pool<TokenData>): { counts: Float64Array; totals: Float64Array } {
    const { R, C, V } = this;
    const { subset, parts } = pool;
    if (subset && parts.some((p) => p.weights !== undefined || p.draw !== undefined)) {
      throw new Error('a pool with a subset needs plain parts (no weights, no draws): harness/types.ts Pool.subset');
    }
    const union = this.union(parts);
    if (subset)
      return subsetCounts(union.sum, union.population, { replicates: R, contexts: C, vocab: V }, subset.size, new Rng(subset.seed));
    // The kept sum is the next fit's starting point: the model is made in a copy.
    const counts = union.shared ? union.sum.slice() : union.sum;
    return { counts, totals: rowSums(counts, R * C, V) };
  }

  /** Σ of the parts' weighted counts (R × C × V) and samples per context; `shared` when kept for the next call (not to be modified). */
  private union(parts: readonly PoolPart<TokenData>[]): { sum: Float64Array; population: Float64Array; shared: boolean } {
    const { R, C, V } = this;
    const kept = this.kept;
    // Dropped first, so that a part that throws leaves no half-updated sum behind.
    this.kept = undefined;
    let sum: Float64Array;
    let population: Float64Array;
    let from: number;
    if (kept !== undefined && kept.parts.length <= parts.length && kept.parts.every((part, i) => parts[i] === part)) {
      ({ sum, population } = kept);
      from = kept.parts.length;
    } else if (parts.length > 0 && parts[0].weights === undefined && parts[0].draw === undefined) {
      // A plain first part's counts, converted natively (cheaper than zeros plus adds; 0 + x = x exactly).
      checkPart(parts[0].batch, R, C, V);
      sum = new Float64Array(parts[0].batch.data.counts);
      population = contextSizes(parts[0].batch.size, C);
      from = 1;
    } else {
      sum = new Float64Array(R * C * V);
      population = new Float64Array(C);
      from = 0;
    }
    const added = parts.slice(from);
    addCounts(sum, added, R, C, V, this.draws);
    for (const { batch } of added) {
      for (let c = 0; c < C; c++) population[c] += contextSize(batch.size, C, c);
    }
    // Kept only for pools of two or more parts, which a pool that keeps earlier rounds repeats;
    // `replace` (one new batch per generation) would copy its counts for nothing.
    const shared = this.keep && parts.length > 1;
    if (shared) this.kept = { parts: parts.slice(), sum, population };
    return { sum, population, shared };
  }
}

/** DrawReader.claim's mark for a batch whose tokens were arranged (read slot by slot). */
const ARRANGED = 'arranged';

/**
 * Realizes `draw` parts in law, without arranging tokens. The harness's realization of a draw
 * (harness/pool.ts partWeights) is a 0/w mask over the batch's slots from the uniforms of
 * `new Rng(draw.seed)`; the same uniforms are drawn here, one replicate at a time (the same
 * sequence as one fill of R·size), so the slots taken per (replicate, context), K_{r,c}, are
 * exactly the mask's, and with them the real-data budget the harness counts from that mask.
 * Which tokens the K_{r,c} slots hold is then drawn in law: a context's tokens are i.i.d. in
 * storage order (a uniformly random arrangement of its counts, independent of the mask), so they
 * are K_{r,c} uniformly random distinct samples of the row's n_c, multivariate hypergeometric over
 * its counts (hypergeometric.ts RowPicker), drawn on `new Rng(draw.seed).fork('tokens-' + side)`.
 * Where K_{r,c} > n_c/2 the n_c − K_{r,c} samples left out are drawn instead (the complement of a
 * uniform subset is one): at most n_c/2 picks per row. Cost O(R·size) uniforms for the mask plus
 * O(Σ min(K, n_c − K)) picks and O(R·C·V) adds, and no token array.
 *
 * Per read, this is the law of the harness's realization; across reads it is exact while each
 * batch's tokens are read one way: under one draw (seed and side; re-reads give the same counts),
 * or slot by slot through its arranged tokens. Two different draws over one batch (or a draw and
 * per-token weights) take overlapping slots whose tokens must agree, which independent draws in
 * law would not honour: `claim` records each batch's way and refuses a second one.
 */
class DrawReader {
  readonly #reads = new WeakMap<TokenData, string>();
  readonly #picker: RowPicker;
  /** Uniforms of one replicate's mask. */
  #u = new Float64Array(0);
  /** Tokens picked in the current row. */
  readonly #picked: Float64Array;
  /**
   * The last mask read: slots u < p per (replicate, context), R × C. The two sides of a split
   * share the seed and sit next to each other in a pool, so the second side reuses the first's
   * count instead of drawing the same uniforms again.
   */
  #mask: { seed: string; p: number; size: number; below: Int32Array } | undefined;

  constructor(
    private readonly R: number,
    private readonly C: number,
    private readonly V: number,
  ) {
    this.#picker = new RowPicker(V);
    this.#picked = new Float64Array(V);
  }

  /** Records that `data`'s tokens are read the way `how` names (a draw's seed and side, or ARRANGED); throws if they were read another way. */
  claim(data: TokenData, how: string): void {
    const before = this.#reads.get(data);
    if (before === undefined) this.#reads.set(data, how);
    else if (before !== how) {
      throw new Error(
        `recursive-lm reads a batch's tokens under one Bernoulli draw (in law, from its counts) or token by token, not both: a batch read ${describeRead(before)} is now read ${describeRead(how)}. ` +
          'Give each batch at most one draw (bernoulliSplit once per batch), or dense weights only',
      );
    }
  }

  /** Adds the draw's weighted counts of `batch` into counts (R × C × V). */
  add(counts: Float64Array, batch: Batch<TokenData>, draw: BernoulliDraw): void {
    const { R, C, V } = this;
    const { seed, p, side, weight } = draw;
    if (side !== 'first' && side !== 'second') throw new Error(`a Bernoulli draw's side is 'first' or 'second', got ${String(side)}`);
    const data = batch.data;
    this.claim(data, `${seed} ${side}`);
    // Weight 0 adds nothing (as 0/0 weights would); the mask's uniforms need not be drawn.
    if (weight === 0) return;
    const n = batch.size;
    const source = data.counts;
    const below = this.#below(seed, p, n);
    const stream = new Rng(seed).fork(`tokens-${side}`);
    const picked = this.#picked;
    const picker = this.#picker;
    const rows = Math.floor(n / C);
    const rest = n - rows * C;
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C; c++) {
        const nc = rows + (c < rest ? 1 : 0);
        const k = side === 'first' ? below[r * C + c] : nc - below[r * C + c];
        if (k === 0) continue;
        const off = (r * C + c) * V;
        if (k === nc) {
          for (let v = off, end = off + V; v < end; v++) counts[v] += weight * source[v];
          continue;
        }
        if (picker.prepare(source, off) !== nc)
          throw new Error(`TokenData counts of replicate ${r} context ${c} do not sum to its ${nc} samples`);
        // Unconditional adds (x = 0 adds +0): a branch per token would be a coin flip.
        if (2 * k > nc) {
          picker.pick(stream, nc - k, picked, 0);
          for (let v = 0; v < V; v++) {
            counts[off + v] += weight * (source[off + v] - picked[v]);
            picked[v] = 0;
          }
        } else {
          picker.pick(stream, k, picked, 0);
          for (let v = 0; v < V; v++) {
            counts[off + v] += weight * picked[v];
            picked[v] = 0;
          }
        }
      }
    }
  }

  /** Per (replicate, context), the slots of a mask over `size` slots per replicate whose uniform is below p: the uniforms of `new Rng(seed)`, one replicate at a time. */
  #below(seed: string, p: number, size: number): Int32Array {
    const last = this.#mask;
    if (last !== undefined && last.seed === seed && last.p === p && last.size === size) return last.below;
    const { R, C } = this;
    const below = new Int32Array(R * C);
    const mask = new Rng(seed);
    if (this.#u.length < size) this.#u = new Float64Array(size);
    const u = this.#u.subarray(0, size);
    const rows = Math.floor(size / C);
    const rest = size - rows * C;
    for (let r = 0; r < R; r++) {
      mask.fillUniform(u);
      // Slot j is in context j mod C: rows of C slots, then a partial row.
      const at = r * C;
      let j = 0;
      for (let i = 0; i < rows; i++) for (let c = at, end = at + C; c < end; c++, j++) below[c] += (u[j] < p) as unknown as number;
      for (let c = at, end = at + rest; c < end; c++, j++) below[c] += (u[j] < p) as unknown as number;
    }
    this.#mask = { seed, p, size, below };
    return below;
  }
}

function describeRead(how: string): string {
  return how === ARRANGED ? 'token by token (per-token weights)' : `under the draw ${how}`;
}

/** Samples per context of a batch of n samples per replicate. */
function contextSizes(n: number, C: number): Float64Array {
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) out[c] = contextSize(n, C, c);
  return out;
}

/**
 * `smoothing_cv`: per replicate, the β of SMOOTHING_GRID maximizing the leave-one-out
 * log-likelihood of the pool summed over contexts,
 *   ℓ(β) = Σ_c Σ_v n_cv · ln[(n_cv − 1 + β) / (N_c − 1 + Vβ)],
 * the closed form for additive smoothing: holding out one token of type v leaves counts
 * n_v − 1 and N − 1. Weights count as tokens (exact for 0/1 weights; a weighted sample counts
 * as w tokens, holding out one unit). A term with n_cv − 1 + β ≤ 0 (a token seen once at
 * β = 0) is −∞; ties go to the smaller β. Counts are grouped by value, so the cost per β is the
 * number of distinct counts, not C·V.
 */
export function looSmoothing(counts: Float64Array, totals: Float64Array, R: number, C: number, V: number): Float64Array {
  const grid = SMOOTHING_GRID;
  const beta = new Float64Array(R);
  const score = new Float64Array(grid.length);
  // Grouped terms of one replicate: value x with multiplicity-weight m (Σ over equal counts).
  const numValue: number[] = [];
  const numWeight: number[] = [];
  const denValue: number[] = [];
  const denWeight: number[] = [];
  const grouper = new Grouper();
  for (let r = 0; r < R; r++) {
    grouper.collect(counts, r * C * V, (r + 1) * C * V, numValue, numWeight);
    grouper.collect(totals, r * C, (r + 1) * C, denValue, denWeight);
    for (let g = 0; g < grid.length; g++) {
      const b = grid[g];
      let s = 0;
      for (let i = 0; i < numValue.length; i++) {
        const x = numValue[i] - 1 + b;
        s += x > 0 ? numWeight[i] * Math.log(x) : -Infinity;
      }
      for (let i = 0; i < denValue.length; i++) {
        const x = denValue[i] - 1 + V * b;
        // N_c ≤ 1 with β = 0: nothing left to predict from; its numerator terms are already −∞.
        if (x > 0) s -= denWeight[i] * Math.log(x);
      }
      score[g] = s;
    }
    let best = 0;
    for (let g = 1; g < grid.length; g++) if (score[g] > score[best]) best = g;
    beta[r] = grid[best];
  }
  return beta;
}

/**
 * Groups positive values by value (Σ of the entries equal to each), through a histogram for
 * small integers (counts of 0/1-weighted pools) and a Map for the rest.
 */
class Grouper {
  private hist = new Float64Array(1024);
  private readonly touched: number[] = [];
  private readonly other = new Map<number, number>();

  collect(a: Float64Array, from: number, to: number, values: number[], weights: number[]): void {
    const { touched, other } = this;
    let hist = this.hist;
    values.length = 0;
    weights.length = 0;
    for (let i = from; i < to; i++) {
      const x = a[i];
      if (!(x > 0)) continue;
      if (x === (x | 0) && x < 1 << 22) {
        if (x >= hist.length) {
          const grown = new Float64Array(Math.max(2 * hist.length, x + 1));
          grown.set(hist);
          this.hist = hist = grown;
        }
        if (hist[x] === 0) touched.push(x);
        hist[x] += x;
      } else {
        other.set(x, (other.get(x) ?? 0) + x);
      }
    }
    for (const x of touched) {
      values.push(x);
      weights.push(hist[x]);
      hist[x] = 0;
    }
    for (const [x, w] of other) {
      values.push(x);
      weights.push(w);
    }
    touched.length = 0;
    other.clear();
  }
}

/**
 * A (synthetic) row is drawn by conditional binomials when it has more than this many samples
 * per positive entry, else by alias draws; both are exact multinomial draws. Measured on the
 * shared 2-core machine (V = 50 and 1000, Zipf-like rows): a row costs ≈ 80 ns per positive
 * entry by binomials and ≈ 8 ns per trial by alias draws, equal near 8 trials per entry.
 */
export const BINOMIAL_ROW_FACTOR = 8;

/**
 * Exact multinomial counts for C rows of V probabilities, over each row's positive entries
 * only (late in a chain most tokens are dead; a zero-probability token is never drawn). Two
 * ways, both exact, chosen per row by cost:
 * - conditional binomials: count_k ~ Binomial(left, p_k / Σ_{j ≥ k} p_j) over the m positive
 *   entries in token order, O(m) draws whatever the number of trials n;
 * - Walker's alias tables (Vose's construction): O(m) to build, O(1) per trial from one
 *   53-bit uniform (its integer part picks a column, its fraction the column's token or its
 *   alias), each trial's token counted: O(n).
 * `prepare` validates and compacts row c; then `buildConditionals` and/or `buildAlias` make
 * the tables `drawCounts` needs.
 */
class RowSamplers {
  /** Per row c, from c·V: the positive entries' token ids and raw masses. */
  private readonly token: Int32Array;
  private readonly mass: Float64Array;
  /** Positive entries per row, and their sum. */
  private readonly columns: Int32Array;
  private readonly sums: Float64Array;
  /** Which tables row c has since its last `prepare`. */
  private readonly hasAlias: Uint8Array;
  private readonly hasConditionals: Uint8Array;
  /** Conditional binomial probabilities p_k / Σ_{j ≥ k} p_j. */
  private readonly conditional: Float64Array;
  /** Alias tables: per column, threshold and alias token (its own token is `token`). */
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;
  private readonly scaled: Float64Array;
  private readonly small: Int32Array;
  private readonly large: Int32Array;
  private uniforms = new Float64Array(1024);

  constructor(
    C: number,
    private readonly V: number,
  ) {
    this.token = new Int32Array(C * V);
    this.mass = new Float64Array(C * V);
    this.columns = new Int32Array(C);
    this.sums = new Float64Array(C);
    this.hasAlias = new Uint8Array(C);
    this.hasConditionals = new Uint8Array(C);
    this.conditional = new Float64Array(C * V);
    this.prob = new Float64Array(C * V);
    this.alias = new Int32Array(C * V);
    this.scaled = new Float64Array(V);
    this.small = new Int32Array(V);
    this.large = new Int32Array(V);
  }

  /** Row c from p[off … off+V) (proportional to probabilities), replicate r's (−1: the truth). */
  prepare(p: Float64Array, off: number, c: number, r: number): void {
    const { V, token, mass } = this;
    const at = c * V;
    // Validate, sum, and compact the positive entries to the front. Branch-free where a branch
    // would be a coin flip (a mispredicted branch costs more than the rest of the step): every
    // entry is written, only the count advances.
    let sum = 0;
    let m = 0;
    for (let v = 0; v < V; v++) {
      const x = p[off + v];
      if (!(x >= 0) || x === Infinity) throw new Error(invalidEntry(r, c, v, x));
      sum += x;
      token[at + m] = v;
      mass[at + m] = x;
      m += (x > 0) as unknown as number;
    }
    if (!(sum > 0) || sum === Infinity) throw new Error(invalidSum(r, c, sum));
    this.columns[c] = m;
    this.sums[c] = sum;
    this.hasAlias[c] = 0;
    this.hasConditionals[c] = 0;
  }

  /** Whether n trials of row c are cheaper by conditional binomials than by alias draws. */
  prefersBinomials(c: number, n: number): boolean {
    return n > BINOMIAL_ROW_FACTOR * this.columns[c];
  }

  buildConditionals(c: number): void {
    const { V, mass, conditional } = this;
    const at = c * V;
    // Suffix sums from the end, each summed directly (never total − prefix, which cancels).
    let rest = 0;
    for (let k = this.columns[c] - 1; k >= 0; k--) {
      rest += mass[at + k];
      conditional[at + k] = Math.min(1, mass[at + k] / rest);
    }
    this.hasConditionals[c] = 1;
  }

  buildAlias(c: number): void {
    const { V, mass, prob, token, alias, scaled, small, large } = this;
    const at = c * V;
    const m = this.columns[c];
    // Scale to mean 1 and split into small (< 1) and large, branch-free.
    const f = m / this.sums[c];
    let ns = 0;
    let nl = 0;
    for (let k = 0; k < m; k++) {
      const s = mass[at + k] * f;
      scaled[k] = s;
      small[ns] = k;
      large[nl] = k;
      const isSmall = (s < 1) as unknown as number;
      ns += isSmall;
      nl += 1 - isSmall;
    }
    // Pairing (Vose): the current large column, kept in locals, absorbs small columns until
    // its own mass drops below 1, then joins the small ones.
    let l = nl > 0 ? large[--nl] : -1;
    let lv = l >= 0 ? scaled[l] : 0;
    while (ns > 0 && l >= 0) {
      const s = small[--ns];
      const sv = scaled[s];
      prob[at + s] = sv;
      alias[at + s] = token[at + l];
      lv = lv + sv - 1;
      if (lv < 1) {
        scaled[l] = lv;
        small[ns++] = l;
        l = nl > 0 ? large[--nl] : -1;
        lv = l >= 0 ? scaled[l] : 0;
      }
    }
    // Only rounding leaves columns here, each with scaled mass ≈ 1.
    if (l >= 0) prob[at + l] = 1;
    while (nl > 0) prob[at + large[--nl]] = 1;
    while (ns > 0) prob[at + small[--ns]] = 1;
    this.hasAlias[c] = 1;
  }

  /**
   * Adds Multinomial(n, row c) counts into out[off + token]: by conditional binomials where
   * built and cheaper (or the only tables built), else by alias draws.
   */
  drawCounts(c: number, n: number, rng: Rng, out: Int32Array, off: number): void {
    const { V, token } = this;
    const at = c * V;
    const m = this.columns[c];
    const binomials = this.hasConditionals[c] === 1 && (this.hasAlias[c] === 0 || this.prefersBinomials(c, n));
    if (binomials) {
      const conditional = this.conditional;
      let left = n;
      for (let k = 0; k < m - 1 && left > 0; k++) {
        const x = rng.binomial(left, conditional[at + k]);
        out[off + token[at + k]] += x;
        left -= x;
      }
      if (left > 0) out[off + token[at + m - 1]] += left;
      return;
    }
    if (this.hasAlias[c] !== 1) throw new Error(`row ${c} has no sampling tables`);
    if (this.uniforms.length < n) this.uniforms = new Float64Array(Math.max(n, 2 * this.uniforms.length));
    this.countAliasDraws(at, m, rng.fillUniform(this.uniforms.subarray(0, n)), out, off);
  }

  /** Counts one alias draw per uniform of u from the row whose m columns start at `at`. */
  private countAliasDraws(at: number, m: number, u: Float64Array, out: Int32Array, off: number): void {
    const { prob, alias, token } = this;
    const n = u.length;
    for (let j = 0; j < n; j++) {
      const x = u[j] * m;
      const k = x | 0;
      const col = at + k;
      // The column's token when the fraction falls under its threshold, else the alias: a
      // mask rather than a branch (several times faster when the thresholds are coin flips).
      const a = alias[col];
      const keep = -((x - k < prob[col]) as unknown as number);
      out[off + (a ^ ((a ^ token[col]) & keep))]++;
    }
  }
}
