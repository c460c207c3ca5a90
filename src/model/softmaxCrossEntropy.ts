import type { LossResult } from './backend.js';
import type { FloatArray, Matrix } from './matrix.js';

let scratch = new Float64Array(16);
const exponentials = (cols: number): Float64Array => (scratch.length >= cols ? scratch : (scratch = new Float64Array(cols)));

/**
 * Softmax over each row of `logits` followed by the cross-entropy against integer labels, computed
 * stably: the row maximum is subtracted before exponentiating and the loss uses log-sum-exp, so
 * logits of 1e4 neither overflow nor underflow. Writes the probabilities ŷ to `probabilities` and,
 * when given, ∂J/∂z = (ŷ − y)/m to `dLogits` (the per-example gradient ŷ − y, divided by the batch
 * size m because J is the batch mean). With two classes this is logistic regression on z₁ − z₀.
 *
 * With `classWeights`, J is the weighted mean Σᵢ w[yᵢ]·ℓᵢ / Σᵢ w[yᵢ] and ∂J/∂zᵢ = w[yᵢ]·(ŷᵢ − yᵢ) / Σ w:
 * PyTorch's `CrossEntropyLoss(weight=w)`. A batch whose weights sum to 0 has loss and gradient 0.
 *
 * @example
 * const z = Float32Array.of(2, 1, 0.1, 0, 0, 3);
 * const probs = new Float32Array(2 * 3), grad = new Float32Array(2 * 3);
 * const { loss } = softmaxCrossEntropy({ rows: 2, cols: 3, data: z }, Int32Array.of(0, 2), probs, grad);
 */
export function softmaxCrossEntropy(
  logits: Matrix,
  labels: ArrayLike<number>,
  probabilities: FloatArray,
  dLogits?: FloatArray,
  classWeights?: ArrayLike<number>,
): LossResult {
  const { rows, cols, data: z } = logits;
  const exps = exponentials(cols);
  let total = 0;
  let weights = 0;
  let correct = 0;
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    const label = labels[i]!;
    if (!(label >= 0 && label < cols && Number.isInteger(label))) {
      throw new RangeError(`softmaxCrossEntropy: label ${label} at row ${i} is not a class index in [0, ${cols})`);
    }
    let max = -Infinity;
    let argmax = 0;
    for (let j = 0; j < cols; j++) {
      const v = z[row + j]!;
      if (v > max || Number.isNaN(v)) {
        max = v;
        argmax = j;
        if (Number.isNaN(v)) break;
      }
    }
    // One exponential per logit: ŷ = t/Σt with t = e^(z − max), kept in float64 until stored.
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += exps[j] = Math.exp(z[row + j]! - max);
    const inverseSum = 1 / sum;
    for (let j = 0; j < cols; j++) probabilities[row + j] = exps[j]! * inverseSum;
    const weight = classWeights ? classWeights[label]! : 1;
    total += weight * (Math.log(sum) - (z[row + label]! - max));
    weights += weight;
    if (argmax === label) correct++;
  }
  const inv = weights > 0 ? 1 / weights : 0;
  if (dLogits) {
    for (let i = 0; i < rows; i++) {
      const row = i * cols;
      const scale = classWeights ? classWeights[labels[i]!]! * inv : inv;
      for (let j = 0; j < cols; j++) dLogits[row + j] = probabilities[row + j]! * scale;
      dLogits[row + labels[i]!]! -= scale;
    }
  }
  return { loss: total * inv, correct };
}

/**
 * The softmax of one vector: t = e^(z − max z), ŷ = t / Σt.
 *
 * @example
 * softmax([5, 2, -1, 3]); // ≈ [0.842, 0.042, 0.002, 0.114]
 */
export function softmax(z: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let j = 0; j < z.length; j++) max = Math.max(max, z[j]!);
  const out = new Float64Array(z.length);
  let sum = 0;
  for (let j = 0; j < z.length; j++) sum += out[j] = Math.exp(z[j]! - max);
  for (let j = 0; j < z.length; j++) out[j]! /= sum;
  return out;
}

/**
 * Hardmax predictions: the index of each row's largest value.
 *
 * @example
 * argmaxRows({ rows: 1, cols: 3, data: Float32Array.of(0.1, 0.7, 0.2) }, new Int32Array(1)); // [1]
 */
export function argmaxRows(m: Matrix, out: Int32Array): Int32Array {
  for (let i = 0; i < m.rows; i++) {
    const row = i * m.cols;
    let best = 0;
    for (let j = 1; j < m.cols; j++) if (m.data[row + j]! > m.data[row + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/**
 * Row-wise softmax of a logits matrix into `out`, stably (row maximum subtracted first).
 *
 * @example
 * const probabilities = new Float32Array(2 * 3);
 * softmaxRows({ rows: 2, cols: 3, data: Float32Array.of(2, 1, 0.1, 0, 0, 3) }, probabilities);
 */
export function softmaxRows(logits: Matrix, out: FloatArray): void {
  const { rows, cols, data: z } = logits;
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, z[row + j]!);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += out[row + j] = Math.exp(z[row + j]! - max);
    for (let j = 0; j < cols; j++) out[row + j]! /= sum;
  }
}
