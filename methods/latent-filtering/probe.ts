/**
 * A softmax (multinomial logistic) probe on fixed features: the classifier latent-space
 * filtering scores synthetic samples with. Written by hand because it is small and must be
 * deterministic float64 code (no TF.js backend differences): features are standardized with the
 * training set's mean and deviation, then full-batch gradient descent with Nesterov momentum
 * minimizes the mean cross-entropy + (l2/2)·‖W‖².
 */

export interface Probe {
  dim: number;
  classes: number;
  mean: Float64Array;
  scale: Float64Array;
  /** classes × (dim + 1): weights then bias, row per class. */
  weights: Float64Array;
}

export interface ProbeOptions {
  iterations: number;
  learningRate: number;
  l2: number;
}

/**
 * Fits the probe on rows `values[i*dim .. (i+1)*dim)` with labels in [0, classes).
 * Deterministic: no randomness, a fixed number of iterations.
 */
export function fitProbe(
  values: ArrayLike<number>,
  labels: ArrayLike<number>,
  n: number,
  dim: number,
  classes: number,
  options: ProbeOptions,
): Probe {
  if (n < 1) throw new Error('fitProbe needs at least one row');
  const mean = new Float64Array(dim);
  const scale = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += values[i * dim + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) scale[j] += (values[i * dim + j] - mean[j]) ** 2 / n;
  // Dead units (a ReLU that never fires) have zero spread: leave them at 0 after centring.
  for (let j = 0; j < dim; j++) scale[j] = scale[j] > 1e-12 ? 1 / Math.sqrt(scale[j]) : 0;
  const x = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) x[i * dim + j] = (values[i * dim + j] - mean[j]) * scale[j];

  const stride = dim + 1;
  const w = new Float64Array(classes * stride);
  const velocity = new Float64Array(w.length);
  const lookahead = new Float64Array(w.length);
  const grad = new Float64Array(w.length);
  const p = new Float64Array(classes);
  const momentum = 0.9;
  for (let iter = 0; iter < options.iterations; iter++) {
    for (let k = 0; k < w.length; k++) lookahead[k] = w[k] + momentum * velocity[k];
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      softmaxRow(lookahead, x, i, dim, classes, p);
      p[labels[i]] -= 1;
      for (let c = 0; c < classes; c++) {
        const g = p[c] / n;
        const row = c * stride;
        for (let j = 0; j < dim; j++) grad[row + j] += g * x[i * dim + j];
        grad[row + dim] += g;
      }
    }
    for (let c = 0; c < classes; c++) for (let j = 0; j < dim; j++) grad[c * stride + j] += options.l2 * lookahead[c * stride + j];
    for (let k = 0; k < w.length; k++) {
      velocity[k] = momentum * velocity[k] - options.learningRate * grad[k];
      w[k] += velocity[k];
    }
  }
  return { dim, classes, mean, scale, weights: w };
}

/**
 * p(label_i | features_i) for each row: the probe's confidence that a sample looks like the
 * class it was generated for.
 */
export function labelConfidence(probe: Probe, values: ArrayLike<number>, labels: ArrayLike<number>, n: number): Float64Array {
  const { dim, classes } = probe;
  const x = new Float64Array(dim);
  const p = new Float64Array(classes);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) x[j] = (values[i * dim + j] - probe.mean[j]) * probe.scale[j];
    softmaxRow(probe.weights, x, 0, dim, classes, p);
    out[i] = p[labels[i]];
  }
  return out;
}

/** Softmax of row i of x under weights w (classes × (dim+1)), written to p. */
function softmaxRow(w: Float64Array, x: Float64Array, i: number, dim: number, classes: number, p: Float64Array): void {
  const stride = dim + 1;
  let max = -Infinity;
  for (let c = 0; c < classes; c++) {
    let z = w[c * stride + dim];
    for (let j = 0; j < dim; j++) z += w[c * stride + j] * x[i * dim + j];
    p[c] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += p[c] = Math.exp(p[c] - max);
  for (let c = 0; c < classes; c++) p[c] /= sum;
}
