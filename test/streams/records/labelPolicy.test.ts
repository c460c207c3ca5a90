import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { Table as ParquetTable, writeParquet } from 'parquet-wasm';
import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../../src/errors.js';
import { readData } from '../../../src/streams/readData.js';
import { classIndexProblem, DEFAULT_MAX_CLASSES, unknownClassProblem } from '../../../src/streams/records/labelPolicy.js';
import { tempDir } from '../../helpers/files.js';

/** The same two-column table as CSV, Arrow and Parquet. */
function writeAll(dir: string, name: string, labels: readonly number[]): string[] {
  const a = Float64Array.from(labels, (_, i) => i / 10);
  const table = tableFromArrays({ a, label: Float64Array.from(labels) });
  const csv = path.join(dir, `${name}.csv`);
  writeFileSync(csv, `a,label\n${labels.map((l, i) => `${a[i]},${l}`).join('\n')}\n`);
  const arrow = path.join(dir, `${name}.arrow`);
  writeFileSync(arrow, tableToIPC(table, 'file'));
  const parquet = path.join(dir, `${name}.parquet`);
  writeFileSync(parquet, writeParquet(ParquetTable.fromIPCStream(tableToIPC(table, 'stream'))));
  return [csv, arrow, parquet];
}

describe('one label policy for Arrow, Parquet and CSV', () => {
  it('checks a numeric label the same way', () => {
    expect(classIndexProblem(2, {})).toBeUndefined();
    expect(classIndexProblem(1.5, {})?.problem).toBe('the label is not a whole number');
    expect(classIndexProblem(Number.NaN, {})?.problem).toBe('the label is not a whole number');
    expect(classIndexProblem(-1, {})?.problem).toBe('the label is negative');
    expect(classIndexProblem(3, { classes: 3 })?.problem).toBe('the label is out of range');
    expect(classIndexProblem(DEFAULT_MAX_CLASSES, {})?.problem).toBe(`the label implies more than ${DEFAULT_MAX_CLASSES} classes`);
    expect(classIndexProblem(DEFAULT_MAX_CLASSES, { classes: DEFAULT_MAX_CLASSES + 1 })).toBeUndefined();
    expect(unknownClassProblem(Array.from({ length: 12 }, (_, i) => `c${i}`)).expected).toBe(
      'one of c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, …',
    );
  });

  const cases: [string, number[], Record<string, unknown>, RegExp][] = [
    ['fraction', [0, 1, 1.5], {}, /the label is not a whole number \(expected an integer class index/],
    ['negative', [0, 1, -1], {}, /the label is negative \(expected a class index ≥ 0/],
    ['range', [0, 1, 3], { classes: 3 }, /the label is out of range \(expected a class index below 3/],
    ['huge', [0, 1, 20_000], {}, /the label implies more than 10000 classes/],
    ['custom', [0, 1, 50], { maxClasses: 40 }, /the label implies more than 40 classes/],
  ];
  for (const [name, labels, options, message] of cases) {
    it(`gives every format the same error for a ${name} label, naming where it is`, async () => {
      const dir = tempDir();
      for (const file of writeAll(dir, name, labels)) {
        const error = await lastValueFrom(readData(file, options)).catch((e: unknown) => e);
        expect(error, file).toBeInstanceOf(DataError);
        expect((error as DataError).message, file).toMatch(message);
        expect((error as DataError).file).toBe(file);
        expect((error as DataError).column).toBe('label');
        // The bad label is the third row: CSV counts lines (the header is line 1), Arrow and Parquet rows from 0.
        if (file.endsWith('.csv')) expect((error as DataError).line).toBe(4);
        else expect((error as DataError).row).toBe(2);
      }
    });
  }
});
