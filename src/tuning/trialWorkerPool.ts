import { type ResourceLimits, Worker } from 'node:worker_threads';
import { Observable } from 'rxjs';
import { StudyError } from '../errors.js';
import { workerScript } from '../workerScript.js';
import { type ContinueDecider, type CurvePoint, failedRecord, type TrialEvent, type TrialSpec } from './trial.js';
import { type FromTrialWorker, toTrialWorker } from './trialProtocol.js';

interface Slot {
  worker: Worker;
  trial: string | undefined;
  onMessage: ((message: FromTrialWorker) => void) | undefined;
  onCrash: ((reason: string, outOfMemory: boolean) => void) | undefined;
}

/**
 * A fixed set of worker threads that run trials, one trial per worker at a time. Workers are
 * started once and reused, so a study of many short (pruned) trials does not pay a thread start-up
 * and module load per trial. A worker that crashes fails its trial and is replaced.
 *
 * @example
 * const pool = new TrialWorkerPool(2);
 * from(specs).pipe(mergeMap((spec) => pool.run(spec, () => true), 2), finalize(() => pool.close()));
 */
export class TrialWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private closed = false;

  /**
   * @param size workers, each running one trial at a time
   * @param resourceLimits caps on each worker's memory (Node's `ResourceLimits`); a trial that
   *   exceeds them crashes its worker and is recorded as failed.
   */
  constructor(
    readonly size: number,
    private readonly resourceLimits?: ResourceLimits,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`TrialWorkerPool: size must be a positive integer, got ${size}`);
  }

  /** Runs one trial on a free worker (waiting for one if all are busy); unsubscribing cancels it. */
  run(spec: TrialSpec, decide: ContinueDecider): Observable<TrialEvent> {
    return new Observable<TrialEvent>((subscriber) => {
      let slot: Slot | undefined;
      let done = false;
      let curve: CurvePoint[] = [];
      const release = () => {
        if (!slot) return;
        slot.trial = undefined;
        slot.onMessage = undefined;
        slot.onCrash = undefined;
        this.release(slot);
      };
      const start = (free: Slot) => {
        if (subscriber.closed) return this.release(free);
        slot = free;
        free.trial = spec.id;
        free.onMessage = (message) => {
          if (message.type === 'decide') {
            Promise.resolve(decide(spec.id, message.point)).then(
              (goOn) => toTrialWorker(free.worker, { type: 'decision', trial: spec.id, goOn }),
              () => toTrialWorker(free.worker, { type: 'decision', trial: spec.id, goOn: false }),
            );
          } else if (message.type === 'event') {
            const { event } = message;
            if (event.type === 'epoch')
              curve = [
                ...curve,
                {
                  epoch: event.epoch,
                  trainLoss: event.trainLoss,
                  validationLoss: event.validationLoss,
                  validationAccuracy: event.validationAccuracy,
                  seconds: event.seconds,
                },
              ];
            subscriber.next(event);
            if (event.type === 'end') {
              done = true;
              release();
              subscriber.complete();
            }
          } else if (message.type === 'cancelled') {
            release();
          } else if (message.type === 'error') {
            done = true;
            release();
            subscriber.error(Object.assign(new Error(message.error.message), message.error));
          }
        };
        free.onCrash = (reason, outOfMemory) => {
          done = true;
          // Exceeding the memory cap is the configuration's doing (a network too large): final.
          // Any other death of a worker is the machine's: the trial stays pending.
          if (outOfMemory) {
            subscriber.next({ type: 'end', record: failedRecord(spec, `worker crashed: ${reason}`, curve, 0, 0) });
            subscriber.complete();
          } else {
            subscriber.error(
              new StudyError(`trial ${spec.id}: its worker thread ${reason}; the trial stays pending: resume the study to run it`),
            );
          }
        };
        toTrialWorker(free.worker, { type: 'run', spec });
      };
      this.acquire(start);
      return () => {
        if (slot && !done) {
          // Cancelled mid-trial: the worker stops the trial and becomes free when it says so.
          toTrialWorker(slot.worker, { type: 'cancel', trial: spec.id });
          slot.onCrash = undefined;
        } else if (!slot) {
          const index = this.waiting.indexOf(start);
          if (index >= 0) this.waiting.splice(index, 1);
        }
      };
    });
  }

  /** Terminates every worker. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
    this.slots.length = 0;
  }

  private acquire(start: (slot: Slot) => void): void {
    const free = this.slots.find((slot) => slot.trial === undefined && slot.onMessage === undefined);
    if (free) start(free);
    else if (this.slots.length < this.size) start(this.spawn());
    else this.waiting.push(start);
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
  }

  private spawn(): Slot {
    const worker = new Worker(
      workerScript('trialWorker.js', import.meta.url),
      this.resourceLimits ? { resourceLimits: this.resourceLimits } : {},
    );
    const slot: Slot = { worker, trial: undefined, onMessage: undefined, onCrash: undefined };
    slot.worker.on('message', (message: FromTrialWorker) => slot.onMessage?.(message));
    const crash = (reason: string, outOfMemory = false) => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      slot.onCrash?.(reason, outOfMemory);
      slot.onCrash = undefined;
      if (!this.closed && this.waiting.length > 0) this.release(this.spawn());
    };
    slot.worker.on('error', (error: NodeJS.ErrnoException) => crash(error.message, error.code === 'ERR_WORKER_OUT_OF_MEMORY'));
    slot.worker.on('exit', (code) => crash(`exited with code ${code}`));
    this.slots.push(slot);
    return slot;
  }
}
