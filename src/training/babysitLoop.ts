import {
  asapScheduler,
  catchError,
  concat,
  defer,
  EMPTY,
  endWith,
  filter,
  finalize,
  map,
  merge,
  mergeMap,
  type Observable,
  type ObservableInput,
  of,
  type SchedulerLike,
  Subject,
  scheduled,
  switchMap,
  take,
  takeUntil,
  takeWhile,
  throwError,
} from 'rxjs';
import { DivergedError } from '../errors.js';
import type { DataColumns } from '../files/serialization.js';
import type { Network } from '../model/network.js';
import type { Optimizer } from '../model/optimizers/optimizer.js';
import { learningRateAt } from '../model/schedule.js';
import type { Standardizer } from '../model/standardizer.js';
import { fromAnswer } from '../operators/answer.js';
import type { Evaluation } from '../operators/evaluate.js';
import type { FitEvent } from '../operators/fit.js';
import type { StepMetrics } from '../operators/optimizerStep.js';
import type { Example, ExampleBlock } from '../streams/records/examples.js';
import { scheduleOf, type TrainingConfig } from './trainingConfig.js';
import { trainRun } from './trainRun.js';

/** What you can do to a run while it trains. */
export type BabysitControl =
  /** Use this learning rate from the next step on (instead of the schedule). */
  | { readonly type: 'learningRate'; readonly value: number }
  /** Hold training before the next step, until `resume`. */
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  /** End the run after the current step; the last epoch checkpoint is where it can resume. */
  | { readonly type: 'stop' }
  /** Restore the checkpoint saved after `epoch` (weights, batch-norm statistics, optimizer state) and go on from there. */
  | { readonly type: 'rollback'; readonly epoch: number };

/** What a babysat run reports. */
export type BabysitEvent =
  | ({ readonly type: 'batch' } & StepMetrics)
  | {
      readonly type: 'epoch';
      /** Epochs completed. */
      readonly epoch: number;
      readonly trainLoss: number;
      readonly trainAccuracy: number;
      readonly validation?: Evaluation | undefined;
      readonly learningRate: number;
      /** Wall time of the epoch, validation included. */
      readonly seconds: number;
      /** Where the epoch's checkpoint is (a folder, or the store's name for it). */
      readonly checkpoint: string;
    }
  | { readonly type: 'control'; readonly control: BabysitControl; readonly afterStep: number }
  /** A control that could not be carried out (a rollback to an epoch without a checkpoint); the run goes on. */
  | { readonly type: 'refused'; readonly control: BabysitControl; readonly reason: string }
  /** A rollback: training goes on from `epoch`; the later checkpoints were moved to `setAside`. */
  | { readonly type: 'rolled-back'; readonly epoch: number; readonly setAside?: string }
  /**
   * The loss diverged in a run that takes controls: instead of ending, it rolls back to the last
   * checkpoint (`rollbackTo`, a `rolled-back` event follows) and pauses, with the learning rate
   * back on its schedule; `message` says so.
   */
  | {
      readonly type: 'diverged';
      readonly loss: number;
      readonly epoch: number;
      readonly step: number;
      readonly rollbackTo: number;
      readonly message: string;
    }
  | { readonly type: 'end'; readonly epochs: number; readonly stopped: boolean };

/** The state a babysat run trains: what a checkpoint holds. */
export interface BabysitState {
  readonly network: Network;
  readonly optimizer: Optimizer;
  readonly standardizer?: Standardizer | undefined;
  readonly columns?: DataColumns | undefined;
  /** Epochs completed. */
  readonly epoch: number;
  /** The weight of each class in the training loss (see `loss`); none when absent. */
  readonly classWeights?: ArrayLike<number> | undefined;
}

/**
 * Where a babysat run keeps its epoch checkpoints. `babysit` keeps them in `dir/epoch-NNNN/`
 * (real file I/O, awaited between epochs); `memoryBabysitStore` in `rxgrad/testing` keeps them in
 * memory and answers synchronously, so that a babysat run can be marble-tested in virtual time.
 */
export interface BabysitStore {
  /** Saves the state after `epoch`; returns where it went. */
  save(state: BabysitState, epoch: number): ObservableInput<string> | string;
  /** Whether a checkpoint of `epoch` can be restored. */
  has(epoch: number): boolean;
  restore(epoch: number): ObservableInput<BabysitState> | BabysitState;
  /** Named in messages (a folder). */
  readonly name?: string;
  /** Moves the checkpoints after `epoch` out of the way of the new branch; returns where to, if anywhere. */
  setAsideAfter(epoch: number): ObservableInput<string | undefined> | string | undefined;
}

/** Options of `babysitLoop`. */
export interface BabysitLoopOptions {
  /** The training data, replayed (reshuffled) each epoch; or a function of the starting state that gives it. */
  readonly train: DataSource;
  /** Evaluated after every epoch. */
  readonly validation?: DataSource | undefined;
  /** The state to start from (a fresh network, or a restored checkpoint), or where it will come from. */
  readonly start: BabysitState | ObservableInput<BabysitState>;
  readonly config: TrainingConfig;
  readonly store: BabysitStore;
  /** Listened to from the subscription on, also while `start` is still on its way. */
  readonly controls?: Observable<BabysitControl> | undefined;
  /** Shuffle the training data each epoch (default true, seeded by `config.seed`). */
  readonly shuffle?: boolean;
  /** Where the hand-over after a segment is scheduled; default `asapScheduler` (virtual inside `TestScheduler.run`). */
  readonly scheduler?: SchedulerLike;
}

/** Examples for a babysat run: a source, or a function of the starting state that builds one (its columns and classes). */
export type DataSource = Observable<ExampleBlock | Example> | ((state: BabysitState) => Observable<ExampleBlock | Example>);

/** The one marker that the training side of a babysat run has ended. */
const ENDED = Symbol('ended');

/**
 * The controls of "babysit one model" around `fit`, on any data source and checkpoint store:
 * change the learning rate (from the next step), pause and resume (between steps), stop, or roll
 * back to an epoch's checkpoint and go on from there. No promise sits between steps or epochs
 * unless the store returns one, so with in-memory data and `memoryBabysitStore` a whole babysat
 * run, controls included, completes in virtual time. `babysit` is this loop on files.
 *
 * @example
 * const controls = new Subject<BabysitControl>();
 * babysitLoop({ train: data$, start: { network, optimizer, epoch: 0 }, config, store, controls }).subscribe(console.log);
 * controls.next({ type: 'pause' });
 */
export function babysitLoop(options: BabysitLoopOptions): Observable<BabysitEvent> {
  return defer(() => babysitRun(options));
}

function babysitRun(options: BabysitLoopOptions): Observable<BabysitEvent> {
  const { config, store } = options;
  let train: Observable<ExampleBlock | Example> | undefined;
  let validation: Observable<ExampleBlock | Example> | undefined;
  const schedule = scheduleOf(config);
  const scheduler = options.scheduler ?? asapScheduler;
  let override: number | undefined;
  let paused = false;
  let stopped = false;
  let rollbackTo: number | undefined;
  let optimizerNow: Optimizer | undefined;
  const interrupt = new Subject<void>();
  const opened = new Subject<void>();
  const open = () => opened.next();
  const gate = () => (paused && !stopped && rollbackTo === undefined ? opened.pipe(take(1)) : undefined);
  const rate = (epochsCompleted: number) => override ?? learningRateAt(config.learningRate, schedule, epochsCompleted);

  const carryOut = (control: BabysitControl): void => {
    switch (control.type) {
      case 'learningRate':
        override = control.value;
        break;
      case 'pause':
        paused = true;
        break;
      case 'resume':
        paused = false;
        open();
        break;
      case 'stop':
        stopped = true;
        interrupt.next();
        open();
        break;
      case 'rollback':
        rollbackTo = control.epoch;
        interrupt.next();
        open();
        break;
    }
  };
  // A control's event goes out before its effects (the steps a resume releases, the end a stop
  // brings). mergeMap, not concatMap: a control sent from inside those effects (a stop from the
  // handler of a step that a resume released) is carried out at once, not queued behind them.
  const control$ = (options.controls ?? EMPTY).pipe(
    mergeMap((control): Observable<BabysitEvent> => {
      if (control.type === 'learningRate' && !(control.value > 0))
        return throwError(() => new RangeError(`babysit: learning rate must be positive, got ${control.value}`));
      if (control.type === 'rollback' && !store.has(control.epoch)) {
        return of({
          type: 'refused',
          control,
          reason: `no checkpoint for epoch ${control.epoch}${store.name !== undefined ? ` in ${store.name}` : ''}`,
        });
      }
      const event: BabysitEvent = { type: 'control', control, afterStep: optimizerNow?.steps ?? 0 };
      return concat(
        of(event),
        defer(() => {
          carryOut(control);
          return EMPTY;
        }),
      );
    }),
  );

  /** fit from the state's epoch until done, stopped or rolled back; then the next segment or the end. */
  const segment = (state: BabysitState): Observable<BabysitEvent> => {
    const { network, optimizer, standardizer } = state;
    optimizerNow = optimizer;
    let completed = state.epoch;
    let saved = '';
    const training$ =
      state.epoch >= config.epochs || stopped
        ? EMPTY
        : trainRun(train!, {
            network,
            optimizer,
            standardizer,
            classWeights: state.classWeights,
            schedule: rate,
            epochs: config.epochs,
            initialEpoch: state.epoch,
            batchSize: config.batchSize,
            seed: config.seed,
            ...(options.shuffle !== undefined ? { shuffle: options.shuffle } : {}),
            validation,
            beforeStep: gate,
            checkpoint: ({ metrics }) =>
              fromAnswer(store.save({ ...state, epoch: metrics.epoch }, metrics.epoch)).pipe(map((where) => (saved = where))),
          }).pipe(
            filter((event): event is FitEvent => event.type !== 'end'),
            takeUntil(interrupt),
            map((event): BabysitEvent => {
              if (event.type === 'batch') return event;
              completed = event.epoch;
              return {
                type: 'epoch',
                epoch: event.epoch,
                trainLoss: event.trainLoss,
                trainAccuracy: event.trainAccuracy,
                validation: event.validation,
                learningRate: event.learningRate,
                seconds: event.seconds,
                checkpoint: saved,
              };
            }),
            // A run someone is watching (it takes controls) does not end when a learning rate sent
            // to it diverges: it goes back to its last checkpoint and waits, paused, to be resumed.
            catchError((error: unknown) => {
              if (!(error instanceof DivergedError) || !options.controls || !store.has(completed)) return throwError(() => error);
              const changed = override !== undefined;
              override = undefined;
              rollbackTo = completed;
              paused = true;
              const message = `${error.message.replace(/; lower the learning rate$/, '')}: rolled back to epoch ${completed} and paused${changed ? ', the learning rate back on its schedule' : ''}; set a lower learning rate, then resume`;
              return of<BabysitEvent>({
                type: 'diverged',
                loss: error.loss,
                epoch: error.epoch,
                step: error.step,
                rollbackTo: completed,
                message,
              });
            }),
          );
    const next = (): Observable<BabysitEvent> => {
      const target = rollbackTo;
      if (target === undefined) return of({ type: 'end', epochs: completed, stopped });
      rollbackTo = undefined;
      // The epochs after the target are set aside, not overwritten, and not resumed from.
      return fromAnswer(store.restore(target)).pipe(
        switchMap((restored) =>
          fromAnswer(store.setAsideAfter(target)).pipe(
            switchMap((aside) =>
              concat(of<BabysitEvent>({ type: 'rolled-back', epoch: target, ...(aside ? { setAside: aside } : {}) }), segment(restored)),
            ),
          ),
        ),
      );
    };
    // What follows a segment is scheduled (asap): a stop sent from inside an event's handler must
    // not end the run before that event has reached every subscriber.
    return concat(training$, scheduled([undefined], scheduler).pipe(switchMap(next)));
  };

  const first$ = fromAnswer(options.start as ObservableInput<BabysitState> | BabysitState).pipe(
    switchMap((state) => {
      const source = (data: DataSource | undefined) => (typeof data === 'function' ? data(state) : data);
      train = source(options.train);
      validation = source(options.validation);
      return segment(state);
    }),
  );
  return merge(first$.pipe(endWith(ENDED)), control$).pipe(
    takeWhile((event): event is BabysitEvent => event !== ENDED),
    finalize(open),
  );
}
