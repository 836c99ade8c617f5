/**
 * The sufficient statistics of regression's (weighted) least-squares fits: per replicate the
 * weight sum Σw, the Gram matrix XᵀWX, XᵀWy and yᵀWy of a pool, and the same moments of each
 * chain's held-out test set. Kept apart from task.ts because computing them is where the
 * task's time goes: MomentCache reuses the moments of batches and weighted parts that later
 * generations' pools carry forward, and gramInto / crossMoments are register-blocked kernels.
 * The loop orders here are part of recorded results: do not reorder the sums.
 */
import type { Pool, PoolPart } from '../../harness/types.ts';
import type { Rng } from '../../harness/rng.ts';
import type { RegressionData } from './task.ts';

/** Per replicate: S = Σw, G = XᵀWX (R×d×d, upper triangle only), b = XᵀWy (R×d), yy = yᵀWy. */
export interface Moments {
  S: Float64Array;
  G: Float64Array;
  b: Float64Array;
  yy: Float64Array;
}

/**
 * Sums moments over a pool's parts, caching what later generations reuse, so an accumulating
 * pool costs one pass over each new batch rather than over all of history:
 * - an unweighted part: XᵀY and yᵀy per batch, and Gram matrices per X array (a fixed design
 *   shares one X between all batches of a size), each X's added once, times its count;
 * - a weighted part: added directly the first time its weights array is seen; from its second
 *   appearance on (methods carry earlier parts forward with the same arrays) its moments are
 *   cached, and reused while the weights equal the copy taken then (see addWeighted).
 */
export class MomentCache {
  private readonly gram = new WeakMap<Float64Array, Float64Array>();
  private readonly cross = new WeakMap<RegressionData, { b: Float64Array; yy: Float64Array }>();
  private readonly seen = new WeakSet<Float64Array>();
  private readonly parts = new WeakMap<Float64Array, { data: RegressionData; weights: Float64Array; moments: Moments }>();
  private scratchX = new Float64Array(0);
  private scratchY = new Float64Array(0);

  constructor(
    private readonly R: number,
    private readonly d: number,
  ) {}

  /** The pool's moments; those of a single unweighted part are the cached arrays themselves (read-only). */
  pool(pool: Pool<RegressionData>): Moments {
    if (pool.parts.length === 1 && pool.parts[0].weights === undefined) {
      const { batch } = pool.parts[0];
      const cross = this.crossOf(batch.data, batch.size);
      return { S: new Float64Array(this.R).fill(batch.size), G: this.gramOf(batch.data.X, batch.size), b: cross.b, yy: cross.yy };
    }
    const out = this.zeros();
    const counts = new Map<Float64Array, { n: number; count: number }>();
    const fresh: PoolPart<RegressionData>[] = [];
    for (const { batch, weights } of pool.parts) {
      const n = batch.size;
      if (weights) {
        const cached = this.parts.get(weights);
        if (cached && cached.data === batch.data && equal(cached.weights, weights)) {
          addMoments(out, cached.moments);
        } else if (this.seen.has(weights)) {
          const moments = this.zeros();
          this.addWeighted([{ batch, weights }], moments);
          this.parts.set(weights, { data: batch.data, weights: weights.slice(), moments });
          addMoments(out, moments);
        } else {
          this.seen.add(weights);
          fresh.push({ batch, weights });
        }
        continue;
      }
      const cross = this.crossOf(batch.data, n);
      addInto(out.b, cross.b);
      addInto(out.yy, cross.yy);
      for (let r = 0; r < this.R; r++) out.S[r] += n;
      const entry = counts.get(batch.data.X);
      if (entry) entry.count++;
      else counts.set(batch.data.X, { n, count: 1 });
    }
    for (const [X, { n, count }] of counts) {
      const gram = this.gramOf(X, n);
      if (count === 1) addInto(out.G, gram);
      else for (let k = 0; k < gram.length; k++) out.G[k] += count * gram[k];
    }
    if (fresh.length > 0) this.addWeighted(fresh, out);
    return out;
  }

  private zeros(): Moments {
    const { R, d } = this;
    return { S: new Float64Array(R), G: new Float64Array(R * d * d), b: new Float64Array(R * d), yy: new Float64Array(R) };
  }

  /**
   * Adds weighted parts' moments into `m`, replicate by replicate: the rows of all parts that
   * are not constant within the replicate are gathered first, so the Gram kernel runs once per
   * replicate on all of them (a subsampled pool spreads few rows over many parts).
   */
  private addWeighted(parts: PoolPart<RegressionData>[], m: Moments): void {
    const { R, d } = this;
    const dd = d * d;
    const rows = parts.reduce((sum, p) => sum + p.batch.size, 0);
    if (this.scratchY.length < rows) {
      this.scratchX = new Float64Array(rows * d);
      this.scratchY = new Float64Array(rows);
    }
    const sx = this.scratchX;
    const sy = this.scratchY;
    for (let r = 0; r < R; r++) {
      let count = 0;
      for (const { batch, weights } of parts) {
        const n = batch.size;
        const w = weights!;
        const { X, y } = batch.data;
        const first = w[r * n];
        let constant = true;
        for (let i = r * n + 1, end = r * n + n; i < end && constant; i++) constant = w[i] === first;
        if (constant) {
          if (first === 0) continue;
          const gram = this.gramOf(X, n);
          const cross = this.crossOf(batch.data, n);
          for (let k = r * dd; k < r * dd + dd; k++) m.G[k] += first * gram[k];
          for (let j = r * d; j < r * d + d; j++) m.b[j] += first * cross.b[j];
          m.yy[r] += first * cross.yy[r];
          m.S[r] += first * n;
          continue;
        }
        for (let i = r * n, end = i + n; i < end; i++) {
          const wi = w[i];
          if (wi === 0) continue;
          m.S[r] += wi;
          const root = Math.sqrt(wi);
          for (let j = 0; j < d; j++) sx[count * d + j] = root * X[i * d + j];
          sy[count] = root * y[i];
          count++;
        }
      }
      if (count === 0) continue;
      gramInto(sx, 0, count, d, m.G, r * dd);
      for (let i = 0; i < count; i++) {
        const yi = sy[i];
        m.yy[r] += yi * yi;
        for (let j = 0; j < d; j++) m.b[r * d + j] += yi * sx[i * d + j];
      }
    }
  }

  /** Per-replicate Gram matrices of X (n rows per replicate), computed once per array. */
  private gramOf(X: Float64Array, n: number): Float64Array {
    let G = this.gram.get(X);
    if (!G) {
      const { R, d } = this;
      G = new Float64Array(R * d * d);
      for (let r = 0; r < R; r++) gramInto(X, r * n, n, d, G, r * d * d);
      this.gram.set(X, G);
    }
    return G;
  }

  /** Per-replicate XᵀY and yᵀy of a batch, computed once. */
  private crossOf(data: RegressionData, n: number): { b: Float64Array; yy: Float64Array } {
    let cross = this.cross.get(data);
    if (!cross) this.cross.set(data, (cross = crossMoments(data.X, data.y, n, this.R, this.d)));
    return cross;
  }
}

function addInto(target: Float64Array, source: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] += source[i];
}

function addMoments(target: Moments, source: Moments): void {
  addInto(target.S, source.S);
  addInto(target.G, source.G);
  addInto(target.b, source.b);
  addInto(target.yy, source.yy);
}

function equal(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Adds the upper triangle of Σᵢ xᵢxᵢᵀ over rows start … start+n−1 of X into G at offset g.
 * Register-blocked over four rows × three rows of G: each G entry is loaded and stored once
 * per four samples and each x_k load feeds three rows of G, which is where the time goes
 * (≈0.4–0.6 ns per multiply-add here against ≈1.5–2 ns for the plain row-by-row loop;
 * measured at d = 10, 20, 50).
 */
function gramInto(X: Float64Array, start: number, n: number, d: number, G: Float64Array, g: number): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a0 = (start + i) * d;
    const a1 = a0 + d;
    const a2 = a1 + d;
    const a3 = a2 + d;
    let j = 0;
    for (; j + 3 <= d; j += 3) {
      const u0 = X[a0 + j],
        u1 = X[a1 + j],
        u2 = X[a2 + j],
        u3 = X[a3 + j];
      const v0 = X[a0 + j + 1],
        v1 = X[a1 + j + 1],
        v2 = X[a2 + j + 1],
        v3 = X[a3 + j + 1];
      const w0 = X[a0 + j + 2],
        w1 = X[a1 + j + 2],
        w2 = X[a2 + j + 2],
        w3 = X[a3 + j + 2];
      const ru = g + j * d;
      const rv = ru + d;
      const rw = rv + d;
      G[ru + j] += u0 * u0 + u1 * u1 + u2 * u2 + u3 * u3;
      G[ru + j + 1] += u0 * v0 + u1 * v1 + u2 * v2 + u3 * v3;
      G[rv + j + 1] += v0 * v0 + v1 * v1 + v2 * v2 + v3 * v3;
      for (let k = j + 2; k < d; k++) {
        const p0 = X[a0 + k],
          p1 = X[a1 + k],
          p2 = X[a2 + k],
          p3 = X[a3 + k];
        G[ru + k] += u0 * p0 + u1 * p1 + u2 * p2 + u3 * p3;
        G[rv + k] += v0 * p0 + v1 * p1 + v2 * p2 + v3 * p3;
        G[rw + k] += w0 * p0 + w1 * p1 + w2 * p2 + w3 * p3;
      }
    }
    for (; j < d; j++) {
      const u0 = X[a0 + j],
        u1 = X[a1 + j],
        u2 = X[a2 + j],
        u3 = X[a3 + j];
      const ru = g + j * d;
      for (let k = j; k < d; k++) G[ru + k] += u0 * X[a0 + k] + u1 * X[a1 + k] + u2 * X[a2 + k] + u3 * X[a3 + k];
    }
  }
  for (; i < n; i++) {
    const a = (start + i) * d;
    for (let j = 0; j < d; j++) {
      const xj = X[a + j];
      const row = g + j * d;
      for (let k = j; k < d; k++) G[row + k] += xj * X[a + k];
    }
  }
}

function crossMoments(X: Float64Array, y: Float64Array, n: number, R: number, d: number): { b: Float64Array; yy: Float64Array } {
  const b = new Float64Array(R * d);
  const yy = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    const end = r * n + n;
    const o = r * d;
    let ss = 0;
    let i = r * n;
    // Four rows per pass: one load and store of b_j per four multiply-adds.
    for (; i + 4 <= end; i += 4) {
      const y0 = y[i],
        y1 = y[i + 1],
        y2 = y[i + 2],
        y3 = y[i + 3];
      ss += y0 * y0 + y1 * y1 + y2 * y2 + y3 * y3;
      const a = i * d;
      for (let j = 0; j < d; j++) b[o + j] += y0 * X[a + j] + y1 * X[a + d + j] + y2 * X[a + 2 * d + j] + y3 * X[a + 3 * d + j];
    }
    for (; i < end; i++) {
      const yi = y[i];
      ss += yi * yi;
      for (let j = 0; j < d; j++) b[o + j] += yi * X[i * d + j];
    }
    yy[r] = ss;
  }
  return { b, yy };
}

/**
 * The chain's held-out test set, kept as its moments XᵀX, Xᵀε and εᵀε (ε the test label
 * noise): the test MSE of any ŵ follows exactly from them (see `evaluate` in task.ts), at O(d²) per
 * replicate instead of O(m·d), and without storing R×m×d points.
 */
export function testMoments(R: number, d: number, m: number, scale: Float64Array | undefined, sigma: number, rng: Rng) {
  const G = new Float64Array(R * d * d);
  const b = new Float64Array(R * d);
  const yy = new Float64Array(R);
  const X = new Float64Array(m * d);
  const eps = new Float64Array(m);
  for (let r = 0; r < R; r++) {
    rng.fillNormal(X);
    if (scale) for (let i = 0; i < X.length; i += d) for (let j = 0; j < d; j++) X[i + j] *= scale[j];
    rng.fillNormal(eps, 0, sigma);
    gramInto(X, 0, m, d, G, r * d * d);
    const c = crossMoments(X, eps, m, 1, d);
    b.set(c.b, r * d);
    yy[r] = c.yy[0];
  }
  return { G, b, yy };
}
