import { lastValueFrom, map, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import { float64Backend } from '../../src/model/typescriptBackend.js';
import { type FitEvent, fit } from '../../src/operators/fit.js';
import { trainEpoch } from '../../src/operators/trainEpoch.js';
import { blockOf, exampleBlocks, memoryCheckpoints, memoryDataset, miniBatchOf, replay, stepsDiffer, tinyNetwork } from '../../src/testing/index.js';

const marbles = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('rxgrad/testing', () => {
  it('exampleBlocks and blockOf make the blocks readArrow would, the same for a seed', () => {
    const blocks = exampleBlocks({ rows: 10, cols: 3, classes: 2, blockRows: 4, seed: 1 });
    expect(blocks.map((b) => [b.rows, b.firstRow, b.cols])).toEqual([[4, 0, 3], [4, 4, 3], [2, 8, 3]]);
    expect(exampleBlocks({ rows: 10, cols: 3, classes: 2, blockRows: 4, seed: 1 })).toEqual(blocks);
    expect(exampleBlocks({ rows: 10, cols: 3, classes: 2, blockRows: 4, seed: 2 })).not.toEqual(blocks);
    expect(blocks.every((b) => Array.from(b.labels).every((l) => l === 0 || l === 1))).toBe(true);
    expect(blockOf([[0, 1], [1, 0]], [1, 0])).toMatchObject({ rows: 2, cols: 2, firstRow: 0 });
    expect(miniBatchOf([[1, 2]], [0], { epoch: 2, index: 3 })).toMatchObject({ size: 1, epoch: 2, index: 3 });
    expect(() => blockOf([[1], [1, 2]], [0, 1])).toThrow(/same number of features/);
  });

  it('memoryDataset is cold and replayable, one emission per block, on a scheduler when given one', () => {
    marbles().run(({ expectObservable }) => {
      const blocks = exampleBlocks({ rows: 6, cols: 2, classes: 2, blockRows: 2 });
      const rows = map((b: { firstRow: number }) => String(b.firstRow));
      expectObservable(memoryDataset(blocks).pipe(rows)).toBe('(024|)');
      const timed = memoryDataset(blocks, { interval: 3 });
      expectObservable(timed.pipe(rows)).toBe('---0--2--(4|)');
      // A second subscription replays the whole dataset, as readArrow re-reads its file.
      expectObservable(timed.pipe(rows)).toBe('---0--2--(4|)');
    });
  });

  it('replay delivers a source at a pace, so a test can check what happens when data arrives late', () => {
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(replay(cold('(abc|)'), { interval: 5 })).toBe('-----a----b----(c|)');
    });
  });

  it('a tiny network, an in-memory dataset and checkpoint store: a 3-epoch fit in virtual time', () => {
    let store: ReturnType<typeof memoryCheckpoints> | undefined;
    marbles().run(({ expectObservable }) => {
      const network = tinyNetwork({ inputSize: 3, classes: 2 });
      store = memoryCheckpoints(network);
      const data = memoryDataset(exampleBlocks({ rows: 8, cols: 3, classes: 2, blockRows: 4 }), { interval: 1 });
      const events = fit(data, { network, optimizer: createOptimizer({ type: 'sgd', learningRate: 0.1 }, network.backend), epochs: 3, batchSize: 4, shuffle: false, validation: data, onEpochEnd: store.save });
      // Blocks arrive one a frame; each epoch trains on two batches, then validates (two frames).
      expectObservable(events.pipe(map((e: FitEvent) => (e.type === 'batch' ? 'b' : String(e.epoch))))).toBe('-bb-1bb-2bb-(3|)');
    });
    expect(store!.epochs).toEqual([1, 2, 3]);
    expect(store!.at(1)!.params).not.toEqual(store!.at(3)!.params);
  });

  it('stepsDiffer compares step streams with a tolerance and names the first difference', async () => {
    const run = async () => {
      const network = tinyNetwork({ inputSize: 3, classes: 2, seed: 5 });
      const optimizer = createOptimizer({ type: 'adam', learningRate: 0.01 }, float64Backend);
      return lastValueFrom(memoryDataset(exampleBlocks({ rows: 32, cols: 3, classes: 2, blockRows: 8 })).pipe(trainEpoch({ network, optimizer, epoch: 1, batchSize: 8 }), toArray()));
    };
    const [a, b] = [await run(), await run()];
    expect(stepsDiffer(a, b)).toBeUndefined();
    expect(stepsDiffer(a, b.map((s, i) => (i === 2 ? { ...s, loss: s.loss * 1.01 } : s)))).toMatch(/^step 2: loss /);
    expect(stepsDiffer(a, b.slice(1))).toBe('4 steps, expected 3');
  });
});

describe('the rxgrad/testing subpath', () => {
  it('resolves from the package, and stays out of the root API', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = "const m = await import('rxgrad/testing'); const r = await import('rxgrad'); console.log(JSON.stringify([Object.keys(m).sort(), 'memoryDataset' in r]));";
    const [names, inRoot] = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as [string[], boolean];
    expect(names).toEqual(['blockOf', 'exampleBlocks', 'memoryCheckpoints', 'memoryDataset', 'miniBatchOf', 'replay', 'stepsDiffer', 'tinyNetwork']);
    expect(inRoot).toBe(false);
  });
});
