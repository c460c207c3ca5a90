import path from 'node:path';
import { lastValueFrom, map, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { createNetwork } from '../../src/model/network.js';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import { fit } from '../../src/operators/fit.js';
import { summarize } from '../../src/operators/summarize.js';
import { miniBatches } from '../../src/streams/miniBatches.js';
import { type MiniBatchSource, prefetchBatches } from '../../src/streams/prefetchBatches.js';
import { readArrow } from '../../src/streams/readArrow.js';
import { writeColumnsLayout } from '../helpers/arrowFiles.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const plain = (b: { x: { data: ArrayLike<number> }; labels: ArrayLike<number>; size: number; index: number; epoch: number }) => ({
  x: Array.from(b.x.data),
  labels: Array.from(b.labels),
  size: b.size,
  index: b.index,
  epoch: b.epoch,
});

describe('prefetchBatches', () => {
  const sources: MiniBatchSource[] = [];
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.close()));
  });
  const open = (...args: Parameters<typeof prefetchBatches>) => {
    const source = prefetchBatches(...args);
    sources.push(source);
    return source;
  };

  it('gives the same batches, in the same order, as readArrow and miniBatches in this thread, epoch after epoch', async () => {
    const source = open(DIGITS_TRAIN, { batchSize: 100, seed: 3, ahead: 2 });
    for (const epoch of [0, 1]) {
      const fromWorker = await lastValueFrom(source.batches(epoch).pipe(map(plain), toArray()));
      const here = await lastValueFrom(readArrow(DIGITS_TRAIN).pipe(miniBatches({ batchSize: 100, seed: 3, epoch }), map(plain), toArray()));
      expect(fromWorker.length).toBe(15);
      expect(fromWorker).toEqual(here);
    }
  });

  it('trains to exactly the weights fit reaches reading in this thread', async () => {
    const { standardizer } = await lastValueFrom(readArrow(DIGITS_TRAIN).pipe(summarize()));
    const run = async (prefetch: boolean) => {
      const network = createNetwork({ inputSize: 64, classes: 10, hidden: [16], seed: 2 });
      const optimizer = createOptimizer({ type: 'adam', learningRate: 0.01 }, network.backend);
      const examples = prefetch ? open(DIGITS_TRAIN, { batchSize: 64, seed: 5, minLastBatch: 2 }) : readArrow(DIGITS_TRAIN);
      await lastValueFrom(fit(examples, { network, optimizer, standardizer, epochs: 2, batchSize: 64, seed: 5 }));
      return network.params.map((p) => Array.from(p.value));
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('can stop an epoch early and start the next one', async () => {
    const source = open(DIGITS_TRAIN, { batchSize: 10, seed: 1, ahead: 4 });
    const first = await lastValueFrom(source.batches(0).pipe(take(3), toArray()));
    expect(first.map((b) => b.index)).toEqual([0, 1, 2]);
    const next = await lastValueFrom(source.batches(1).pipe(toArray()));
    expect(next.length).toBe(144);
    expect(next[0]!.epoch).toBe(1);
  });

  it('passes bad data on as a DataError naming the file, column and row', async () => {
    const a = Float64Array.of(1, 2, Number.NaN, 4);
    const file = await writeColumnsLayout(tempDir(), { a, label: new BigInt64Array(4) }, 'nan.arrow');
    const error = await lastValueFrom(open(file, { batchSize: 2 }).batches(0)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error).toMatchObject({ file, column: 'a', row: 2 });
    expect((error as Error).message).toMatch(/nan.arrow, column 'a', row 2: non-finite feature value/);
    expect(path.basename(file)).toBe('nan.arrow');
  });
});
