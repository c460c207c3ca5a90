import { map, type OperatorFunction } from 'rxjs';
import { DivergedError } from '../errors.js';
import type { Optimizer } from '../model/optimizers/optimizer.js';
import { type LearningRate, learningRateFor } from '../model/schedule.js';
import type { ScoredPass } from './loss.js';

/** What one training step reports. */
export interface StepMetrics {
  /** The epoch being trained, 1 for the first. */
  readonly epoch: number;
  /** Index of the batch within its epoch. */
  readonly batch: number;
  /** The optimizer's step count after this step (1 for the first step ever). */
  readonly step: number;
  readonly size: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly learningRate: number;
}

/**
 * How far above the loss of guessing uniformly (ln of the class count) a batch's loss may go
 * before the run counts as diverged, even while it stays finite: a loss of 100·ln 10 ≈ 230 on ten
 * classes means the model gives the right class a probability near e^−230.
 */
export const DIVERGENCE_FACTOR = 100;

/**
 * Applies one optimizer update per backpropagated pass, with the learning rate of the batch's epoch
 * under `schedule` (a `Schedule`, or a function of epoch and step read before every step), and
 * emits the step's metrics. A loss that is not finite, or above `DIVERGENCE_FACTOR` times that of
 * guessing uniformly, errors with `DivergedError` before the weights are touched.
 *
 * @example
 * batches$.pipe(forward(network), loss(), backward(), optimizerStep(adam, { type: 'inverse', decay: 0.1 }));
 */
export function optimizerStep(
  optimizer: Optimizer,
  schedule: LearningRate = { type: 'constant' },
): OperatorFunction<ScoredPass, StepMetrics> {
  return map(({ batch, loss, correct, network }): StepMetrics => {
    const bound = DIVERGENCE_FACTOR * Math.log(Math.max(network.classes, Math.E));
    if (!Number.isFinite(loss) || loss > bound) throw new DivergedError(loss, batch.epoch, batch.index, bound);
    const learningRate = learningRateFor(optimizer.config.learningRate, schedule, batch.epoch - 1, optimizer.steps);
    optimizer.step(network.params, learningRate);
    return {
      epoch: batch.epoch,
      batch: batch.index,
      step: optimizer.steps,
      size: batch.size,
      loss,
      accuracy: correct / batch.size,
      learningRate,
    };
  });
}
