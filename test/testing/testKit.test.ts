import { filter, lastValueFrom, map, merge, type Observable, takeWhile, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import { float64Backend } from '../../src/model/typescriptBackend.js';
import { type FitEvent, fit } from '../../src/operators/fit.js';
import { trainEpoch } from '../../src/operators/trainEpoch.js';
import {
  blockOf,
  exampleBlocks,
  memoryBabysitStore,
  memoryCheckpoints,
  memoryDataset,
  miniBatchOf,
  replay,
  stepsDiffer,
  tinyNetwork,
} from '../../src/testing/index.js';
import { type BabysitControl, type BabysitEvent, babysitLoop } from '../../src/training/babysitLoop.js';
import { DEFAULT_TRAINING_CONFIG } from '../../src/training/trainingConfig.js';
import { AshaPruner } from '../../src/tuning/asha.js';

const marbles = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('rxgrad/testing', () => {
  it('exampleBlocks and blockOf make the blocks readArrow would, the same for a seed', () => {
    const blocks = exampleBlocks({ rows: 10, cols: 3, classes: 2, blockRows: 4, seed: 1 });
    expect(blocks.map((b) => [b.rows, b.firstRow, b.cols])).toEqual([
      [4, 0, 3],
      [4, 4, 3],
      [2, 8, 3],
    ]);
    expect(exampleBlocks({ rows: 10, cols: 3, classes: 2, blockRows: 4, seed: 1 })).toEqual(blocks);
    expect(exampleBlocks({ rows: 10, cols: 3, classes: 2, blockRows: 4, seed: 2 })).not.toEqual(blocks);
    expect(blocks.every((b) => Array.from(b.labels).every((l) => l === 0 || l === 1))).toBe(true);
    expect(
      blockOf(
        [
          [0, 1],
          [1, 0],
        ],
        [1, 0],
      ),
    ).toMatchObject({ rows: 2, cols: 2, firstRow: 0 });
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
      // A value that arrives after the one before went out waits its own interval from its arrival.
      expectObservable(replay(cold('a 9ms b|'), { interval: 2 })).toBe('--a 9ms (b|)');
      // By rows: a block of 4 rows at 2,000 rows a second waits 2 ms, one of 8 rows 4 ms.
      const [four, eight] = [blockOf([[0], [1], [2], [3]], [0, 1, 0, 1]), exampleBlocks({ rows: 8, cols: 1, classes: 2 })[0]!];
      expectObservable(replay(cold('(ab|)', { a: four, b: eight }), { rowsPerSecond: 2000 }).pipe(map((b) => String(b.rows)))).toBe(
        '--4---(8|)',
      );
      expectObservable(memoryDataset([four, eight], { rowsPerSecond: 2000 }).pipe(map((b) => String(b.rows)))).toBe('--4---(8|)');
    });
    expect(() => replay(memoryDataset([]), { interval: 1, rowsPerSecond: 1 })).toThrow(/not both/);
  });

  it('babysitLoop in virtual time: a learning-rate change, a rollback that retrains exactly, a stop', () => {
    const store = memoryBabysitStore();
    const events: BabysitEvent[] = [];
    marbles().run(({ hot, expectObservable }) => {
      const network = tinyNetwork({ inputSize: 3, classes: 2, seed: 3 });
      const optimizer = createOptimizer({ type: 'adam', learningRate: 0.01 }, network.backend);
      // A block every 2 frames, two batches an epoch: epochs end at frames 4, 8, 12, …
      const train = memoryDataset(exampleBlocks({ rows: 8, cols: 3, classes: 2, blockRows: 4, seed: 7 }), { interval: 2 });
      const config = { ...DEFAULT_TRAINING_CONFIG, epochs: 6, batchSize: 4, learningRate: 0.01 };
      // After epoch 3 (frame 12): back to epoch 1; after the new epoch 2, a lower rate; a stop during epoch 6.
      const controls = hot<BabysitControl>('13ms r 4ms l 11ms s', {
        r: { type: 'rollback', epoch: 1 },
        l: { type: 'learningRate', value: 0.001 },
        s: { type: 'stop' },
      });
      const run$ = babysitLoop({ train, start: { network, optimizer, epoch: 0 }, config, store, controls, shuffle: false });
      const epochs$ = run$.pipe(
        filter((e) => e.type !== 'batch'),
        map((e) => {
          events.push(e);
          return e.type === 'epoch' ? String(e.epoch) : e.type[0]!;
        }),
      );
      // c: control, r: rolled back, e: end. The rollback interrupts epoch 4; the new branch's epochs end at 17, 21, 25, 29.
      expectObservable(epochs$).toBe('4ms 1 3ms 2 3ms 3 (cr) 2 c 2ms 3 3ms 4 3ms 5 (ce|)');
    });
    const epochMetrics = events.filter((e): e is Extract<BabysitEvent, { type: 'epoch' }> => e.type === 'epoch');
    // Epoch 2 retrained from epoch 1's checkpoint with the same rate: the same loss, bit for bit.
    expect(epochMetrics[3]!.trainLoss).toBe(epochMetrics[1]!.trainLoss);
    expect(epochMetrics[3]!.learningRate).toBe(0.01);
    // Epoch 3 of the new branch trained at the new rate.
    expect(epochMetrics[4]!.learningRate).toBe(0.001);
    expect(epochMetrics[4]!.trainLoss).not.toBe(epochMetrics[2]!.trainLoss);
    expect(store.epochs).toEqual([1, 2, 3, 4, 5]);
    expect(store.setAside).toEqual([[2, 3]]);
    expect(events.at(-1)).toEqual({ type: 'end', epochs: 5, stopped: true });
    expect(events.find((e) => e.type === 'rolled-back')).toEqual({ type: 'rolled-back', epoch: 1, setAside: 'memory:abandoned-1' });
  });

  it("ASHA pruning of three fits, decided in each one's checkpoint hook, in virtual time", () => {
    const pruner = new AshaPruner({ minEpochs: 1, maxEpochs: 4, eta: 3 });
    const decisions: string[] = [];
    marbles().run(({ expectObservable }) => {
      const trial = (name: string, learningRate: number, delay: number): Observable<string> => {
        const network = tinyNetwork({ inputSize: 3, classes: 2, seed: 1 });
        const data = memoryDataset(exampleBlocks({ rows: 16, cols: 3, classes: 2, blockRows: 8, seed: 2 }), { interval: delay });
        let goOn = true;
        const optimizer = createOptimizer({ type: 'sgd', learningRate }, network.backend);
        return fit(data, {
          network,
          optimizer,
          epochs: 4,
          batchSize: 8,
          shuffle: false,
          validation: memoryDataset(exampleBlocks({ rows: 16, cols: 3, classes: 2, seed: 2 })),
          onEpochEnd: (m) => {
            const decision = pruner.report({ trial: name, epoch: m.epoch, score: -m.validation!.loss });
            goOn = decision.decision === 'continue';
            if (decision.rung !== undefined) decisions.push(`${name}@${m.epoch}:${decision.decision}`);
          },
        }).pipe(
          filter((e) => e.type === 'epoch'),
          takeWhile(() => goOn, true),
          map((e) => `${name}${e.epoch}`),
        );
      };
      // Three trials report their rung-1 results at frames 2, 4 and 6 (a block every 1, 2, 3 frames);
      // the pruned ones stop there, the survivor trains its four epochs by frame 8.
      const study = merge(trial('a', 0.5, 1), trial('b', 1e-4, 2), trial('c', 0.3, 3));
      expectObservable(
        study.pipe(
          toArray(),
          map((names) => names.join(' ')),
        ),
      ).toBe('8ms (x|)', { x: 'a1 b1 a2 c1 a3 a4' });
    });
    expect(decisions).toEqual(['a@1:continue', 'b@1:prune', 'c@1:prune', 'a@3:continue']);
  });

  it('a tiny network, an in-memory dataset and checkpoint store: a 3-epoch fit in virtual time', () => {
    let store: ReturnType<typeof memoryCheckpoints> | undefined;
    marbles().run(({ expectObservable }) => {
      const network = tinyNetwork({ inputSize: 3, classes: 2 });
      store = memoryCheckpoints(network);
      const data = memoryDataset(exampleBlocks({ rows: 8, cols: 3, classes: 2, blockRows: 4 }), { interval: 1 });
      const events = fit(data, {
        network,
        optimizer: createOptimizer({ type: 'sgd', learningRate: 0.1 }, network.backend),
        epochs: 3,
        batchSize: 4,
        shuffle: false,
        validation: data,
        onEpochEnd: store.save,
      });
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
      return lastValueFrom(
        memoryDataset(exampleBlocks({ rows: 32, cols: 3, classes: 2, blockRows: 8 })).pipe(
          trainEpoch({ network, optimizer, epoch: 1, batchSize: 8 }),
          toArray(),
        ),
      );
    };
    const [a, b] = [await run(), await run()];
    expect(stepsDiffer(a, b)).toBeUndefined();
    expect(
      stepsDiffer(
        a,
        b.map((s, i) => (i === 2 ? { ...s, loss: s.loss * 1.01 } : s)),
      ),
    ).toMatch(/^step 2: loss /);
    expect(stepsDiffer(a, b.slice(1))).toBe('4 steps, expected 3');
  });
});

describe('the rxgrad/testing subpath', () => {
  it('resolves from the package, and stays out of the root API', async () => {
    const { execFileSync } = await import('node:child_process');
    const script =
      "const m = await import('rxgrad/testing'); const r = await import('rxgrad'); console.log(JSON.stringify([Object.keys(m).sort(), 'memoryDataset' in r]));";
    const [names, inRoot] = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as [
      string[],
      boolean,
    ];
    expect(names).toEqual([
      'blockOf',
      'exampleBlocks',
      'memoryBabysitStore',
      'memoryCheckpoints',
      'memoryDataset',
      'miniBatchOf',
      'replay',
      'stepsDiffer',
      'tinyNetwork',
    ]);
    expect(inRoot).toBe(false);
  });
});
