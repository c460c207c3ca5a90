import { existsSync } from 'node:fs';
import path from 'node:path';
import { concat, concatMap, defer, EMPTY, endWith, finalize, from, lastValueFrom, map, merge, type Observable, of, Subject, switchMap, takeUntil, takeWhile, throwError } from 'rxjs';
import { createBackend } from '../backends/createBackend.js';
import { createNetwork, type Network } from '../model/network.js';
import { createOptimizer } from '../model/optimizers/createOptimizer.js';
import type { Optimizer } from '../model/optimizers/optimizer.js';
import { learningRateAt } from '../model/schedule.js';
import { type DataColumns, loadModel } from '../files/serialization.js';
import type { Standardizer } from '../model/standardizer.js';
import type { Evaluation } from '../operators/evaluate.js';
import { fit } from '../operators/fit.js';
import type { StepMetrics } from '../operators/optimizerStep.js';
import { summarize } from '../operators/summarize.js';
import { inspectData, readData } from '../streams/readData.js';
import { checkpointPath, latestCheckpoint, saveCheckpoint, setAsideAfter } from './checkpoints.js';
import { optimizerConfigOf, scheduleOf, type TrainingConfig } from './trainingConfig.js';

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
      readonly checkpoint: string;
    }
  | { readonly type: 'control'; readonly control: BabysitControl; readonly afterStep: number }
  /** A control that could not be carried out (a rollback to an epoch without a checkpoint); the run goes on. */
  | { readonly type: 'refused'; readonly control: BabysitControl; readonly reason: string }
  /** A rollback: training goes on from `epoch`; the later checkpoints were moved to `setAside`. */
  | { readonly type: 'rolled-back'; readonly epoch: number; readonly setAside?: string }
  | { readonly type: 'end'; readonly epochs: number; readonly stopped: boolean };

/** Options of `babysit`. */
export interface BabysitOptions {
  readonly data: string;
  readonly columns?: Partial<DataColumns>;
  /** Evaluated after every epoch. */
  readonly validation?: string | undefined;
  readonly config: TrainingConfig;
  /** Checkpoints go to `dir/epoch-NNNN/`, one per epoch, all kept (for rollback). */
  readonly dir: string;
  /** Continue from the newest checkpoint in `dir`. */
  readonly resume?: boolean;
  readonly normalize?: boolean;
  readonly controls?: Observable<BabysitControl>;
  /** A CSV file's field delimiter. */
  readonly delimiter?: string | undefined;
}

/** The one marker that the training side of a babysat run has ended. */
const ENDED = Symbol('ended');

/**
 * "Babysit one model": `fit` with a live learning curve (every step and every epoch), a
 * checkpoint after every epoch (all kept, in `dir/epoch-NNNN/`), and controls while it trains:
 * change the learning rate (from the next step), pause and resume (between steps), stop, or roll
 * back to an epoch's checkpoint and go on from there. A resumed or rolled-back run restores
 * weights, batch-norm statistics and optimizer state exactly. Cold: nothing starts until
 * subscribed; unsubscribing stops training, reading and listening to the controls.
 *
 * @example
 * const controls = new Subject<BabysitControl>();
 * babysit({ data: 'train.arrow', config, dir: 'runs/a', controls }).subscribe(console.log);
 * controls.next({ type: 'learningRate', value: 1e-4 });
 */
export function babysit(options: BabysitOptions): Observable<BabysitEvent> {
  return defer(() => {
    const { config, dir } = options;
    const fileOptions = options.delimiter !== undefined ? { delimiter: options.delimiter } : {};
    const label = options.columns?.label ?? 'label';
    const schedule = scheduleOf(config);
    let override: number | undefined;
    let paused = false;
    let stopped = false;
    let rollbackTo: number | undefined;
    let release: (() => void) | undefined;
    let optimizerNow: Optimizer | undefined;
    const interrupt = new Subject<void>();
    const open = () => {
      release?.();
      release = undefined;
    };
    const gate = () => (paused && !stopped && rollbackTo === undefined ? new Promise<void>((resolve) => (release = resolve)) : undefined);
    const rate = (epochsCompleted: number) => override ?? learningRateAt(config.learningRate, schedule, epochsCompleted);

    const control$ = (options.controls ?? EMPTY).pipe(
      concatMap((control): Observable<BabysitEvent> => {
        switch (control.type) {
          case 'learningRate':
            if (!(control.value > 0)) return throwError(() => new RangeError(`babysit: learning rate must be positive, got ${control.value}`));
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
            if (!existsSync(path.join(checkpointPath(dir, control.epoch), 'model.json'))) {
              return of({ type: 'refused', control, reason: `no checkpoint for epoch ${control.epoch} in ${dir}` });
            }
            rollbackTo = control.epoch;
            interrupt.next();
            open();
            break;
        }
        return of({ type: 'control', control, afterStep: optimizerNow?.steps ?? 0 });
      }),
    );

    interface Run {
      readonly network: Network;
      readonly optimizer: Optimizer;
      readonly standardizer: Standardizer | undefined;
      readonly columns: DataColumns;
      readonly epoch: number;
    }
    const restore = async (epoch: number): Promise<Run> => {
      const saved = await loadModel(checkpointPath(dir, epoch));
      return { network: saved.network, optimizer: saved.optimizer!, standardizer: saved.standardizer, columns: saved.columns ?? { label, features: options.columns?.features ?? [] }, epoch: saved.progress?.epochsCompleted ?? epoch };
    };
    const start = async (): Promise<Run> => {
      const newest = options.resume ? await latestCheckpoint(dir) : undefined;
      if (newest) return restore(newest.epoch);
      const summary = await lastValueFrom(readData(options.data, { ...fileOptions, label, features: options.columns?.features, recycle: true, keepBytes: true }).pipe(summarize()));
      const network = createNetwork({ inputSize: summary.cols, classes: Math.max(2, summary.classes), hidden: config.hidden, activation: config.activation, batchNorm: config.batchNorm, seed: config.seed, backend: createBackend() });
      const features = (await inspectData(options.data, { ...fileOptions, label, features: options.columns?.features })).features;
      return { network, optimizer: createOptimizer(optimizerConfigOf(config), network.backend), standardizer: options.normalize === false ? undefined : summary.standardizer, columns: { label, features }, epoch: 0 };
    };

    /** fit from the run's epoch until done, stopped or rolled back; then the next segment or the end. */
    const segment = (run: Run): Observable<BabysitEvent> => {
      const { network, optimizer, standardizer, columns } = run;
      optimizerNow = optimizer;
      const read = (file: string) => readData(file, { ...fileOptions, label: columns.label, features: columns.features, classes: network.classes, recycle: true, keepBytes: true });
      let completed = run.epoch;
      const training$ =
        run.epoch >= config.epochs || stopped
          ? EMPTY
          : fit(read(options.data), {
              network,
              optimizer,
              standardizer,
              schedule: rate,
              epochs: config.epochs,
              initialEpoch: run.epoch,
              batchSize: config.batchSize,
              seed: config.seed,
              validation: options.validation ? read(options.validation) : undefined,
              beforeStep: gate,
              onEpochEnd: async (m) => {
                await saveCheckpoint(dir, m.epoch, { network, optimizer, standardizer, columns, progress: { epochsCompleted: m.epoch, seed: config.seed, batchSize: config.batchSize, schedule } }, { keep: 'all' });
              },
            }).pipe(
              takeUntil(interrupt),
              map((event): BabysitEvent => {
                if (event.type === 'batch') return event;
                completed = event.epoch;
                return { type: 'epoch', epoch: event.epoch, trainLoss: event.trainLoss, trainAccuracy: event.trainAccuracy, validation: event.validation, learningRate: event.learningRate, checkpoint: checkpointPath(dir, event.epoch) };
              }),
            );
      // What follows a segment waits a microtask: a stop sent from inside an event's handler must
      // not end the run before that event has reached every subscriber.
      const next = (): Observable<BabysitEvent> => {
          const target = rollbackTo;
          if (target === undefined) return of({ type: 'end', epochs: completed, stopped });
          rollbackTo = undefined;
          // The epochs after the target are set aside, not overwritten, and not resumed from.
          return from(Promise.all([restore(target), setAsideAfter(dir, target)])).pipe(
            switchMap(([restored, aside]) => concat(of<BabysitEvent>({ type: 'rolled-back', epoch: target, ...(aside ? { setAside: aside } : {}) }), segment(restored))),
          );
      };
      return concat(training$, from(Promise.resolve()).pipe(switchMap(next)));
    };

    const training$ = from(start()).pipe(switchMap(segment));
    return merge(training$.pipe(endWith(ENDED)), control$).pipe(
      takeWhile((event): event is BabysitEvent => event !== ENDED),
      finalize(open),
    );
  });
}
