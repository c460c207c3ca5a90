import {
  type BabysitControl,
  babysitLoop,
  backward,
  createOptimizer,
  DEFAULT_TRAINING_CONFIG,
  fit,
  forward,
  loss,
  optimizerStep,
} from 'rxgrad';
import { exampleBlocks, memoryBabysitStore, memoryCheckpoints, memoryDataset, miniBatchOf, replay, tinyNetwork } from 'rxgrad/testing';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { expect, it } from 'vitest';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

it('one step per batch, and an error passed on', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const network = tinyNetwork({ inputSize: 2, classes: 2 });
    const sgd = createOptimizer({ type: 'sgd', learningRate: 0.1 }, network.backend);
    const batches = cold('-a-b-#', {
      a: miniBatchOf(
        [
          [0, 1],
          [1, 0],
        ],
        [1, 0],
      ),
      b: miniBatchOf(
        [
          [1, 1],
          [0, 0],
        ],
        [0, 1],
        { index: 1 },
      ),
    });
    const steps = batches.pipe(
      forward(network),
      loss(),
      backward(),
      optimizerStep(sgd),
      map((s) => s.step),
    );
    expectObservable(steps).toBe('-1-2-#', { 1: 1, 2: 2 });
  });
});

it('a two-epoch fit with a checkpoint hook, in virtual time', () => {
  const network = tinyNetwork({ inputSize: 3, classes: 2 });
  const checkpoints = memoryCheckpoints(network);
  scheduler().run(({ expectObservable }) => {
    // Two blocks of four rows, one every 5 frames: a batch each; an epoch ends with its last batch.
    const data = memoryDataset(exampleBlocks({ rows: 8, cols: 3, classes: 2, blockRows: 4 }), { interval: 5 });
    const sgd = createOptimizer({ type: 'sgd', learningRate: 0.1 }, network.backend);
    const events = fit(data, { network, optimizer: sgd, epochs: 2, batchSize: 4, shuffle: false, onEpochEnd: checkpoints.save });
    expectObservable(events.pipe(map((e) => (e.type === 'batch' ? 'b' : `${e.epoch}`)))).toBe('-----b----(b1)-b----(b2|)');
  });
  expect(checkpoints.epochs).toEqual([1, 2]);
});

it('a live feed with a pause: training waits for the data', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const network = tinyNetwork({ inputSize: 3, classes: 2 });
    const [first, second] = exampleBlocks({ rows: 8, cols: 3, classes: 2, blockRows: 4 });
    // A feed of 1,000 rows a second (4 ms a block) whose second block comes 10 frames late.
    const feed = replay(cold('a 9ms b|', { a: first!, b: second! }), { rowsPerSecond: 1000 });
    const sgd = createOptimizer({ type: 'sgd', learningRate: 0.1 }, network.backend);
    const events = fit(feed, { network, optimizer: sgd, epochs: 1, batchSize: 4, shuffle: false });
    expectObservable(events.pipe(map((e) => (e.type === 'batch' ? 'b' : 'e')))).toBe('4ms b 9ms (be|)');
  });
});

it('a babysat run, paused and resumed, in virtual time', () => {
  const store = memoryBabysitStore();
  scheduler().run(({ hot, expectObservable }) => {
    const network = tinyNetwork({ inputSize: 3, classes: 2 });
    const optimizer = createOptimizer({ type: 'sgd', learningRate: 0.1 }, network.backend);
    // A four-row block every 10 frames: two steps an epoch.
    const train = memoryDataset(exampleBlocks({ rows: 8, cols: 3, classes: 2, blockRows: 4 }), { interval: 10 });
    const controls = hot<BabysitControl>('p 14ms r', { p: { type: 'pause' }, r: { type: 'resume' } });
    const config = { ...DEFAULT_TRAINING_CONFIG, epochs: 2, batchSize: 4 };
    const events = babysitLoop({ train, start: { network, optimizer, epoch: 0 }, config, store, controls, shuffle: false });
    // Paused from frame 0: the first batch (frame 10) waits for the resume (frame 15).
    const marks = { control: 'c', batch: 'b', epoch: 'E', end: 'e' } as const;
    expectObservable(events.pipe(map((e) => marks[e.type as keyof typeof marks] ?? '?'))).toBe('c 14ms (cb) 1ms (bE) 6ms b 9ms (bEe|)');
  });
  expect(store.epochs).toEqual([1, 2]);
});
