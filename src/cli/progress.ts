import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { writeLine } from './io.js';

/** Training progress on stderr: a live bar on a terminal, one line per epoch otherwise. */
export interface TrainingProgressView {
  /** A step of `epoch` (1 for the first) ended with this loss. */
  step(epoch: number, loss: number): void;
  epoch(line: string): void;
  stop(): void;
}

/**
 * The progress view of `train` and `babysit`.
 *
 * @example
 * const progress = trainingProgress(process.stderr, 20, 469);
 * progress.step(1, 0.52);
 */
export function trainingProgress(stderr: Writable, epochs: number, stepsPerEpoch: number): TrainingProgressView {
  const tty = (stderr as Writable & { isTTY?: boolean }).isTTY === true;
  if (!tty) return { step() {}, epoch: (line) => writeLine(stderr, line), stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: stderr as NodeJS.WriteStream,
      format: 'epoch {epoch}/{epochs} |{bar}| {percentage}% | loss {loss} | {eta_formatted} left',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(epochs * stepsPerEpoch, 0, { epoch: 1, epochs, loss: '-' });
  let done = 0;
  return {
    step(epoch, loss) {
      done++;
      bar.update(done, { epoch, epochs, loss: loss.toFixed(4) });
    },
    epoch(line) {
      bar.stop();
      writeLine(stderr, line);
      bar.start(epochs * stepsPerEpoch, done, { epoch: Math.min(epochs, Math.floor(done / stepsPerEpoch) + 1), epochs, loss: '-' });
    },
    stop: () => bar.stop(),
  };
}
