import { type OperatorFunction, pipe } from 'rxjs';
import type { Example, ExampleBlock } from '../streams/records/examples.js';
import { miniBatches } from './miniBatches.js';
import type { StepMetrics } from './optimizerStep.js';
import { type TrainStepsOptions, trainSteps } from './trainSteps.js';

/** What one epoch of training needs. */
export interface TrainEpochOptions extends TrainStepsOptions {
  /** The epoch to train, 1 for the first: picks the shuffle and the scheduled learning rate. */
  readonly epoch: number;
  /** Default 64. */
  readonly batchSize?: number;
  readonly shuffle?: boolean;
  readonly shuffleBuffer?: number;
}

/**
 * One epoch of training as a single operator: mini-batches → normalize → forward → loss →
 * backward → optimizer step, emitting each step's metrics. With batch normalization a final batch
 * of a single example is skipped (by `trainSteps`), since its variance is undefined (PyTorch raises
 * on it instead).
 *
 * @example
 * readArrow('train.arrow').pipe(trainEpoch({ network, optimizer, epoch: 1, standardizer })).subscribe(console.log);
 */
export function trainEpoch(options: TrainEpochOptions): OperatorFunction<ExampleBlock | Example, StepMetrics> {
  const { epoch, batchSize = 64, seed = 0 } = options;
  return pipe(
    miniBatches({
      batchSize,
      seed,
      epoch,
      // Batches that may wait before their step (beforeStep) must own their arrays.
      recycle: options.beforeStep === undefined,
      ...(options.shuffle !== undefined ? { shuffle: options.shuffle } : {}),
      ...(options.shuffleBuffer !== undefined ? { shuffleBuffer: options.shuffleBuffer } : {}),
    }),
    trainSteps(options),
  );
}
