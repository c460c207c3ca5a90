import { concatMap, defer, filter, finalize, map, type ObservableInput, type OperatorFunction, of, pipe } from 'rxjs';
import type { Workspace } from '../model/layer.js';
import type { Network } from '../model/network.js';
import type { Optimizer } from '../model/optimizers/optimizer.js';
import type { LearningRate } from '../model/schedule.js';
import type { Standardizer } from '../model/standardizer.js';
import { settled } from './answer.js';
import { backward } from './backward.js';
import { forward } from './forward.js';
import { loss } from './loss.js';
import type { MiniBatch } from './miniBatches.js';
import { normalize } from './normalize.js';
import { optimizerStep, type StepMetrics } from './optimizerStep.js';

/** What training on a stream of mini-batches needs. */
export interface TrainStepsOptions {
  readonly network: Network;
  readonly optimizer: Optimizer;
  readonly schedule?: LearningRate;
  /** Standardize inputs with these statistics; omit to feed them as they are. */
  readonly standardizer?: Standardizer | undefined;
  /** A weight per class for the loss and its gradient (see `loss`); default none. */
  readonly classWeights?: ArrayLike<number> | undefined;
  /** Seeds the dropout masks (with each batch's epoch and index) and, in `trainEpoch`, the shuffle. Default 0. */
  readonly seed?: number;
  /** The workspace to run in; default: one from the network's pool for the subscription. */
  readonly workspace?: Workspace;
  /**
   * Called before each step: when it returns a promise or an Observable, the step waits for it to
   * resolve (or emit, or complete): holds training between mini-batches, e.g. to pause a run. An
   * Observable keeps a run on its scheduler, so a pause can be marble-tested in virtual time.
   */
  readonly beforeStep?: (() => ObservableInput<unknown> | undefined) | undefined;
}

/**
 * Training on mini-batches: normalize → forward → loss → backward → optimizer step, one step per
 * batch, emitting each step's metrics. With batch normalization a batch of a single example is
 * skipped, since its variance is undefined (PyTorch raises on it instead).
 *
 * @example
 * batches$.pipe(trainSteps({ network, optimizer, standardizer })).subscribe(console.log);
 */
export function trainSteps(options: TrainStepsOptions): OperatorFunction<MiniBatch, StepMetrics> {
  const { network, optimizer, schedule, standardizer, beforeStep, seed = 0, classWeights } = options;
  const gated: OperatorFunction<MiniBatch, MiniBatch> = beforeStep
    ? concatMap((batch) => {
        const wait = beforeStep();
        return wait ? settled(wait).pipe(map(() => batch)) : of(batch);
      })
    : pipe();
  const trainable: OperatorFunction<MiniBatch, MiniBatch> = network.usesBatchStatistics ? filter((batch) => batch.size >= 2) : pipe();
  return (source) =>
    defer(() => {
      // One workspace for the whole run: normalize writes each batch into it (the model's memory)
      // and forward and backward keep their buffers there.
      const workspace = options.workspace ?? network.acquireWorkspace();
      const normalized: OperatorFunction<MiniBatch, MiniBatch> = standardizer
        ? normalize(standardizer, { recycle: beforeStep === undefined, workspace })
        : pipe();
      return source.pipe(
        trainable,
        gated,
        normalized,
        forward(network, { mode: 'train', workspace, seed }),
        loss({ classWeights }),
        backward(),
        optimizerStep(optimizer, schedule),
        finalize(() => options.workspace ?? network.releaseWorkspace(workspace)),
      );
    });
}
