import { readFileSync } from 'node:fs';
import path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { inferClassNames, readData } from '../../src/streams/readData.js';

// One dataset written by each writer and setting people use (test/fixtures/writers/make_fixtures.py:
// pyarrow 25, pandas 3.0, polars 1.44, DuckDB 1.5, fastparquet 2026.9). Every file must give
// back every row, feature and label of expected.json.
const dir = path.resolve('test/fixtures/writers');
const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { features: number[][]; labels: number[]; classNames: string[] };
const FEATURES = ['f0', 'f1', 'f2', 'f3'];

async function rowsOf(file: string, options: { delimiter?: string; features?: string[] } = {}) {
  const at = path.join(dir, file);
  const { names } = await inferClassNames(at, { label: 'label', ...options });
  const blocks = await lastValueFrom(readData(at, { label: 'label', ...options, ...(names ? { classNames: names } : {}) }).pipe(toArray()));
  const features: number[][] = [];
  const labels: number[] = [];
  for (const b of blocks) {
    for (let i = 0; i < b.rows; i++) {
      features.push(Array.from(b.features.subarray(i * b.cols, (i + 1) * b.cols), Number));
      labels.push(b.labels[i]!);
    }
  }
  return { features, labels, names };
}

const ARROW = [
  ...['none', 'lz4', 'zstd'].flatMap((c) => [`pyarrow-file-${c}.arrow`, `pyarrow-stream-${c}.arrows`]),
  'pandas-to-feather.feather',
  'polars.arrow',
  'label-int8.arrow',
  'label-uint16.arrow',
  'label-int64.arrow',
  'features-float16.arrow',
  'nullable-no-nulls.arrow',
];
const PARQUET = [...['snappy', 'zstd', 'gzip', 'brotli', 'lz4', 'none'].flatMap((c) => [`pyarrow-${c}-v1.parquet`, `pyarrow-${c}-v2.parquet`]), 'polars.parquet', 'duckdb.parquet', 'fastparquet.parquet'];
const CSV = ['pandas-index.csv', 'pandas-crlf.csv', 'pandas-bom.csv', 'pandas.csv.gz'];

describe('files from the writers people use', () => {
  it.each([...ARROW, ...PARQUET, ...CSV])('%s: every row, feature and label', async (file) => {
    const read = await rowsOf(file);
    expect(read.features).toEqual(expected.features);
    expect(read.labels).toEqual(expected.labels);
  });

  it.each(['label-dictionary.arrow', 'label-large-string.arrow'])('%s: text labels (ZSTD/LZ4-compressed), as class names', async (file) => {
    const read = await rowsOf(file);
    expect(read.names).toEqual(expected.classNames);
    expect(read.labels).toEqual(expected.labels);
    expect(read.features).toEqual(expected.features);
  });

  it('quoted text with commas and quotes in a CSV: read around, the text labels as class names', async () => {
    const read = await rowsOf('pandas-quoted-text.csv', { features: FEATURES });
    expect(read.names).toEqual(expected.classNames);
    expect(read.features).toEqual(expected.features);
    expect(read.labels).toEqual(expected.labels);
  });

  it('a null in a feature column is a DataError naming the row and column', async () => {
    const error = await rowsOf('nullable-with-null.arrow').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toMatch(/column 'f2', row 123: null value in a feature column/);
  });
});
