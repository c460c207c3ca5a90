import { Field, Float64, Int32, makeData, RecordBatch, Schema, Struct, tableFromArrays } from 'apache-arrow';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../../src/errors.js';
import { type RecordBatchSource, recordBatchBlocks } from '../../../src/streams/arrow/recordBatchBlocks.js';

/** Record batches of columns a (float64) and label (int32), `sizes` rows each, numbered from 0. */
function batchesOf(sizes: readonly number[]): { schema: Schema; batches: RecordBatch[] } {
  let first = 0;
  const batches = sizes.map((rows) => {
    const a = Float64Array.from({ length: rows }, (_, i) => first + i);
    const label = Int32Array.from({ length: rows }, (_, i) => (first + i) % 3);
    first += rows;
    return tableFromArrays({ a, label }).batches[0] ?? emptyBatch();
  });
  return { schema: batches[0]!.schema, batches };
}
function emptyBatch(): RecordBatch {
  const schema = new Schema([new Field('a', new Float64()), new Field('label', new Int32())]);
  const children = [makeData({ type: new Float64(), length: 0 }), makeData({ type: new Int32(), length: 0 })];
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 0, children }));
}

/** A source over in-memory batches that records what is read and whether it was closed. */
function memorySource(sizes: readonly number[], options: { declared?: number; failAt?: number } = {}) {
  const { schema, batches } = batchesOf(sizes);
  const events: string[] = [];
  let closed = 0;
  const source: RecordBatchSource = {
    schema,
    declared: options.declared,
    batches: () => {
      let i = 0;
      return {
        next: async () => {
          if (i === options.failAt) throw new Error('bad bytes');
          if (i >= batches.length) return { done: true, value: undefined };
          events.push(`read ${i}`);
          return { done: false, value: batches[i++]! };
        },
      };
    },
    close: async () => void closed++,
  };
  return { open: async () => source, events, closed: () => closed };
}

describe('recordBatchBlocks, the one record-batch engine', () => {
  it('turns each record batch into a block, counting rows across batches and skipping empty ones', async () => {
    const { open, closed } = memorySource([3, 0, 2]);
    const blocks = await lastValueFrom(recordBatchBlocks('mem', open, {}).pipe(toArray()));
    expect(blocks.map((b) => [b.firstRow, b.rows, b.cols])).toEqual([
      [0, 3, 1],
      [3, 2, 1],
    ]);
    expect(blocks.flatMap((b) => Array.from(b.features))).toEqual([0, 1, 2, 3, 4]);
    expect(blocks.flatMap((b) => Array.from(b.labels))).toEqual([0, 1, 2, 0, 1]);
    expect(closed()).toBe(1);
  });

  it('reads one record batch ahead of the block going downstream, and no further', async () => {
    const { open, events } = memorySource([2, 2, 2, 2]);
    await lastValueFrom(
      recordBatchBlocks('mem', open, {}).pipe(
        tap((b) => events.push(`block ${b.firstRow}`)),
        toArray(),
      ),
    );
    expect(events).toEqual(['read 0', 'read 1', 'block 0', 'read 2', 'block 2', 'read 3', 'block 4', 'block 6']);
  });

  it('closes the source when unsubscribed early, and reads nothing more', async () => {
    const { open, events, closed } = memorySource([2, 2, 2, 2]);
    await lastValueFrom(recordBatchBlocks('mem', open, {}).pipe(take(1)));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed()).toBeGreaterThanOrEqual(1);
    expect(events).toEqual(['read 0', 'read 1']);
  });

  it('names the file and the record batch when a read fails, and when fewer batches arrive than declared', async () => {
    const failing = memorySource([2, 2, 2], { failAt: 1 });
    const error = await lastValueFrom(recordBatchBlocks('mem.arrow', failing.open, {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toMatch(/^mem\.arrow: record batch 1 cannot be read: bad bytes/);
    expect(failing.closed()).toBeGreaterThanOrEqual(1);
    const short = memorySource([2, 2], { declared: 3 });
    await expect(lastValueFrom(recordBatchBlocks('mem.arrow', short.open, {}))).rejects.toThrow(
      /the file holds 3 record batches, but only 2 could be read/,
    );
  });

  it('a source with no rows is an error, not an empty dataset', async () => {
    await expect(lastValueFrom(recordBatchBlocks('mem.arrow', memorySource([0]).open, {}))).rejects.toThrow(
      /mem\.arrow: the dataset has no rows/,
    );
  });

  it('reuses one pair of arrays with recycle, allocating only when a batch is larger', async () => {
    const { open } = memorySource([3, 2, 3]);
    const buffers = await lastValueFrom(recordBatchBlocks('mem', open, { recycle: true }).pipe(toArray()));
    expect(buffers[0]!.features.buffer).toBe(buffers[1]!.features.buffer);
    expect(buffers[1]!.features.buffer).toBe(buffers[2]!.features.buffer);
  });
});
