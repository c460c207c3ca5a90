/**
 * rxgrad/testing: what a user needs to marble-test a pipeline (kept out of the root API).
 * Deterministic blocks and mini-batches, a tiny network, an in-memory dataset that behaves like
 * `readArrow`, an in-memory checkpoint store, replay at a pace, and comparisons with a tolerance.
 *
 * @example
 * import { exampleBlocks, memoryDataset, tinyNetwork } from 'rxgrad/testing';
 */
import { concatMap, defer, from, map, type Observable, timer } from 'rxjs';
import type { Network } from '../model/network.js';
import { createNetwork } from '../model/network.js';
import { createRandom } from '../model/random.js';
import { float64Backend } from '../model/typescriptBackend.js';
import type { EpochMetrics } from '../operators/fit.js';
import type { MiniBatch } from '../operators/miniBatches.js';
import type { StepMetrics } from '../operators/optimizerStep.js';
import { paceOf, type ReplayPace } from '../streams/arrow/replayArrow.js';
import type { Example, ExampleBlock } from '../streams/records/examples.js';
import type { BabysitState, BabysitStore } from '../training/babysitLoop.js';

/**
 * Blocks of seeded examples: `rows` rows of `cols` features (uniform in [−1, 1)) in blocks of
 * `blockRows`, labels in [0, classes). The same seed gives the same blocks.
 *
 * @example
 * const blocks = exampleBlocks({ rows: 10, cols: 3, classes: 2, blockRows: 4, seed: 1 }); // 3 blocks: 4, 4, 2 rows
 */
export function exampleBlocks(options: {
  readonly rows: number;
  readonly cols: number;
  readonly classes: number;
  readonly blockRows?: number;
  readonly seed?: number | string;
}): ExampleBlock[] {
  const { rows, cols, classes, blockRows = rows, seed = 0 } = options;
  const rng = createRandom(`examples:${seed}`);
  const blocks: ExampleBlock[] = [];
  for (let first = 0; first < rows; first += blockRows) {
    const n = Math.min(blockRows, rows - first);
    const features = Float32Array.from({ length: n * cols }, () => rng.next() * 2 - 1);
    const labels = Int32Array.from({ length: n }, () => rng.int(classes));
    blocks.push({ features, labels, rows: n, cols, firstRow: first });
  }
  return blocks;
}

/**
 * One block from literal rows and labels.
 *
 * @example
 * const block = blockOf([[0, 1], [1, 0]], [1, 0]);
 */
export function blockOf(rows: readonly (readonly number[])[], labels: readonly number[], firstRow = 0): ExampleBlock {
  const cols = rows[0]?.length ?? 0;
  if (rows.some((row) => row.length !== cols)) throw new RangeError('blockOf: every row needs the same number of features');
  if (labels.length !== rows.length) throw new RangeError(`blockOf: ${rows.length} rows but ${labels.length} labels`);
  return { features: Float32Array.from(rows.flat()), labels: Int32Array.from(labels), rows: rows.length, cols, firstRow };
}

/**
 * One mini-batch from literal rows and labels, as `miniBatches` would emit it.
 *
 * @example
 * const batch = miniBatchOf([[1, 2], [3, 4]], [0, 1], { epoch: 1, index: 0 });
 */
export function miniBatchOf(
  rows: readonly (readonly number[])[],
  labels: readonly number[],
  at: { readonly epoch?: number; readonly index?: number } = {},
): MiniBatch {
  const block = blockOf(rows, labels);
  return {
    x: { rows: block.rows, cols: block.cols, data: block.features },
    labels: block.labels,
    size: block.rows,
    epoch: at.epoch ?? 1,
    index: at.index ?? 0,
  };
}

/**
 * A small network on the float64 TypeScript backend with seeded weights: the same network every
 * time, fast, and exact enough to compare runs.
 *
 * @example
 * const network = tinyNetwork({ inputSize: 3, classes: 2 });
 */
export function tinyNetwork(options: {
  readonly inputSize: number;
  readonly classes: number;
  readonly hidden?: readonly number[];
  readonly batchNorm?: boolean;
  readonly seed?: number;
}): Network {
  return createNetwork({
    inputSize: options.inputSize,
    classes: options.classes,
    hidden: options.hidden ?? [4],
    batchNorm: options.batchNorm ?? false,
    seed: options.seed ?? 0,
    backend: float64Backend,
  });
}

/**
 * An in-memory dataset that behaves like `readArrow`: cold and replayable, one emission per
 * block (its record-batch boundaries), each subscription a fresh replay. Given a pace (`interval`
 * or `rowsPerSecond`, on `scheduler`: a TestScheduler's, in a marble test), the blocks arrive over
 * time as `replayArrow` delivers a file's.
 *
 * @example
 * fit(memoryDataset(exampleBlocks({ rows: 64, cols: 3, classes: 2, blockRows: 16 })), options);
 * memoryDataset(exampleBlocks({ rows: 64, cols: 3, classes: 2, blockRows: 16 }), { rowsPerSecond: 1000 }); // a 16-row block every 16 ms
 */
export function memoryDataset(blocks: readonly ExampleBlock[], pace: ReplayPace = {}): Observable<ExampleBlock> {
  const paced = pace.interval !== undefined || pace.rowsPerSecond !== undefined || pace.scheduler !== undefined;
  return paced
    ? replay(
        defer(() => from(blocks)),
        pace,
      )
    : defer(() => from(blocks));
}

/**
 * Replays a source at a pace, as a live feed would deliver it: each value waits `interval`
 * milliseconds (frames, under a TestScheduler), or its rows at `rowsPerSecond` (a block's `rows`;
 * one row for an example), after it arrives or after the value before it went out, whichever is
 * later. Values that arrive faster wait their turn in memory: for a file, `replayArrow` reads only
 * as fast as it replays.
 *
 * @example
 * fit(replay(liveBlocks$, { interval: 100 }), { ...options, epochs: 1, shuffle: false });
 */
export function replay<T extends ExampleBlock | Example>(source: Observable<T>, pace?: ReplayPace): Observable<T>;
export function replay<T>(source: Observable<T>, pace?: Pick<ReplayPace, 'interval' | 'scheduler'>): Observable<T>;
export function replay<T>(source: Observable<T>, pace: ReplayPace = {}): Observable<T> {
  const delay = paceOf(pace, 'replay');
  const rowsOf = (value: T) => (typeof (value as ExampleBlock).rows === 'number' ? (value as ExampleBlock).rows : 1);
  return source.pipe(concatMap((value) => timer(delay(rowsOf(value)), pace.scheduler).pipe(map(() => value))));
}

/**
 * An in-memory checkpoint store: a `fit` `onEpochEnd` hook that keeps each epoch's metrics and a
 * copy of the parameters, synchronously (no file, so a run stays in virtual time).
 *
 * @example
 * const store = memoryCheckpoints(network);
 * fit(data$, { ...options, onEpochEnd: store.save });
 * store.epochs; // [1, 2, 3]
 */
export function memoryCheckpoints(network: Network) {
  const saved: { readonly metrics: EpochMetrics; readonly params: Map<string, Float64Array> }[] = [];
  return {
    save: (metrics: EpochMetrics): void => {
      saved.push({ metrics, params: new Map(network.params.map((p) => [p.name, Float64Array.from(p.value)])) });
    },
    get epochs(): number[] {
      return saved.map((s) => s.metrics.epoch);
    },
    /** The checkpoint of `epoch` (epochs completed). */
    at(epoch: number) {
      return saved.find((s) => s.metrics.epoch === epoch);
    },
  };
}

/**
 * An in-memory checkpoint store for `babysitLoop`: copies of the parameters, running statistics
 * and optimizer state after each epoch, restored in place (into the same network and optimizer)
 * on a rollback. It answers synchronously, so a babysat run with its controls completes inside
 * `TestScheduler.run`.
 *
 * @example
 * const store = memoryBabysitStore();
 * babysitLoop({ train: data$, start: { network, optimizer, epoch: 0 }, config, store, controls });
 * store.epochs; // [1, 2] after two epochs
 */
export function memoryBabysitStore() {
  interface Saved {
    readonly state: BabysitState;
    readonly params: Float64Array[];
    readonly buffers: Float64Array[];
    readonly optimizer: ReturnType<BabysitState['optimizer']['state']>;
  }
  const saved = new Map<number, Saved>();
  const setAside: number[][] = [];
  const store = {
    name: 'memory',
    save(state: BabysitState, epoch: number): string {
      saved.set(epoch, {
        state,
        params: state.network.params.map((p) => Float64Array.from(p.value)),
        buffers: [...state.network.buffers.values()].map((b) => Float64Array.from(b)),
        optimizer: state.optimizer.state(), // a copy
      });
      return `memory:epoch-${epoch}`;
    },
    has: (epoch: number): boolean => saved.has(epoch),
    restore(epoch: number): BabysitState {
      const checkpoint = saved.get(epoch);
      if (!checkpoint) throw new RangeError(`memoryBabysitStore: no checkpoint for epoch ${epoch}`);
      const { network, optimizer } = checkpoint.state;
      network.params.forEach((p, i) => p.value.set(checkpoint.params[i]!));
      [...network.buffers.values()].forEach((b, i) => b.set(checkpoint.buffers[i]!));
      optimizer.restore(checkpoint.optimizer); // copies in
      return { ...checkpoint.state, epoch };
    },
    setAsideAfter(epoch: number): string | undefined {
      const later = [...saved.keys()].filter((e) => e > epoch).sort((a, b) => a - b);
      if (later.length === 0) return undefined;
      for (const e of later) saved.delete(e);
      setAside.push(later);
      return `memory:abandoned-${setAside.length}`;
    },
    /** Epochs with a checkpoint, in order. */
    get epochs(): number[] {
      return [...saved.keys()].sort((a, b) => a - b);
    },
    /** The epochs of each branch set aside by a rollback. */
    get setAside(): number[][] {
      return setAside.map((branch) => [...branch]);
    },
  } satisfies BabysitStore & Record<string, unknown>;
  return store;
}

/**
 * Whether two step-metric streams agree: the same epochs, batches and sizes, and losses and
 * accuracies within `tolerance` (relative). Returns the first difference, or undefined.
 *
 * @example
 * import { expect } from 'vitest';
 * const steps = await lastValueFrom(batches$.pipe(trainSteps({ network, optimizer, standardizer }), toArray()));
 * expect(stepsDiffer(steps, steps, 1e-9)).toBeUndefined();
 */
export function stepsDiffer(actual: readonly StepMetrics[], expected: readonly StepMetrics[], tolerance = 1e-9): string | undefined {
  if (actual.length !== expected.length) return `${actual.length} steps, expected ${expected.length}`;
  const close = (a: number, b: number) => Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b));
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a.epoch !== e.epoch || a.batch !== e.batch || a.size !== e.size)
      return `step ${i}: epoch ${a.epoch} batch ${a.batch} size ${a.size}, expected epoch ${e.epoch} batch ${e.batch} size ${e.size}`;
    if (!close(a.loss, e.loss)) return `step ${i}: loss ${a.loss}, expected ${e.loss}`;
    if (!close(a.accuracy, e.accuracy)) return `step ${i}: accuracy ${a.accuracy}, expected ${e.accuracy}`;
  }
  return undefined;
}
