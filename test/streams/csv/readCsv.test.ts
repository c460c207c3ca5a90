import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../../src/errors.js';
import { CSV_SAMPLE_ROWS, inspectCsv, readCsv } from '../../../src/streams/csv/readCsv.js';
import { readData } from '../../../src/streams/readData.js';
import { tempDir } from '../../helpers/files.js';

const TRAIN = path.resolve('test/fixtures/csv/blobs-train.csv');
const FEATURES = ['sepal', 'petal', 'stem', 'leaf'];
const read = (file: string, options = {}) => lastValueFrom(readCsv(file, options).pipe(toArray()));
const errorOf = (file: string, options = {}) =>
  read(file, options).then(
    () => undefined,
    (e: unknown) => e as DataError,
  );
const csv = (text: string, name = 'data.csv') => {
  const file = path.join(tempDir(), name);
  writeFileSync(file, text);
  return file;
};

describe('readCsv', () => {
  it('reads a file pandas wrote (to_csv), in blocks, with the features asked for', async () => {
    const blocks = await read(TRAIN, { features: FEATURES, blockRows: 100 });
    expect(blocks.map((b) => [b.rows, b.firstRow, b.cols])).toEqual([
      [100, 0, 4],
      [100, 100, 4],
      [40, 200, 4],
    ]);
    const lines = readFileSync(TRAIN, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const first = blocks[0]!;
    expect(Array.from(first.features.subarray(0, 4))).toEqual(lines[0]!.slice(1, 5).map((v) => Math.fround(Number(v))));
    expect(Array.from(blocks.flatMap((b) => Array.from(b.labels)))).toEqual(lines.map((l) => Number(l[5])));
    expect(await inspectCsv(TRAIN, { features: FEATURES })).toMatchObject({ label: 'label', features: FEATURES, cols: 4 });
  });

  it('leaves columns of text, True/False and dates out by default and names them, as Arrow and Parquet do', async () => {
    const layout = await inspectCsv(TRAIN);
    expect(layout).toMatchObject({ features: FEATURES, ignored: ['id (text)'] });
    expect((await read(TRAIN))[0]!.cols).toBe(4);
    const mixed = csv('name,a,flag,b,when,label\nx,1,True,2,2020-01-31,0\ny,3,False,4,2020-02-01 10:00:00,1\n');
    expect(await inspectCsv(mixed)).toMatchObject({ features: ['a', 'b'], ignored: ['name (text)', 'flag (True/False)', 'when (dates)'] });
    expect(Array.from((await read(mixed))[0]!.features)).toEqual([1, 2, 3, 4]);
    // An empty cell is a missing number, not text; a column chosen as a feature is read as one.
    expect((await inspectCsv(csv('a,b,label\n1,,0\n2,3,1\n'))).features).toEqual(['a', 'b']);
    const error = await errorOf(TRAIN, { features: ['id', ...FEATURES] });
    expect(error).toBeInstanceOf(DataError);
    expect(error!.message).toBe(
      `${TRAIN}, line 2, column 'id': the feature is not a finite number (expected a number (choose the feature columns with --features, or features: [...]), got 'plant-0000')`,
    );
  });

  it(`decides from the first ${CSV_SAMPLE_ROWS} rows: a later text cell is an error naming its line`, async () => {
    const rows = Array.from({ length: CSV_SAMPLE_ROWS }, (_, i) => `${i},${i % 2}`);
    expect((await inspectCsv(csv(`a,label\n${rows.join('\n')}\nx,0\n`))).features).toEqual(['a']);
    const error = await errorOf(csv(`a,b,label\n${rows.map((r) => `${r.split(',')[0]},${r}`).join('\n')}\n1,oops,0\n`));
    expect(error!.message).toMatch(new RegExp(`line ${CSV_SAMPLE_ROWS + 2}, column 'b': the feature is not a finite number .*got 'oops'`));
    // One row fewer, and the column is text: left out.
    expect(
      (
        await inspectCsv(
          csv(
            `a,b,label\n${rows
              .slice(1)
              .map((r) => `${r.split(',')[0]},${r}`)
              .join('\n')}\n1,oops,0\n`,
          ),
        )
      ).ignored,
    ).toEqual(['b (text)']);
  });

  it('names numbers written with a decimal comma, and the flag that reads them', async () => {
    const file = csv('a;b;label\n1,5;2,25;0\n');
    const error = await errorOf(file, { delimiter: ';' });
    expect(error!.message).toBe(
      `${file}: no feature columns (expected at least one column of numbers besides the label (--decimal ',' reads 3,14 as a number), got not numbers: a (decimal comma), b (decimal comma))`,
    );
    expect(Array.from((await read(file, { delimiter: ';', decimal: ',' }))[0]!.features)).toEqual([1.5, 2.25]);
  });

  it('names file, line and column for every bad cell', async () => {
    const cases: [string, RegExp, object?][] = [
      ['a,b,label\n1,2,0\n3,,1\n', /data.csv, line 3, column 'b': the feature is not a finite number .*got an empty cell/],
      ['a,b,label\n1,2,0\n3,x,1\n', /line 3, column 'b': the feature is not a finite number .*got 'x'/, { features: ['a', 'b'] }],
      ['a,b,label\n1,2,0\n3,4\n', /data.csv, line 3: a row with a different number of fields than the header/],
      ['a,b,label\n1,2,0.5\n', /line 2, column 'label': the label is not a whole number/],
      ['a,b,label\n1,2,-1\n', /line 2, column 'label': the label is negative/],
      ['a,b,label\n1,2,\n', /line 2, column 'label': the label is not a whole number .*got an empty cell/],
      ['a,b,label\n1,2,20000\n', /line 2, column 'label': the label implies more than 10000 classes/],
      ['a,b\n1,2\n', /missing label column/],
      [
        'a,b,a,label\n1,2,3,0\n',
        /data.csv, column 'a': two columns have the same name \(expected every column named once in the header, got columns 1 and 3\)/,
      ],
      [
        `${Array.from({ length: 40 }, (_, j) => `c${j}`).join(',')}\n`,
        /missing label column .*got columns c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, … \(40 in all\)\)$/,
      ],
      ['', /the file is empty: no header row/],
      ['a,b,label\n', /the dataset has no rows/],
    ];
    for (const [text, message, options] of cases) {
      const error = await errorOf(csv(text), options);
      expect(error, text).toBeInstanceOf(DataError);
      expect(error!.message, text).toMatch(message);
    }
    expect((await errorOf('/no/such.csv'))!.message).toMatch(/no\/such.csv: cannot open the file: no such file/);
  });

  it('reads gzip-compressed CSV, tab-separated files and other delimiters, through readData too', async () => {
    const dir = tempDir();
    const gz = path.join(dir, 'train.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(TRAIN)));
    expect((await read(gz, { features: FEATURES })).reduce((n, b) => n + b.rows, 0)).toBe(240);
    const tsv = csv('a\tb\tlabel\n1\t2\t1\n', 'data.tsv');
    expect(Array.from((await read(tsv))[0]!.features)).toEqual([1, 2]);
    const semicolons = csv('a;b;label\n1,5;2;1\n'.replace('1,5', '1.5'));
    expect(Array.from((await read(semicolons, { delimiter: ';' }))[0]!.features)).toEqual([1.5, 2]);
    const viaData = await lastValueFrom(readData(TRAIN, { features: FEATURES }).pipe(toArray()));
    expect(viaData.reduce((n, b) => n + b.rows, 0)).toBe(240);
    writeFileSync(path.join(dir, 'bad.csv.gz'), 'not gzip');
    expect((await errorOf(path.join(dir, 'bad.csv.gz')))!.message).toMatch(/not a valid gzip file/);
  });

  it('reads unlabelled rows for prediction', async () => {
    const [block] = await read(csv('a,b\n1,2\n3,4\n'), { unlabelled: true });
    expect(Array.from(block!.labels)).toEqual([-1, -1]);
  });
});
