import { parentPort, workerData } from 'node:worker_threads';
import type { Subscription } from 'rxjs';
import { DataError } from '../errors.js';
import { miniBatches, type MiniBatchOptions } from './miniBatches.js';
import { type ReadArrowOptions, readArrow } from './readArrow.js';

// Reads an Arrow file and cuts it into shuffled mini-batches on a worker thread, a bounded
// number of batches ahead of the trainer, which acknowledges each one it takes.
interface Setup {
  readonly file: string;
  readonly read: Omit<ReadArrowOptions, 'gate' | 'recycle'>;
  readonly batches: Omit<MiniBatchOptions, 'epoch' | 'recycle'>;
  readonly ahead: number;
}
// Every request carries a run number, and every message back carries it too, so that batches of a
// cancelled epoch still in flight are told apart from the next epoch's.
type Incoming = { type: 'epoch'; epoch: number; run: number } | { type: 'taken'; run: number } | { type: 'cancel'; run: number };

const port = parentPort!;
const setup = workerData as Setup;
let outstanding = 0;
let wake: (() => void) | undefined;
let running: Subscription | undefined;
let currentRun = -1;
const gate = () => (outstanding < setup.ahead ? undefined : new Promise<void>((resolve) => (wake = resolve)));
const release = () => {
  const resolve = wake;
  wake = undefined;
  resolve?.();
};

port.on('message', (message: Incoming) => {
  switch (message.type) {
    case 'epoch': {
      running?.unsubscribe();
      release();
      const run = (currentRun = message.run);
      outstanding = 0;
      running = readArrow(setup.file, { ...setup.read, recycle: true, gate })
        .pipe(miniBatches({ ...setup.batches, epoch: message.epoch }))
        .subscribe({
          next: (b) => {
            outstanding++;
            const x = b.x.data as Float32Array;
            port.postMessage({ type: 'batch', run, x, labels: b.labels, size: b.size, cols: b.x.cols, epoch: b.epoch, index: b.index }, [x.buffer as ArrayBuffer, b.labels.buffer as ArrayBuffer]);
          },
          error: (error: unknown) =>
            port.postMessage({
              type: 'error',
              run,
              name: (error as Error).name,
              message: (error as Error).message,
              ...(error instanceof DataError ? { context: { file: error.file, column: error.column, row: error.row, expected: error.expected, actual: error.actual } } : {}),
            }),
          complete: () => port.postMessage({ type: 'complete', run }),
        });
      break;
    }
    case 'taken':
      if (message.run !== currentRun) break;
      outstanding--;
      if (outstanding < setup.ahead) release();
      break;
    case 'cancel':
      if (message.run !== currentRun) break;
      running?.unsubscribe();
      running = undefined;
      release();
      break;
  }
});
