import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import type { ExampleBlock } from '../records/examples.js';
import { openArrowBatches } from './readArrow.js';
import { type ReadArrowOptions, recordBatchBlocks } from './recordBatchBlocks.js';

/** How fast a replay delivers: one block every `interval` ms, or `rowsPerSecond` rows a second. */
export interface ReplayPace {
  /** Milliseconds before each block (frames, under a TestScheduler). */
  readonly interval?: number;
  /** Each block waits its rows ÷ this many seconds, as a feed of this many rows a second would deliver it. */
  readonly rowsPerSecond?: number;
  /** Where the waits are scheduled; default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/**
 * Replays an Arrow IPC file at a pace, as a live feed would deliver it: like `readArrow` (same
 * options, same errors, one block per record batch), but each block waits `interval` ms, or its
 * rows at `rowsPerSecond`, after the one before. The file is read as it is replayed (a record
 * batch ahead, never the whole file), so a slow replay of a large file stays small. Use it to demo
 * or test live training: `fit` on it with one epoch and `shuffle: false` trains as blocks arrive.
 * Reading the file is real I/O, so a test in virtual time paces in-memory blocks instead
 * (`memoryDataset(blocks, { rowsPerSecond })` from `rxgrad/testing`).
 *
 * @example
 * fit(replayArrow('data/digits-train.arrow', { rowsPerSecond: 500 }), { network, optimizer, epochs: 1, shuffle: false });
 */
export function replayArrow(file: string, options: ReadArrowOptions & ReplayPace = {}): Observable<ExampleBlock> {
  const delay = paceOf(options, 'replayArrow');
  const scheduler = options.scheduler ?? asyncScheduler;
  return recordBatchBlocks(
    file,
    () => openArrowBatches(file),
    options,
    (block, stop) =>
      new Promise<void>((resolve) => {
        const action = scheduler.schedule(() => resolve(), delay(block.rows));
        stop.addEventListener(
          'abort',
          () => {
            action.unsubscribe();
            resolve();
          },
          { once: true },
        );
      }),
  );
}

/**
 * The wait before a block of `rows` rows, from a pace; checks it. Default: 1 ms a block.
 * @internal
 */
export function paceOf(pace: ReplayPace, owner: string): (rows: number) => number {
  const { interval, rowsPerSecond } = pace;
  if (interval !== undefined && rowsPerSecond !== undefined) throw new RangeError(`${owner}: give interval or rowsPerSecond, not both`);
  if (rowsPerSecond !== undefined) {
    if (!(rowsPerSecond > 0) || rowsPerSecond === Infinity)
      throw new RangeError(`${owner}: rowsPerSecond must be a positive number, got ${rowsPerSecond}`);
    return (rows) => (rows / rowsPerSecond) * 1000;
  }
  const every = interval ?? 1;
  if (!(every >= 0) || every === Infinity) throw new RangeError(`${owner}: interval must be a number ≥ 0, got ${every}`);
  return () => every;
}
