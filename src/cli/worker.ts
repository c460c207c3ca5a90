import { startTrialWorker } from '../distributed/trialWorkerNode.js';
import { type CliIo, writeLine } from './io.js';

/** Options of `rxgrad worker`. */
export interface WorkerCommandOptions {
  readonly redis: string;
  readonly parallel: number;
  readonly data?: string;
  /** Seconds without Redis before the worker stops. */
  readonly redisTimeout?: number;
  /** Seconds after which a worker that went silent (killed, its machine lost) has its trials taken by another. */
  readonly stallTimeout?: number;
}

/**
 * `rxgrad worker`: trains trials from Redis until stopped. The first Ctrl-C lets the running
 * trials finish; a second, or SIGTERM (what a service manager sends), hands them back at once
 * (another worker resumes them from their last epoch checkpoint) and ends the worker within a few
 * seconds, whatever Redis does. Without Redis for `--redis-timeout` seconds, the worker stops.
 */
export async function workerCommand(options: WorkerCommandOptions, io: CliIo): Promise<void> {
  const lock = (options.stallTimeout ?? 30) * 1000;
  const worker = await startTrialWorker({
    url: options.redis,
    parallel: options.parallel,
    data: options.data,
    lockDuration: lock,
    redisTimeout: (options.redisTimeout ?? 300) * 1000,
    log: (line) => writeLine(io.stderr, line),
  });
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = signal === 'SIGTERM' || ++interrupts > 1;
    writeLine(
      io.stderr,
      now
        ? `rxgrad worker: ${signal === 'SIGTERM' ? 'SIGTERM: ' : ''}handing the running trials back`
        : 'rxgrad worker: finishing the running trials (Ctrl-C again to hand them back now)',
    );
    void worker.close(now);
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
