import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { DataError } from '../../../src/errors.js';
import { readCsv } from '../../../src/streams/csv/readCsv.js';
import { inspectParquet, readParquet } from '../../../src/streams/parquet/readParquet.js';
import { inspectData, readData } from '../../../src/streams/readData.js';
import { tempDir } from '../../helpers/files.js';

// Written by @dsnp/parquetjs (another implementation than the parquet-wasm reader) from the
// pandas CSV fixture, in row groups of 100: test/fixtures/parquet/make_fixture.mjs.
const PARQUET = path.resolve('test/fixtures/parquet/blobs-train.parquet');
const CSV = path.resolve('test/fixtures/csv/blobs-train.csv');
const FEATURES = ['sepal', 'petal', 'stem', 'leaf'];

describe('readParquet', () => {
  it('reads a file another Parquet writer made, row group by row group, as the same rows as its CSV source', async () => {
    const blocks = await lastValueFrom(readParquet(PARQUET, { features: FEATURES }).pipe(toArray()));
    expect(blocks.map((b) => [b.rows, b.firstRow, b.cols])).toEqual([
      [100, 0, 4],
      [100, 100, 4],
      [40, 200, 4],
    ]);
    const fromCsv = await lastValueFrom(readCsv(CSV, { features: FEATURES, blockRows: 100 }).pipe(toArray()));
    blocks.forEach((b, i) => {
      expect(Array.from(b.features)).toEqual(Array.from(fromCsv[i]!.features));
      expect(Array.from(b.labels)).toEqual(Array.from(fromCsv[i]!.labels));
    });
    expect(await lastValueFrom(readData(PARQUET, { features: FEATURES }).pipe(toArray()))).toHaveLength(3);
  });

  it('streams: a row group is read from disk only after the block before it has gone downstream', async () => {
    const events: string[] = [];
    // Row groups are decoded on the reader's worker thread: what it is asked, and when, is seen here.
    const realPost = Worker.prototype.postMessage;
    const read = vi.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (
      this: Worker,
      ...args: Parameters<Worker['postMessage']>
    ) {
      const request = args[0] as { type?: string; group?: number; limit?: number };
      // The one-row read of the first group is the schema; the others are the rows.
      if (request?.type === 'read' && request.group !== undefined && request.limit === undefined) events.push(`read ${request.group}`);
      return realPost.apply(this, args);
    });
    try {
      await lastValueFrom(
        readParquet(PARQUET, { features: FEATURES }).pipe(
          tap((b) => events.push(`block ${b.firstRow}`)),
          toArray(),
        ),
      );
    } finally {
      read.mockRestore();
    }
    expect(events).toEqual(['read 0', 'block 0', 'read 1', 'block 100', 'read 2', 'block 200']);
  });

  it('resolves columns as readArrow does, and says which text columns it leaves out', async () => {
    const layout = await inspectParquet(PARQUET);
    expect(layout).toMatchObject({ label: 'label', features: FEATURES, cols: 4, ignored: ['id (text)'] });
    expect(await inspectData(PARQUET, { features: FEATURES })).toMatchObject({ features: FEATURES });
    await expect(inspectParquet(PARQUET, { features: ['id'] })).rejects.toThrow(/column 'id': a feature column is not numeric/);
  });

  it('names the file when it is missing or not Parquet', async () => {
    await expect(lastValueFrom(readParquet('/no/such.parquet'))).rejects.toThrow(/no\/such.parquet: cannot open the file: no such file/);
    const bad = path.join(tempDir(), 'bad.parquet');
    writeFileSync(bad, 'PAR1 not really');
    const error = await lastValueFrom(readParquet(bad)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toMatch(/bad.parquet: not a Parquet file/);
  });
});
