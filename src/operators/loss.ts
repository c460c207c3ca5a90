import { map, type OperatorFunction } from 'rxjs';
import type { Matrix } from '../model/matrix.js';
import type { ForwardPass } from './forward.js';

/** A forward pass scored against its labels. Matrices live in the run's workspace. */
export interface ScoredPass extends ForwardPass {
  /** Mean softmax cross-entropy over the batch (weighted, when `loss` was given class weights). */
  readonly loss: number;
  /** Rows whose argmax prediction equals the label. */
  readonly correct: number;
  readonly probabilities: Matrix;
  /** ∂J/∂logits = (ŷ − y)/m, in train mode only. */
  readonly dLogits: Matrix | undefined;
}

/** Options of `loss`. */
export interface LossOptions {
  /**
   * A weight per class: the loss becomes the weighted mean Σ w[y]·ℓ / Σ w[y] and its gradient
   * follows (PyTorch's `CrossEntropyLoss(weight=…)`); see `balancedClassWeights`. Default: none.
   */
  readonly classWeights?: ArrayLike<number> | undefined;
}

/**
 * Applies softmax and cross-entropy to each forward pass: the mean loss, the number of correct
 * hardmax predictions, the probabilities and (in train mode) the gradient with respect to the logits.
 *
 * @example
 * batches$.pipe(forward(network), loss(), map((s) => s.loss));
 */
export function loss(options: LossOptions = {}): OperatorFunction<ForwardPass, ScoredPass> {
  const { classWeights } = options;
  return map((pass): ScoredPass => {
    const { rows, cols } = pass.logits;
    const ws = pass.context.workspace;
    const probabilities = ws.buffer(loss, 'probabilities', rows * cols);
    const dLogits = pass.context.mode === 'train' ? ws.buffer(loss, 'dLogits', rows * cols) : undefined;
    const result = pass.network.backend.softmaxCrossEntropy(pass.logits, pass.batch.labels, probabilities, dLogits, classWeights);
    return {
      ...pass,
      loss: result.loss,
      correct: result.correct,
      probabilities: { rows, cols, data: probabilities },
      dLogits: dLogits ? { rows, cols, data: dLogits } : undefined,
    };
  });
}
