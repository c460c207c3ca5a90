import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { lastValueFrom, map, take, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../../src/errors.js';
import { miniBatches } from '../../../src/operators/miniBatches.js';
import { inspectArrow, readArrow } from '../../../src/streams/arrow/readArrow.js';
import type { ExampleBlock } from '../../../src/streams/records/examples.js';
import { writeColumnsLayout, writeListLayout, writeWithNull, writeWithStringColumn } from '../../helpers/arrowFiles.js';
import { DIGITS_TRAIN, tempDir } from '../../helpers/files.js';

const read = (file: string, options = {}) => lastValueFrom(readArrow(file, options).pipe(toArray()));

async function expectDataError(promise: Promise<unknown>, pattern: RegExp, fields: Partial<DataError> = {}) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataError);
  expect((error as Error).message).toMatch(pattern);
  expect(error).toMatchObject(fields);
}

describe('readArrow', () => {
  it('reads the fixed-size-list layout with int64 labels, one block per record batch', async () => {
    const file = await writeListLayout(tempDir(), 10, { batchRows: 4 });
    const blocks = await read(file);
    expect(blocks.map((b) => [b.rows, b.cols, b.firstRow])).toEqual([
      [4, 3, 0],
      [4, 3, 4],
      [2, 3, 8],
    ]);
    expect(Array.from(blocks[1]!.features.subarray(0, 3))).toEqual([1.2, 1.3, 1.4].map(Math.fround));
    expect(Array.from(blocks[2]!.labels)).toEqual([2, 0]);
  });

  it('reads the stream format too', async () => {
    const file = await writeListLayout(tempDir(), 5, { batchRows: 2, format: 'stream' });
    const blocks = await read(file);
    expect(blocks.map((b) => b.rows)).toEqual([2, 2, 1]);
  });

  it('reads a pandas-like layout: float64 columns and an int64 label, features in column order', async () => {
    const file = await writeColumnsLayout(tempDir(), {
      b: Float64Array.of(1, 2),
      label: BigInt64Array.of(1n, 0n),
      a: Float64Array.of(10, 20),
    });
    const [block] = await read(file);
    expect(Array.from(block!.features)).toEqual([1, 10, 2, 20]);
    expect(Array.from(block!.labels)).toEqual([1, 0]);
    const picked = await read(file, { features: ['a'] });
    expect(Array.from(picked[0]!.features)).toEqual([10, 20]);
    const layout = await inspectArrow(file);
    expect(layout).toMatchObject({ label: 'label', features: ['b', 'a'], cols: 2, types: ['Float64', 'Float64'] });
  });

  it('reads a custom label column and labels stored as whole floats', async () => {
    const file = await writeColumnsLayout(tempDir(), { a: Float64Array.of(1, 2), y: Float64Array.of(2, 1) });
    const [block] = await read(file, { label: 'y' });
    expect(Array.from(block!.labels)).toEqual([2, 1]);
  });

  it('streams a file of many record batches, emitting the first before reading the last', async () => {
    const file = await writeListLayout(tempDir(), 5000, { batchRows: 100 });
    const first = await lastValueFrom(readArrow(file).pipe(take(1)));
    expect(first.rows).toBe(100);
    let count = 0;
    let rows = 0;
    await new Promise<void>((resolve, reject) =>
      readArrow(file).subscribe({
        next: (b: ExampleBlock) => {
          count++;
          rows += b.rows;
        },
        error: reject,
        complete: resolve,
      }),
    );
    expect([count, rows]).toEqual([50, 5000]);
  });

  it('with recycle, reuses one pair of arrays and mini-batches come out the same', async () => {
    const file = await writeListLayout(tempDir(), 50, { batchRows: 8 });
    const seen = new Set<ArrayBufferLike>();
    const batchesOf = (recycle: boolean) =>
      lastValueFrom(
        readArrow(file, { recycle }).pipe(
          tap((b) => seen.add(b.features.buffer)),
          miniBatches({ batchSize: 7, seed: 2 }),
          map((b) => [Array.from(b.x.data), Array.from(b.labels)]),
          toArray(),
        ),
      );
    const recycled = await batchesOf(true);
    expect(seen.size).toBe(1);
    expect(recycled).toEqual(await batchesOf(false));
    expect(seen.size).toBe(8);
  });

  it('reads the bundled digits: 64 uint8 pixels per row, 10 classes', async () => {
    const blocks = await read(DIGITS_TRAIN);
    expect(blocks.reduce((n, b) => n + b.rows, 0)).toBe(1438);
    expect(blocks[0]!.cols).toBe(64);
    expect(Math.max(...blocks.flatMap((b) => Array.from(b.labels)))).toBe(9);
    expect(Math.max(...blocks.flatMap((b) => Array.from(b.features)))).toBe(16);
  });

  describe('bad input', () => {
    it('a missing file', async () => {
      await expectDataError(read('/nonexistent/train.arrow'), /\/nonexistent\/train.arrow: cannot open the file: no such file/, {
        file: '/nonexistent/train.arrow',
      });
    });

    it('a file that is not Arrow', async () => {
      const file = path.join(tempDir(), 'data.csv');
      writeFileSync(file, 'a,b,label\n1,2,0\n');
      await expectDataError(read(file), /data.csv: not an Arrow IPC file or stream/);
    });

    it('a missing label or feature column', async () => {
      const file = await writeColumnsLayout(tempDir(), { a: Float64Array.of(1), label: BigInt64Array.of(0n) });
      await expectDataError(
        read(file, { label: 'target' }),
        /column 'target': missing label column \(expected a column named 'target', got columns a, label\)/,
        { column: 'target' },
      );
      await expectDataError(read(file, { features: ['a', 'zz'] }), /column 'zz': missing feature column/, { column: 'zz' });
    });

    it('a non-numeric feature column', async () => {
      const file = writeWithStringColumn(tempDir());
      await expectDataError(
        read(file, { features: ['name'] }),
        /column 'name': a feature column is not numeric \(expected numbers or a fixed-size list of numbers, got Utf8\)/,
      );
      // By default, non-numeric columns are not features.
      const [block] = await read(file);
      expect(block!.cols).toBe(1);
    });

    it('NaN and infinite features, with the first bad row across record batches', async () => {
      const a = Float64Array.from({ length: 10 }, (_, i) => i);
      a[7] = Number.NaN;
      const file = await writeColumnsLayout(tempDir(), { a, label: new BigInt64Array(10) }, 'nan.arrow', 4);
      await expectDataError(read(file), /nan.arrow, column 'a', row 7: non-finite feature value \(expected a finite number, got NaN\)/, {
        row: 7,
        column: 'a',
      });
      const dir = tempDir();
      const listFile = await writeListLayout(dir, 6, { batchRows: 4 });
      const features = Float32Array.from({ length: 18 }, () => 1);
      features[5 * 3 + 2] = Number.POSITIVE_INFINITY;
      const { writeArrowFile } = await import('../../../src/streams/arrow/arrowColumns.js');
      await writeArrowFile(
        listFile,
        [
          { name: 'x', values: features, listSize: 3 },
          { name: 'label', values: new Int32Array(6) },
        ],
        { batchRows: 4 },
      );
      await expectDataError(read(listFile), /column 'x\[2\]', row 5: non-finite feature value \(expected a finite number, got Infinity\)/);
    });

    it('a wide table of mixed number types: every value in row-major order, and the first bad row of any column', async () => {
      const rows = 531; // more than one tile of 256 rows, and not a multiple of 8
      const kinds = [Uint8Array, Int16Array, Int32Array, Float32Array, Float64Array] as const;
      const value = (r: number, j: number) => ((r * 7 + j * 3) % 100) - (j % 2 === 1 ? 50 : 0);
      const columns: Record<string, ArrayLike<number>> = Object.fromEntries(
        Array.from({ length: 13 }, (_, j) => {
          const column = new kinds[j % kinds.length]!(rows);
          for (let r = 0; r < rows; r++) column[r] = value(r, j);
          return [`c${j}`, column];
        }),
      );
      const dir = tempDir();
      const file = await writeColumnsLayout(dir, { ...columns, label: new Int32Array(rows) } as never, 'wide.arrow', 400);
      const blocks = await read(file);
      const features = blocks.flatMap((b) => Array.from(b.features));
      expect(features).toEqual(Array.from({ length: rows * 13 }, (_, at) => columns[`c${at % 13}`]![Math.floor(at / 13)]));
      // Huge finite values whose sum overflows, and +Infinity beside -Infinity in one group of eight.
      const huge = Float64Array.from({ length: rows }, () => 1e308);
      await expect(read(await writeColumnsLayout(dir, { a: huge, label: new Int32Array(rows) }, 'huge.arrow', 400))).resolves.toHaveLength(
        2,
      );
      const c3 = Float32Array.from(columns.c3!);
      const c9 = Float64Array.from(columns.c9!);
      c9[300] = Number.NEGATIVE_INFINITY;
      c9[301] = Number.POSITIVE_INFINITY;
      c3[305] = Number.NaN;
      c3[100 + 400] = Number.NaN;
      const bad = await writeColumnsLayout(dir, { ...columns, c3, c9, label: new Int32Array(rows) } as never, 'bad.arrow', 400);
      await expectDataError(
        read(bad),
        /bad.arrow, column 'c9', row 300: non-finite feature value \(expected a finite number, got -Infinity\)/,
        { row: 300, column: 'c9' },
      );
      c9.fill(0);
      c3[305] = 0;
      await expectDataError(
        read(await writeColumnsLayout(dir, { ...columns, c3, c9, label: new Int32Array(rows) } as never, 'late.arrow', 400)),
        /column 'c3', row 500: .*got NaN/,
        { row: 500 },
      );
    });

    it('a null feature', async () => {
      await expectDataError(read(writeWithNull(tempDir(), 2)), /column 'a', row 2: null value in a feature column/);
    });

    it('negative, fractional and out-of-range labels', async () => {
      const dir = tempDir();
      const a = new Float64Array(3);
      await expectDataError(
        read(await writeColumnsLayout(dir, { a, label: BigInt64Array.of(0n, -1n, 2n) }, 'neg.arrow')),
        /column 'label', row 1: the label is negative \(expected a class index ≥ 0, got -1\)/,
      );
      await expectDataError(
        read(await writeColumnsLayout(dir, { a, label: Float64Array.of(0, 1, 1.5) }, 'frac.arrow')),
        /row 2: the label is not a whole number/,
      );
      await expectDataError(
        read(await writeColumnsLayout(dir, { a, label: BigInt64Array.of(0n, 3n, 2n) }, 'big.arrow'), { classes: 3 }),
        /row 1: the label is out of range \(expected a class index below 3, got 3\)/,
      );
    });

    it('an empty dataset', async () => {
      const file = await writeColumnsLayout(tempDir(), { a: new Float64Array(0), label: new BigInt64Array(0) });
      await expectDataError(read(file), /the dataset has no rows/);
    });
  });

  it('reads without labels for prediction', async () => {
    const file = await writeColumnsLayout(tempDir(), { a: Float64Array.of(1, 2) });
    await expectDataError(read(file), /missing label column/);
    const [block] = await read(file, { unlabelled: true });
    expect(Array.from(block!.labels)).toEqual([-1, -1]);
  });
});

describe('readArrow keepBytes', () => {
  it('keeps uint8 pixels as bytes, and floats as floats', async () => {
    const bytes = await lastValueFrom(readArrow(DIGITS_TRAIN, { keepBytes: true }).pipe(toArray()));
    const floats = await lastValueFrom(readArrow(DIGITS_TRAIN).pipe(toArray()));
    expect(bytes[0]!.features).toBeInstanceOf(Uint8Array);
    expect(floats[0]!.features).toBeInstanceOf(Float32Array);
    expect(bytes.map((b) => Array.from(b.features))).toEqual(floats.map((b) => Array.from(b.features)));
    const file = await writeListLayout(tempDir(), 5);
    const [block] = await lastValueFrom(readArrow(file, { keepBytes: true }).pipe(toArray()));
    expect(block!.features).toBeInstanceOf(Float32Array);
  });

  it('mini-batches of bytes hold the same values, a quarter of the memory', async () => {
    const batches = (keepBytes: boolean) =>
      lastValueFrom(readArrow(DIGITS_TRAIN, { keepBytes }).pipe(miniBatches({ batchSize: 100, seed: 4 }), toArray()));
    const [bytes, floats] = await Promise.all([batches(true), batches(false)]);
    expect(bytes[0]!.x.data).toBeInstanceOf(Uint8Array);
    expect(bytes.map((b) => Array.from(b.x.data))).toEqual(floats.map((b) => Array.from(b.x.data)));
  });
});
