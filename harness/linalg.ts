/**
 * Dense Cholesky factorization and solves on row-major Float64Arrays, shared by the tasks and
 * methods that need them (regression's ridge solves, dcca's linear probe, contraction-filter's
 * whitening). Hand-written rather than ml-matrix because the callers factor many small
 * matrices stored at offsets inside one buffer (one per replicate), in place and without
 * allocating; ml-matrix would copy each into a Matrix object. The arithmetic order (sums over
 * k ascending) is fixed: results are part of recorded numbers.
 */

/**
 * Writes the lower Cholesky factor L (L Lᵀ = A) of the symmetric d×d matrix at a[at…] to
 * out[outAt…], reading only A's lower triangle and writing only L's (so `out` may be `a`
 * itself, at the same offset, for an in-place factorization). Returns false as soon as a
 * pivot is not above `minPivot` (A not positive definite, or too close to singular for the
 * caller); `out` is then partly written.
 */
export function choleskyInto(a: Float64Array, at: number, d: number, out: Float64Array, outAt: number, minPivot = 0): boolean {
  for (let i = 0; i < d; i++) {
    const ai = at + i * d;
    const li = outAt + i * d;
    for (let j = 0; j <= i; j++) {
      const lj = outAt + j * d;
      let s = a[ai + j];
      for (let k = 0; k < j; k++) s -= out[li + k] * out[lj + k];
      if (i === j) {
        if (!(s > minPivot)) return false;
        out[li + i] = Math.sqrt(s);
      } else {
        out[li + j] = s / out[lj + j];
      }
    }
  }
  return true;
}

/**
 * Solves L Lᵀ x = b for the factor L at l[at…] (d×d, lower triangle as choleskyInto writes
 * it): forward substitution L y = b, then back substitution Lᵀ x = y, into `x` (which may be
 * `b`).
 */
export function choleskySolveInto(l: Float64Array, at: number, d: number, b: ArrayLike<number>, x: Float64Array): void {
  for (let i = 0; i < d; i++) {
    const li = at + i * d;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[li + k] * x[k];
    x[i] = s / l[li + i];
  }
  for (let i = d - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < d; k++) s -= l[at + k * d + i] * x[k];
    x[i] = s / l[at + i * d + i];
  }
}
