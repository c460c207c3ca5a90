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
const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as {
  features: number[][];
  labels: number[];
  classNames: string[];
};
const FEATURES = ['f0', 'f1', 'f2', 'f3'];

async function rowsOf(file: string, options: { delimiter?: string; decimal?: ',' | '.'; features?: string[] } = {}) {
  const at = path.resolve(dir, file);
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
const PARQUET = [
  ...['snappy', 'zstd', 'gzip', 'brotli', 'lz4', 'none'].flatMap((c) => [`pyarrow-${c}-v1.parquet`, `pyarrow-${c}-v2.parquet`]),
  'polars.parquet',
  'duckdb.parquet',
  'fastparquet.parquet',
  'pyarrow-one-row-groups.parquet',
];
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

  it('two columns of one name in a Parquet file are refused, naming both, never read as the first twice', async () => {
    await expect(rowsOf('pyarrow-duplicate-names.parquet')).rejects.toThrow(
      /pyarrow-duplicate-names\.parquet, column 'f0': two columns have the same name \(expected every column named once, got columns 1 and 2\)/,
    );
  });

  it('quoted text with commas and quotes in a CSV: read around, the text labels as class names', async () => {
    const read = await rowsOf('pandas-quoted-text.csv', { features: FEATURES });
    expect(read.names).toEqual(expected.classNames);
    expect(read.features).toEqual(expected.features);
    expect(read.labels).toEqual(expected.labels);
  });

  it("df.to_feather()'s file trains from the command line", async () => {
    const { cli } = await import('../helpers/cli.js');
    const result = await cli(['train', '--data', path.join(dir, 'pandas-to-feather.feather'), '--hidden', '16', '--epochs', '3', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const last = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { examples: number; trainAccuracy: number };
    expect(last.examples).toBe(300);
  });

  it('--fill-missing mean|zero fills nulls and empty CSV cells with the training means (kept in the model, used by predict) or zeros', async () => {
    const { cli } = await import('../helpers/cli.js');
    const { tempDir } = await import('../helpers/files.js');
    const { writeFileSync } = await import('node:fs');
    const holed = path.join(dir, 'nullable-with-null.arrow');
    const refused = await cli(['train', '--data', holed, '--epochs', '1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /column 'f2', row 123: null value in a feature column \(expected a number \(or --fill-missing mean\|zero\)\)/,
    );
    const model = path.join(tempDir(), 'model');
    const trained = await cli(['train', '--data', holed, '--hidden', '8', '--epochs', '1', '--fill-missing', 'mean', '--save', model]);
    expect(trained.code, trained.stderr).toBe(0);
    const fill = (JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8')) as { columns: { fillMissing: number[] } }).columns
      .fillMissing;
    const mean = (j: number, skip?: number) => {
      const values = expected.features.filter((_, i) => i !== skip).map((row) => row[j]!);
      return values.reduce((a, b) => a + b, 0) / values.length;
    };
    expect(fill).toHaveLength(4);
    [mean(0), mean(1), mean(2, 123), mean(3)].forEach((m, j) => expect(fill[j]).toBeCloseTo(m, 10));
    const out = path.join(tempDir(), 'predictions.csv');
    expect((await cli(['predict', '--model', model, '--data', holed, '--out', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(301);
    // An empty cell in a CSV file, filled with zero.
    const csv = path.join(tempDir(), 'holed.csv');
    writeFileSync(
      csv,
      [
        'f0,f1,f2,f3,label',
        ...expected.features.map((row, i) => [...row.map((v, j) => (i === 5 && j === 1 ? '' : String(v))), expected.labels[i]].join(',')),
      ].join('\n'),
    );
    expect((await cli(['train', '--data', csv, '--epochs', '1'])).stderr).toMatch(
      /line 7, column 'f1': the feature is not a finite number/,
    );
    const zero = path.join(tempDir(), 'zero');
    expect((await cli(['train', '--data', csv, '--hidden', '8', '--epochs', '1', '--fill-missing', 'zero', '--save', zero])).code).toBe(0);
    expect(
      (JSON.parse(readFileSync(path.join(zero, 'model.json'), 'utf8')) as { columns: { fillMissing: number[] } }).columns.fillMissing,
    ).toEqual([0, 0, 0, 0]);
  });

  it('babysit and tune take --fill-missing too: the checkpoints keep the means, and no trial fails on the nulls', async () => {
    const { cli, lastJson } = await import('../helpers/cli.js');
    const { tempDir } = await import('../helpers/files.js');
    const holed = path.join(dir, 'nullable-with-null.arrow');
    const model = path.join(tempDir(), 'model');
    expect((await cli(['train', '--data', holed, '--hidden', '8', '--epochs', '1', '--fill-missing', 'mean', '--save', model])).code).toBe(
      0,
    );
    const fillOf = (where: string) =>
      (JSON.parse(readFileSync(path.join(where, 'model.json'), 'utf8')) as { columns: { fillMissing?: number[] } }).columns.fillMissing;
    const run = path.join(tempDir(), 'run');
    expect((await cli(['babysit', '--data', holed, '--dir', run, '--hidden', '8', '--epochs', '1'])).code).toBe(1);
    const babysat = await cli([
      'babysit',
      '--data',
      holed,
      '--dir',
      run,
      '--hidden',
      '8',
      '--epochs',
      '2',
      '--fill-missing',
      'mean',
      '--json',
    ]);
    expect(babysat.code, babysat.stderr).toBe(0);
    expect(fillOf(path.join(run, 'epoch-0002'))).toEqual(fillOf(model));
    const study = path.join(tempDir(), 'study');
    const tuned = await cli([
      'tune',
      '--data',
      holed,
      '--study',
      study,
      '--trials',
      '2',
      '--epochs',
      '1',
      '--parallel',
      '1',
      '--fill-missing',
      'zero',
      '--json',
    ]);
    expect(tuned.code, tuned.stderr).toBe(0);
    expect(lastJson(tuned.stdout)).toMatchObject({ finished: 2, failed: 0 });
    const refused = await cli([
      'tune',
      '--data',
      holed,
      '--study',
      path.join(tempDir(), 'other'),
      '--trials',
      '1',
      '--epochs',
      '1',
      '--parallel',
      '1',
      '--json',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/null value in a feature column/);
  });

  it("pandas' sep=';', decimal=',': read with --delimiter ';' --decimal ,, in every command", async () => {
    const read = await rowsOf('pandas-semicolon-decimal-comma.csv', { delimiter: ';', decimal: ',' });
    expect(read.features).toEqual(expected.features);
    expect(read.labels).toEqual(expected.labels);
    const { cli } = await import('../helpers/cli.js');
    const { tempDir } = await import('../helpers/files.js');
    const file = path.join(dir, 'pandas-semicolon-decimal-comma.csv');
    expect((await cli(['train', '--data', file, '--delimiter', ';', '--epochs', '1'])).stderr).toMatch(
      /no feature columns \(expected at least one column of numbers besides the label \(--decimal ',' reads 3,14 as a number\), got not numbers: f0 \(decimal comma\)/,
    );
    const model = path.join(tempDir(), 'model');
    expect(
      (await cli(['train', '--data', file, '--delimiter', ';', '--decimal', ',', '--hidden', '8', '--epochs', '1', '--save', model])).code,
    ).toBe(0);
    expect((await cli(['evaluate', '--model', model, '--data', file, '--delimiter', ';', '--decimal', ','])).code).toBe(0);
    const arrow = path.join(tempDir(), 'x.arrow');
    expect((await cli(['convert', file, arrow, '--delimiter', ';', '--decimal', ','])).code).toBe(0);
    expect((await rowsOf(arrow)).features).toEqual(expected.features);
    const study = path.join(tempDir(), 'study');
    expect(
      (
        await cli([
          'tune',
          '--data',
          file,
          '--delimiter',
          ';',
          '--decimal',
          ',',
          '--study',
          study,
          '--trials',
          '2',
          '--epochs',
          '1',
          '--parallel',
          '1',
        ])
      ).code,
    ).toBe(0);
  });

  it('a null in a feature column is a DataError naming the row and column', async () => {
    const error = await rowsOf('nullable-with-null.arrow').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toMatch(/column 'f2', row 123: null value in a feature column/);
  });
});
