import { concat, concatMap, defer, finalize, map, type Observable, of, range, tap } from 'rxjs';
import { learningRateFor } from '../model/schedule.js';
import type { Example, ExampleBlock } from '../streams/records/examples.js';
import { settled } from './answer.js';
import { type Evaluation, evaluate } from './evaluate.js';
import type { StepMetrics } from './optimizerStep.js';
import { type TrainEpochOptions, trainEpoch } from './trainEpoch.js';

/** What a finished epoch reports. */
export interface EpochMetrics {
  /** Epochs completed: 1 after the first. */
  readonly epoch: number;
  /** Mean loss over the epoch's mini-batches, as they were trained (train-mode batch norm). */
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  /** On the `validation` data after the epoch, in inference mode; absent without it. */
  readonly validation?: Evaluation;
  readonly learningRate: number;
  readonly examples: number;
  readonly steps: number;
  /** Wall time of the epoch, validation included. */
  readonly seconds: number;
}

/** One event of a `fit` run: a training step or the end of an epoch. */
export type FitEvent = ({ readonly type: 'batch' } & StepMetrics) | ({ readonly type: 'epoch' } & EpochMetrics);

/** Options of `fit`. */
export interface FitOptions extends Omit<TrainEpochOptions, 'epoch' | 'workspace'> {
  /** Train until this many epochs are complete. */
  readonly epochs: number;
  /** Epochs already completed (when resuming a saved run): training starts with the next one. Default 0. */
  readonly initialEpoch?: number;
  /** Evaluated after each epoch; subscribed once per epoch. */
  readonly validation?: Observable<ExampleBlock | Example> | undefined;
  /**
   * Called at the end of each epoch, after validation and before the epoch's event is emitted and
   * the next epoch starts; a returned promise is awaited and a returned Observable waited for
   * (its first value or its completion): save a checkpoint, ask a pruner. A rejection or error ends
   * the run with that error. Unsubscribing while a promise runs does not cancel it (an Observable
   * is unsubscribed). A hook that returns nothing or an Observable keeps the run on its schedulers:
   * under a `TestScheduler`, with in-memory sources (`cold(...)`), a whole run then completes in
   * virtual time; a test replaces a hook that saves files with one that records what it was given
   * (`memoryCheckpoints` in `rxgrad/testing`).
   */
  readonly onEpochEnd?: ((metrics: EpochMetrics) => void | PromiseLike<void> | Observable<unknown>) | undefined;
}

/**
 * The one epoch loop of rxgrad: trains over several epochs, re-subscribing to `examples$` for each
 * (so a cold source such as `readArrow` replays the file, reshuffled), and emits a `batch` event
 * per step and an `epoch` event per epoch. Epochs are numbered as people read them: the first is
 * epoch 1, and an epoch event's `epoch` is the number of epochs completed. Everything else composes
 * around it: checkpoints and pruning in `onEpochEnd`, pausing in `beforeStep`, a changing learning
 * rate as a `schedule` function, stopping by unsubscribing (`takeUntil`, `takeWhile`). A hot or live source (a Subject fed by a socket) trains as data arrives, cut into
 * mini-batches by count: give it one epoch and `shuffle: false` (or a small `shuffleBuffer`), since
 * shuffled examples wait in the shuffle window until it fills.
 *
 * @example
 * fit(readArrow('train.arrow'), { network, optimizer, standardizer, epochs: 20, validation: readArrow('test.arrow') })
 *   .pipe(filter((e) => e.type === 'epoch'))
 *   .subscribe((e) => console.log(e.epoch, e.trainLoss, e.validation?.accuracy));
 */
export function fit(examples$: Observable<ExampleBlock | Example>, options: FitOptions): Observable<FitEvent> {
  const { epochs, initialEpoch = 0, validation, onEpochEnd, network, optimizer } = options;
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`fit: epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > epochs) {
    throw new RangeError(`fit: initialEpoch must be an integer in [0, ${epochs}], got ${initialEpoch}`);
  }
  return defer(() => {
    const workspace = network.acquireWorkspace();
    return range(initialEpoch + 1, epochs - initialEpoch).pipe(
      concatMap((epoch) => {
        const started = performance.now();
        let totalLoss = 0;
        let correct = 0;
        let examples = 0;
        let steps = 0;
        const steps$ = examples$.pipe(
          trainEpoch({ ...options, epoch, workspace }),
          tap((m) => {
            totalLoss += m.loss * m.size;
            correct += m.accuracy * m.size;
            examples += m.size;
            steps++;
          }),
          map((m): FitEvent => ({ type: 'batch', ...m })),
        );
        // No promise between epochs unless the hook returns one: under a TestScheduler, with
        // in-memory sources, a whole run completes in virtual time.
        const evaluation$: Observable<Evaluation | undefined> = validation
          ? validation.pipe(evaluate(network, { standardizer: options.standardizer }))
          : of(undefined);
        const end$ = evaluation$.pipe(
          concatMap((evaluation) => {
            const metrics: EpochMetrics = {
              epoch,
              trainLoss: totalLoss / examples,
              trainAccuracy: correct / examples,
              ...(evaluation ? { validation: evaluation } : {}),
              learningRate: learningRateFor(
                optimizer.config.learningRate,
                options.schedule ?? { type: 'constant' },
                epoch - 1,
                optimizer.steps,
              ),
              examples,
              steps,
              seconds: (performance.now() - started) / 1000,
            };
            const event: FitEvent = { type: 'epoch', ...metrics };
            const hook = onEpochEnd?.(metrics);
            return settled(hook).pipe(map(() => event));
          }),
        );
        return concat(steps$, end$);
      }),
      finalize(() => network.releaseWorkspace(workspace)),
    );
  });
}
