import type { FloatArray, Matrix } from './matrix.js';

/**
 * Mean squared error over every element of a rows × targets prediction, J = Σ(p − t)² / (rows ·
 * targets), PyTorch's `MSELoss()`; writes ∂J/∂p = 2(p − t) / (rows · targets) to `dPredictions`
 * when given. For regression heads, whose outputs are the (standardized) targets themselves.
 *
 * @example
 * meanSquaredError({ rows: 2, cols: 1, data: Float32Array.of(1, 3) }, Float32Array.of(0, 3)) // 0.5
 */
export function meanSquaredError(predictions: Matrix, targets: ArrayLike<number>, dPredictions?: FloatArray): number {
  const n = predictions.rows * predictions.cols;
  const p = predictions.data;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = p[i]! - targets[i]!;
    total += d * d;
  }
  if (dPredictions) {
    const scale = 2 / n;
    for (let i = 0; i < n; i++) dPredictions[i] = scale * (p[i]! - targets[i]!);
  }
  return total / n;
}

/**
 * Huber loss with threshold δ, mean over every element: ½d² where |d| < δ, else δ(|d| − ½δ), with
 * d = p − t (PyTorch's `HuberLoss(delta=δ)`); quadratic near the target, linear in the tails, so an
 * outlier pulls with a force of at most δ. ∂J/∂p = clamp(d, −δ, δ) / (rows · targets).
 *
 * @example
 * huberLoss({ rows: 1, cols: 2, data: Float32Array.of(0.5, 4) }, Float32Array.of(0, 0), 1) // (0.125 + 3.5) / 2
 */
export function huberLoss(predictions: Matrix, targets: ArrayLike<number>, delta: number, dPredictions?: FloatArray): number {
  if (!(delta > 0)) throw new RangeError(`huberLoss: delta must be positive, got ${delta}`);
  const n = predictions.rows * predictions.cols;
  const p = predictions.data;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = p[i]! - targets[i]!;
    const a = Math.abs(d);
    total += a < delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
  }
  if (dPredictions) {
    for (let i = 0; i < n; i++) {
      const d = p[i]! - targets[i]!;
      dPredictions[i] = Math.max(-delta, Math.min(d, delta)) / n;
    }
  }
  return total / n;
}

/**
 * Sigmoid cross-entropy on logits against 0/1 targets, each column its own yes/no question
 * (multi-label), mean over every element: ℓ = max(z, 0) − z·y + log(1 + e^−|z|), which neither
 * overflows nor loses precision for large |z| (PyTorch's `BCEWithLogitsLoss()`). Writes σ(z) to
 * `probabilities` and ∂J/∂z = (σ(z) − y) / (rows · labels) to `dLogits` when given.
 *
 * @example
 * const probabilities = new Float32Array(2);
 * sigmoidCrossEntropy({ rows: 1, cols: 2, data: Float32Array.of(0, 2) }, Float32Array.of(1, 0), probabilities)
 */
export function sigmoidCrossEntropy(logits: Matrix, targets: ArrayLike<number>, probabilities: FloatArray, dLogits?: FloatArray): number {
  const n = logits.rows * logits.cols;
  const z = logits.data;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = z[i]!;
    const e = Math.exp(-Math.abs(v));
    total += Math.max(v, 0) - v * targets[i]! + Math.log1p(e);
    probabilities[i] = v >= 0 ? 1 / (1 + e) : e / (1 + e);
  }
  if (dLogits) for (let i = 0; i < n; i++) dLogits[i] = (probabilities[i]! - targets[i]!) / n;
  return total / n;
}
