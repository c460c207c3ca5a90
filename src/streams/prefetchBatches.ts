import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Observable } from 'rxjs';
import { DataError, type DataErrorContext } from '../errors.js';
import type { MiniBatch, MiniBatchOptions } from './miniBatches.js';
import type { ReadArrowOptions } from './readArrow.js';

/** A source of mini-batches for any epoch: what `fit` accepts besides a stream of examples. */
export interface MiniBatchSource {
  /** The mini-batches of one epoch (shuffled for it); subscribe to one epoch at a time. */
  batches(epoch: number): Observable<MiniBatch>;
  /** Stops the source's thread. */
  close(): Promise<void>;
}

/** Options of `prefetchBatches`. */
export interface PrefetchOptions extends Omit<ReadArrowOptions, 'gate' | 'recycle'>, Omit<MiniBatchOptions, 'epoch' | 'recycle'> {
  /** Batches read ahead of training, at most (plus those of one record batch). Default 16. */
  readonly ahead?: number;
}

function workerScript(): URL {
  const here = new URL('./batchWorker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/streams/batchWorker.js', import.meta.url);
}

/**
 * Reads an Arrow file and cuts it into seeded, shuffled mini-batches on a worker thread, so that
 * decoding, shuffling and copying overlap with training on the main thread. The batches are the
 * same, in the same order, as `readArrow(file).pipe(miniBatches({ …, epoch }))` gives in this
 * thread; each is handed over without a copy. The worker stays a bounded number of batches ahead,
 * and is started once for all epochs: close the source when done.
 *
 * @example
 * const source = prefetchBatches('train.arrow', { batchSize: 128, seed: 0 });
 * fit(source, { network, optimizer, epochs: 5 }).subscribe({ complete: () => source.close() });
 */
export function prefetchBatches(file: string, options: PrefetchOptions): MiniBatchSource {
  const { ahead = 16, label, features, classes, unlabelled, ...batches } = options;
  if (!Number.isInteger(ahead) || ahead < 1) throw new RangeError(`prefetchBatches: ahead must be a positive integer, got ${ahead}`);
  const read = {
    ...(label !== undefined ? { label } : {}),
    ...(features !== undefined ? { features } : {}),
    ...(classes !== undefined ? { classes } : {}),
    ...(unlabelled !== undefined ? { unlabelled } : {}),
  };
  let worker: Worker | undefined;
  let busy = false;
  let runs = 0;
  const start = () => (worker ??= new Worker(workerScript(), { workerData: { file, read, batches, ahead } }));
  return {
    batches: (epoch) =>
      new Observable<MiniBatch>((subscriber) => {
        if (busy) {
          subscriber.error(new Error('prefetchBatches: one epoch at a time'));
          return undefined;
        }
        busy = true;
        const thread = start();
        const run = runs++;
        let done = false;
        type Message = { run: number } & (
          | { type: 'batch'; x: Float32Array; labels: Int32Array; size: number; cols: number; epoch: number; index: number }
          | { type: 'complete' }
          | { type: 'error'; name: string; message: string; context?: DataErrorContext }
        );
        const onMessage = (message: Message) => {
          if (message.run !== run) return;
          if (message.type === 'batch') {
            thread.postMessage({ type: 'taken', run });
            subscriber.next({ x: { rows: message.size, cols: message.cols, data: message.x }, labels: message.labels, size: message.size, epoch: message.epoch, index: message.index });
          } else if (message.type === 'complete') {
            done = true;
            subscriber.complete();
          } else {
            done = true;
            // The message is already worded; the fields travel beside it.
            const error = message.context ? Object.assign(new DataError(message.message), message.context) : new Error(message.message);
            subscriber.error(error);
          }
        };
        const onError = (error: Error) => {
          done = true;
          subscriber.error(error);
        };
        thread.on('message', onMessage);
        thread.on('error', onError);
        thread.postMessage({ type: 'epoch', epoch, run });
        return () => {
          thread.off('message', onMessage);
          thread.off('error', onError);
          if (!done) thread.postMessage({ type: 'cancel', run });
          busy = false;
        };
      }),
    close: async () => {
      await worker?.terminate();
      worker = undefined;
    },
  };
}
