/**
 * The contraction filter's coordinates on recursive-lm's next-token tables (categorical rows
 * p̂_c over V tokens). The Fisher metric of a categorical at the anchor row p₀ gives
 *
 *   ‖e‖² = Σ_{v: p₀_v > 0} (p̂_v − p₀_v)² / p₀_v     (Pearson's χ², ≈ 2·KL),
 *
 * so P = I after scaling coordinate v by 1/√p₀_v. V reaches 1 000 at the full profile, so the
 * operator is isotropic per context, A(e) = a(‖e‖)·I, with a from the network seeing ‖e‖ only:
 * the p = 1 case of the filter network, trained on error norms of simulated chains. The
 * filtered row (1 − a)p₀ + a·p̂ is a convex combination for 0 ≤ a ≤ 1, so it stays a
 * distribution, keeps the anchor's support and revives tokens the chain lost.
 */
import type { Rng } from '../../harness/rng.ts';

/**
 * Contexts C and vocabulary V of a table of R replicates × C × V whose rows sum to 1: the
 * entries of replicate 0 sum to C (no other row length can make every row sum to 1).
 */
export function tableShape(model: Float64Array, R: number): { C: number; V: number } {
  const perReplicate = model.length / R;
  let total = 0;
  for (let i = 0; i < perReplicate; i++) total += model[i];
  const C = Math.round(total);
  if (!Number.isInteger(perReplicate) || C < 1 || perReplicate % C !== 0 || Math.abs(total - C) > 1e-6 * C) {
    throw new Error(
      `contraction-filter: recursive-lm model is not R × C × V rows summing to 1 (R = ${R}, length ${model.length}, replicate 0 sums to ${total})`,
    );
  }
  return { C, V: perReplicate / C };
}

/** ‖e‖ of each row of `model` (rows × V) relative to the same row of `anchor`, over the anchor's support. */
export function errorNorms(model: Float64Array, anchor: Float64Array, V: number): Float64Array {
  const rows = model.length / V;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let v = i * V, end = v + V; v < end; v++) {
      const p0 = anchor[v];
      if (p0 > 0) s += ((model[v] - p0) * (model[v] - p0)) / p0;
    }
    out[i] = Math.sqrt(s);
  }
  return out;
}

/**
 * Filtered rows p̃ = p₀ + a(p̂ − p₀) with gains `a` clamped to [0, 1] (clamping only lowers |a|,
 * so it keeps any contraction the network achieved).
 */
export function applyGains(model: Float64Array, anchor: Float64Array, V: number, gains: ArrayLike<number>): Float64Array {
  const out = new Float64Array(model.length);
  for (let i = 0; i < gains.length; i++) {
    const a = Math.min(1, Math.max(0, gains[i]));
    for (let v = i * V, end = v + V; v < end; v++) out[v] = anchor[v] + a * (model[v] - anchor[v]);
  }
  return out;
}

/**
 * Training error norms: `chains` replace chains of one categorical row over V tokens, each
 * starting from its own Dirichlet(1, …, 1) draw (a generic row: the method never sees the
 * task's truth), refit by counts of n draws per generation; the norm relative to the start is
 * kept at generations 1…`generations`. Rows: chains × generations, one number each.
 */
export function simulateNorms(rng: Rng, V: number, n: number, chains: number, generations: number): Float64Array {
  const out = new Float64Array(chains * generations);
  const start = new Float64Array(V);
  const current = new Float64Array(V);
  const cumulative = new Float64Array(V);
  const counts = new Float64Array(V);
  const u = new Float64Array(n);
  for (let c = 0; c < chains; c++) {
    let total = 0;
    for (let v = 0; v < V; v++) total += start[v] = -Math.log(1 - rng.uniform());
    for (let v = 0; v < V; v++) start[v] /= total;
    current.set(start);
    for (let t = 0; t < generations; t++) {
      let acc = 0;
      for (let v = 0; v < V; v++) cumulative[v] = acc += current[v];
      counts.fill(0);
      rng.fillUniform(u);
      for (let i = 0; i < n; i++) {
        // First token whose cumulative mass exceeds u·total (binary search).
        const x = u[i] * acc;
        let lo = 0;
        let hi = V - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cumulative[mid] > x) hi = mid;
          else lo = mid + 1;
        }
        counts[lo]++;
      }
      let s = 0;
      for (let v = 0; v < V; v++) {
        current[v] = counts[v] / n;
        s += ((current[v] - start[v]) * (current[v] - start[v])) / start[v];
      }
      out[c * generations + t] = Math.sqrt(s);
    }
  }
  return out;
}
