import { startTrialWorker } from '../distributed/trialWorkerNode.js';
import { type CliIo, writeLine } from './io.js';

/** Options of `rxgrad worker`. */
export interface WorkerCommandOptions {
  readonly redis: string;
  readonly parallel: number;
  readonly data?: string;
}

/**
 * `rxgrad worker`: trains trials from Redis until stopped. The first Ctrl-C (or SIGTERM) lets the
 * running trials finish; a second hands them back at once (another worker resumes them from their
 * last epoch checkpoint).
 */
export async function workerCommand(options: WorkerCommandOptions, io: CliIo): Promise<void> {
  const lock = Number(process.env.RXGRAD_WORKER_LOCK_MS ?? 30_000);
  const worker = await startTrialWorker({ url: options.redis, parallel: options.parallel, data: options.data, lockDuration: lock, log: (line) => writeLine(io.stderr, line) });
  let signals = 0;
  const onSignal = () => {
    signals++;
    writeLine(io.stderr, signals === 1 ? 'rxgrad worker: finishing the running trials (Ctrl-C again to hand them back now)' : 'rxgrad worker: handing the running trials back');
    void worker.close(signals > 1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await worker.stopped;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
