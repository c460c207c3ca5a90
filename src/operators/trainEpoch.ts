import { concatMap, defer, finalize, from, map, of, type OperatorFunction, pipe } from 'rxjs';
import type { Workspace } from '../model/layer.js';
import type { Network } from '../model/network.js';
import type { Optimizer } from '../model/optimizers/optimizer.js';
import type { LearningRate } from '../model/schedule.js';
import type { Standardizer } from '../model/standardizer.js';
import type { Example, ExampleBlock } from '../streams/examples.js';
import { type MiniBatch, miniBatches } from '../streams/miniBatches.js';
import { backward } from './backward.js';
import { forward } from './forward.js';
import { loss } from './loss.js';
import { normalize } from './normalize.js';
import { optimizerStep, type StepMetrics } from './optimizerStep.js';

/** What one epoch of training needs. */
export interface TrainEpochOptions {
  readonly network: Network;
  readonly optimizer: Optimizer;
  /** Zero-based epoch: picks the shuffle and the scheduled learning rate. */
  readonly epoch: number;
  /** Default 64. */
  readonly batchSize?: number;
  /** Default 0. */
  readonly seed?: number;
  readonly schedule?: LearningRate;
  /** Standardize inputs with these statistics; omit to feed them as they are. */
  readonly standardizer?: Standardizer | undefined;
  readonly shuffle?: boolean;
  readonly shuffleBuffer?: number;
  /** Reuse one workspace across epochs. */
  readonly workspace?: Workspace;
  /**
   * Awaited (when it returns a promise) before each step: holds training between mini-batches, e.g.
   * to pause a run. Batches are then not recycled, since they may wait.
   */
  readonly beforeStep?: (() => Promise<void> | undefined) | undefined;
}

/**
 * One epoch of training as a single operator: mini-batches → normalize → forward → loss →
 * backward → optimizer step, emitting each step's metrics. With batch normalization a final batch
 * of a single example is dropped, since its variance is undefined (PyTorch raises on it instead).
 *
 * @example
 * readArrow('train.arrow').pipe(trainEpoch({ network, optimizer, epoch: 0, standardizer })).subscribe(console.log);
 */
export function trainEpoch(options: TrainEpochOptions): OperatorFunction<ExampleBlock | Example, StepMetrics> {
  const { network, optimizer, epoch, batchSize = 64, seed = 0, schedule, standardizer } = options;
  const batches = miniBatches({
    batchSize,
    seed,
    epoch,
    recycle: options.beforeStep === undefined,
    minLastBatch: network.usesBatchStatistics ? 2 : 1,
    ...(options.shuffle !== undefined ? { shuffle: options.shuffle } : {}),
    ...(options.shuffleBuffer !== undefined ? { shuffleBuffer: options.shuffleBuffer } : {}),
  });
  const { beforeStep } = options;
  const gated: OperatorFunction<MiniBatch, MiniBatch> = beforeStep
    ? concatMap((batch) => {
        const wait = beforeStep();
        return wait ? from(wait).pipe(map(() => batch)) : of(batch);
      })
    : pipe();
  const recycle = options.beforeStep === undefined;
  return (source) =>
    defer(() => {
      // One workspace for the whole epoch: normalize writes the batch into it (the model's memory)
      // and forward and backward keep their buffers there.
      const workspace = options.workspace ?? network.acquireWorkspace();
      const normalized: OperatorFunction<MiniBatch, MiniBatch> = standardizer ? normalize(standardizer, { recycle, workspace }) : pipe();
      return source.pipe(
        batches,
        gated,
        normalized,
        forward(network, { mode: 'train', workspace }),
        loss(),
        backward(),
        optimizerStep(optimizer, schedule),
        finalize(() => options.workspace ?? network.releaseWorkspace(workspace)),
      );
    });
}
