import { concat, defer, EMPTY, from, ignoreElements, type Observable, of, takeWhile, tap } from 'rxjs';
import { type DataColumns, saveModel } from '../files/serialization.js';
import type { ClassWeightSetting } from '../model/classWeights.js';
import type { LearningRate, Schedule } from '../model/schedule.js';
import { fromAnswer } from '../operators/answer.js';
import { EpochMonitor, type Monitor } from '../operators/earlyStopping.js';
import { type EpochMetrics, type FitEvent, type FitOptions, fit } from '../operators/fit.js';
import type { Example, ExampleBlock } from '../streams/records/examples.js';
import { type RunHistory, RunHistoryWriter } from './runHistory.js';

/** Options of `trainRun`: `fit`'s, and what a run keeps of itself. */
export interface TrainRunOptions extends Omit<FitOptions, 'onEpochEnd' | 'schedule' | 'seed' | 'batchSize'> {
  readonly seed: number;
  readonly batchSize: number;
  /**
   * The learning-rate schedule; kept with the model so that a resume continues it. Default
   * constant. A function of epoch and step (babysit's rate, which a control may change) cannot be
   * saved in the model: it needs a `checkpoint` hook.
   */
  readonly schedule?: LearningRate;
  /**
   * A model directory replaced after every epoch (with the optimizer's state and the run's
   * progress, so that it resumes), and its `history.json`. Without it nothing is written.
   */
  readonly save?: string | undefined;
  /**
   * How `classWeights` were asked for, kept with the model's progress so that a resume weighs the
   * classes alike.
   */
  readonly classWeight?: ClassWeightSetting | undefined;
  /** The data columns the model reads, kept with it (`predict` reads the same). */
  readonly columns?: DataColumns | undefined;
  /** Replace the saved model only when the validation `monitor` improves: the best epoch is kept. Needs `save` and `validation`. */
  readonly keepBest?: boolean | undefined;
  /** What "better" means for `keepBest` and `earlyStopping`: validation loss (default) or accuracy. */
  readonly monitor?: Monitor | undefined;
  /** Stop after this many epochs without a better validation `monitor`. Needs `validation`. */
  readonly earlyStopping?: number | undefined;
  /** The history's fixed part (what kind of run, its configuration, network and data), written beside the model when saving. */
  readonly history?: Pick<RunHistory, 'kind' | 'config' | 'network' | 'data' | 'classNames'> | undefined;
  /** What `validation` is, in the history: a split of the training data, or a test set. Default 'validation'. */
  readonly judged?: 'validation' | 'test';
  /**
   * Asked after every epoch, before it is kept: false ends the run after this epoch (a pruner's
   * say, in a study's trial). Default: always go on.
   */
  readonly continueAfter?: ((metrics: EpochMetrics) => boolean | Promise<boolean>) | undefined;
  /**
   * Keeps each epoch somewhere of the caller's instead of replacing the `save` directory (a trial
   * keeps checkpoints with its learning curve): given the run as it is after the epoch, and
   * whether it goes on.
   */
  readonly checkpoint?: ((run: RunCheckpoint) => undefined | PromiseLike<unknown> | Observable<unknown>) | undefined;
}

/** A run after one epoch, as `trainRun` hands it to a `checkpoint` hook. */
export interface RunCheckpoint extends Pick<TrainRunOptions, 'network' | 'optimizer' | 'standardizer'> {
  readonly metrics: EpochMetrics;
  readonly progress: {
    readonly epochsCompleted: number;
    readonly seed: number;
    readonly batchSize: number;
    readonly schedule: LearningRate;
    readonly classWeight?: ClassWeightSetting;
  };
  readonly continues: boolean;
}

/** The last event of a `trainRun`: how it ended. */
export interface TrainRunEnd {
  readonly type: 'end';
  /** The last epoch trained (undefined when none was). */
  readonly last: EpochMetrics | undefined;
  /** The best epoch by the monitor (the last, without validation). */
  readonly best: EpochMetrics | undefined;
  readonly stoppedEarly: boolean;
  /** The run's history, when it was saved: add to it (a final test evaluation) and save it again. */
  readonly history: RunHistoryWriter | undefined;
}

/** What a `trainRun` emits: `fit`'s events, then one `end`. */
export type TrainRunEvent = FitEvent | TrainRunEnd;

/**
 * One training run as a library object: `fit`, plus what a run does about itself: the model
 * saved after every epoch (or only when it improves, with `keepBest`) with its history, early
 * stopping on the validation monitor, and a resume that continues a saved run (give the saved
 * network, optimizer and `initialEpoch`; the history goes on from there). `rxgrad train` is this
 * and a progress bar. Cold: each subscription is a run.
 *
 * @example
 * trainRun(readArrow('train.arrow'), { network, optimizer, epochs: 20, seed: 1, batchSize: 64, validation: readArrow('validation.arrow'), save: 'models/a', keepBest: true, earlyStopping: 3 })
 *   .subscribe((e) => e.type === 'end' && console.log(`best epoch ${e.best?.epoch}`));
 */
export function trainRun(train$: Observable<ExampleBlock | Example>, options: TrainRunOptions): Observable<TrainRunEvent> {
  if ((options.keepBest || options.earlyStopping !== undefined) && !options.validation) {
    throw new RangeError(`trainRun: ${options.keepBest ? 'keepBest' : 'earlyStopping'} needs a validation source`);
  }
  if (options.keepBest && !options.save) throw new RangeError('trainRun: keepBest keeps the best epoch in the saved model: give save');
  const schedule = options.schedule ?? { type: 'constant' };
  if (typeof schedule === 'function' && options.save && !options.checkpoint)
    throw new RangeError(
      'trainRun: a learning-rate function cannot be saved with the model: give a Schedule, or keep epochs with checkpoint',
    );
  const { save, keepBest, earlyStopping, seed, batchSize, network, optimizer, standardizer, classWeight } = options;
  return defer(() => {
    const monitor = new EpochMonitor(options.monitor ?? 'loss');
    let history: RunHistoryWriter | undefined;
    let last: EpochMetrics | undefined;
    let best: EpochMetrics | undefined;
    let goOn = true;
    // Each step is an Observable that stays synchronous when its hook is: with in-memory hooks a
    // run completes in virtual time (babysitLoop's marble tests), as fit's own hooks do.
    const keep = (metrics: EpochMetrics, improved: boolean): Observable<unknown> => {
      const progress = { epochsCompleted: metrics.epoch, seed, batchSize, schedule, ...(classWeight ? { classWeight } : {}) };
      if (options.checkpoint)
        return fromAnswer(options.checkpoint({ network, optimizer, standardizer, metrics, progress, continues: goOn }));
      if (!save || (keepBest && !improved)) return EMPTY;
      const notes = keepBest ? { notes: { bestEpoch: metrics.epoch, monitor: `validation ${monitor.monitor}` } } : {};
      return from(
        saveModel(save, {
          network,
          standardizer,
          columns: options.columns,
          optimizer,
          progress: { ...progress, schedule: schedule as Schedule },
          ...notes,
        }),
      );
    };
    const onEpochEnd = (metrics: EpochMetrics): Observable<unknown> => {
      const improved = options.validation ? monitor.observe(metrics) : true;
      if (improved) best = metrics;
      const decided = options.continueAfter ? fromAnswer(options.continueAfter(metrics)).pipe(tap((answer) => (goOn = answer))) : EMPTY;
      const recorded = defer(() => {
        if (!history) return EMPTY;
        history.epoch(metrics, options.judged ?? 'validation');
        return from(history.save());
      });
      return concat(
        decided,
        defer(() => keep(metrics, improved)),
        recorded,
      ).pipe(ignoreElements());
    };
    const {
      save: _s,
      columns: _c,
      keepBest: _k,
      monitor: _m,
      earlyStopping: _e,
      history: _h,
      judged: _j,
      continueAfter: _a,
      checkpoint: _p,
      ...fitOptions
    } = options;
    const open$ =
      save && options.history
        ? defer(async () => {
            history = await RunHistoryWriter.open(save, options.history!, options.initialEpoch ? { resumeFrom: options.initialEpoch } : {});
          }).pipe(ignoreElements())
        : EMPTY;
    return concat(
      open$,
      fit(train$, { ...fitOptions, schedule, onEpochEnd }).pipe(
        takeWhile((event) => event.type !== 'epoch' || (goOn && (earlyStopping === undefined || monitor.sinceBest < earlyStopping)), true),
        tap((event) => {
          if (event.type === 'epoch') last = event;
        }),
      ),
      defer(() => of<TrainRunEnd>({ type: 'end', last, best, stoppedEarly: last !== undefined && last.epoch < options.epochs, history })),
    );
  });
}
