import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { lastValueFrom, type Observable, Observable as Obs, Subject, type Subscription, takeUntil } from 'rxjs';
import { createBackend } from '../backends/createBackend.js';
import { createNetwork, type Network } from '../model/network.js';
import { createOptimizer } from '../model/optimizers/createOptimizer.js';
import type { Optimizer } from '../model/optimizers/optimizer.js';
import { learningRateAt } from '../model/schedule.js';
import { type DataColumns, loadModel, saveModel } from '../files/serialization.js';
import type { Standardizer } from '../model/standardizer.js';
import { type Evaluation, evaluate } from '../operators/evaluate.js';
import type { StepMetrics } from '../operators/optimizerStep.js';
import { summarize } from '../operators/summarize.js';
import { trainEpoch } from '../operators/trainEpoch.js';
import { inspectArrow, readArrow } from '../streams/readArrow.js';
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
      readonly validation: Evaluation | undefined;
      readonly learningRate: number;
      readonly checkpoint: string;
    }
  | { readonly type: 'control'; readonly control: BabysitControl; readonly afterStep: number }
  /** A control that could not be carried out (a rollback to an epoch without a checkpoint); the run goes on. */
  | { readonly type: 'refused'; readonly control: BabysitControl; readonly reason: string }
  | { readonly type: 'rolled-back'; readonly epoch: number }
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
}

const epochDir = (dir: string, epoch: number) => path.join(dir, `epoch-${String(epoch).padStart(4, '0')}`);

async function newestEpoch(dir: string): Promise<number | undefined> {
  if (!existsSync(dir)) return undefined;
  const epochs = (await fs.readdir(dir))
    .map((name) => /^epoch-(\d{4})$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(path.join(dir, m[0], 'model.json')))
    .map((m) => Number(m[1]));
  return epochs.length > 0 ? Math.max(...epochs) : undefined;
}

/**
 * "Babysit one model": a single run with a live learning curve (every step and every epoch), a
 * checkpoint after every epoch, and controls while it trains: change the learning rate (from the
 * next step), pause and resume, stop, or roll
 * back to an epoch's checkpoint. Pausing holds training between steps. A resumed or rolled-back run restores weights, batch-norm statistics
 * and optimizer state exactly.
 *
 * @example
 * const controls = new Subject<BabysitControl>();
 * babysit({ data: 'train.arrow', config, dir: 'runs/a', controls }).subscribe(console.log);
 * controls.next({ type: 'learningRate', value: 1e-4 });
 */
export function babysit(options: BabysitOptions): Observable<BabysitEvent> {
  return new Obs<BabysitEvent>((subscriber) => {
    const { config, dir } = options;
    const label = options.columns?.label ?? 'label';
    let network!: Network;
    let optimizer!: Optimizer;
    let standardizer: Standardizer | undefined;
    let override: number | undefined;
    let paused = false;
    let stopped = false;
    let rollbackTo: number | undefined;
    let release: (() => void) | undefined;
    let closed = false;
    let inner: Subscription | undefined;
    const interrupt = new Subject<void>();
    const open = () => {
      release?.();
      release = undefined;
    };
    const gate = () => (paused && !stopped && rollbackTo === undefined ? new Promise<void>((resolve) => (release = resolve)) : undefined);

    const controls = options.controls?.subscribe((control) => {
      switch (control.type) {
        case 'learningRate':
          if (!(control.value > 0)) return subscriber.error(new RangeError(`babysit: learning rate must be positive, got ${control.value}`));
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
          if (!existsSync(path.join(epochDir(dir, control.epoch), 'model.json'))) {
            return subscriber.next({ type: 'refused', control, reason: `no checkpoint for epoch ${control.epoch} in ${dir}` });
          }
          rollbackTo = control.epoch;
          interrupt.next();
          open();
          break;
      }
      subscriber.next({ type: 'control', control, afterStep: optimizer?.steps ?? 0 });
    });

    const restore = async (epoch: number) => {
      const saved = await loadModel(epochDir(dir, epoch));
      network = saved.network;
      optimizer = saved.optimizer!;
      standardizer = saved.standardizer;
      return saved;
    };

    (async () => {
      let columns: DataColumns;
      let epoch = 0;
      const newest = options.resume ? await newestEpoch(dir) : undefined;
      if (newest !== undefined) {
        const saved = await restore(newest);
        epoch = newest;
        columns = saved.columns ?? { label, features: options.columns?.features ?? [] };
      } else {
        const summary = await lastValueFrom(readArrow(options.data, { label, features: options.columns?.features, recycle: true, keepBytes: true }).pipe(summarize()));
        network = createNetwork({ inputSize: summary.cols, classes: Math.max(2, summary.classes), hidden: config.hidden, activation: config.activation, batchNorm: config.batchNorm, seed: config.seed, backend: createBackend() });
        optimizer = createOptimizer(optimizerConfigOf(config), network.backend);
        standardizer = options.normalize === false ? undefined : summary.standardizer;
        columns = { label, features: (await inspectArrow(options.data, { label, features: options.columns?.features })).features };
      }
      const read = (file: string) =>
        readArrow(file, { label: columns.label, features: columns.features, classes: network.classes, recycle: true, keepBytes: true });
      const schedule = scheduleOf(config);
      const rate = (e: number) => override ?? learningRateAt(config.learningRate, schedule, e);

      while (epoch < config.epochs && !stopped && !closed) {
        let loss = 0;
        let correct = 0;
        let examples = 0;
        await new Promise<void>((resolve, reject) => {
          inner = read(options.data)
            .pipe(trainEpoch({ network, optimizer, epoch, batchSize: config.batchSize, seed: config.seed, schedule: rate, standardizer, beforeStep: gate }), takeUntil(interrupt))
            .subscribe({
              next: (m) => {
                loss += m.loss * m.size;
                correct += m.accuracy * m.size;
                examples += m.size;
                subscriber.next({ type: 'batch', ...m });
              },
              error: reject,
              complete: resolve,
            });
        });
        if (closed) return;
        if (rollbackTo !== undefined) {
          const target = rollbackTo;
          rollbackTo = undefined;
          await restore(target);
          epoch = target;
          subscriber.next({ type: 'rolled-back', epoch: target });
          continue;
        }
        if (stopped) break;
        const validation = options.validation ? await lastValueFrom(read(options.validation).pipe(evaluate(network, { standardizer }))) : undefined;
        const checkpoint = epochDir(dir, epoch + 1);
        await saveModel(checkpoint, {
          network,
          optimizer,
          standardizer,
          columns,
          progress: { epochsCompleted: epoch + 1, seed: config.seed, batchSize: config.batchSize, schedule },
        });
        subscriber.next({ type: 'epoch', epoch: epoch + 1, trainLoss: loss / examples, trainAccuracy: correct / examples, validation, learningRate: rate(epoch), checkpoint });
        epoch++;
      }
      subscriber.next({ type: 'end', epochs: epoch, stopped });
      subscriber.complete();
    })().catch((error: unknown) => subscriber.error(error));

    return () => {
      closed = true;
      controls?.unsubscribe();
      inner?.unsubscribe();
      open();
    };
  });
}
