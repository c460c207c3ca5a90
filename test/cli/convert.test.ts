import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { readData } from '../../src/streams/readData.js';
import { cli, lastJson } from '../helpers/cli.js';
import { DIGITS_TRAIN, leftovers, tempDir } from '../helpers/files.js';

const SPECIES = path.resolve('test/fixtures/csv/species-train.csv');
const PARQUET = path.resolve('test/fixtures/parquet/blobs-train.parquet');
const FEATURES = 'sepal,petal,stem,leaf';
const rowsOf = async (file: string, options = {}) =>
  (await lastValueFrom(readData(file, options).pipe(toArray()))).reduce((n, b) => n + b.rows, 0);

describe('rxgrad convert', () => {
  it('--compression lz4|zstd writes compressed Arrow that reads back the same; uncompressed by default; refused for CSV', async () => {
    const { Message } = await import('apache-arrow');
    const dir = tempDir();
    const codecOf = (file: string) => {
      // The codec named by the first record batch message of an Arrow file: 0 LZ4, 1 ZSTD, null none.
      const bytes = new Uint8Array(readFileSync(file));
      const view = new DataView(bytes.buffer);
      for (let at = 8; at + 8 < bytes.length; ) {
        const length = view.getInt32(at + 4, true);
        const message = Message.decode(bytes.subarray(at + 8, at + 8 + length));
        if (message.isRecordBatch())
          return (message.header() as unknown as { compression: { type: number } | null }).compression?.type ?? null;
        at += 8 + length + Number(message.bodyLength);
      }
      return undefined;
    };
    const plain = path.join(dir, 'plain.arrow');
    expect((await cli(['convert', DIGITS_TRAIN, plain])).code).toBe(0);
    expect(codecOf(plain)).toBeNull();
    const flat = async (file: string) =>
      (await lastValueFrom(readData(file).pipe(toArray()))).flatMap((b) => [...Array.from(b.features), ...Array.from(b.labels)]);
    const expected = await flat(plain);
    for (const [codec, type] of [
      ['lz4', 0],
      ['zstd', 1],
    ] as const) {
      const out = path.join(dir, `${codec}.arrow`);
      const converted = await cli(['convert', DIGITS_TRAIN, out, '--compression', codec]);
      expect(converted.code, converted.stderr).toBe(0);
      expect(codecOf(out)).toBe(type);
      expect(readFileSync(out).length).toBeLessThan(readFileSync(plain).length);
      expect(await flat(out)).toEqual(expected);
    }
    const model = path.join(dir, 'model');
    expect((await cli(['train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', model])).code).toBe(0);
    const predictions = path.join(dir, 'predictions.arrow');
    expect((await cli(['predict', '--model', model, '--data', DIGITS_TRAIN, '--out', predictions, '--compression', 'zstd'])).code).toBe(0);
    expect(codecOf(predictions)).toBe(1);
    expect(
      tableFromIPC(
        await (await import('../../src/streams/codecs/arrowCodecs.js')).registerArrowCodecs().then(() => readFileSync(predictions)),
      ).numRows,
    ).toBe(1438);
    expect(await cli(['convert', DIGITS_TRAIN, path.join(dir, 'x.csv'), '--compression', 'lz4'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('compression is for Arrow files'),
    });
  });

  it('carries every column: a text id goes across as text, --drop leaves it out, and predict --keep carries it on', async () => {
    const dir = tempDir();
    const csv = path.resolve('test/fixtures/csv/blobs-train.csv');
    const arrow = path.join(dir, 'blobs.arrow');
    const converted = await cli(['convert', csv, arrow]);
    expect(converted.code, converted.stderr).toBe(0);
    const table = tableFromIPC(readFileSync(arrow));
    expect(table.schema.fields.map((f) => `${f.name}: ${String(f.type)}`)).toEqual([
      'id: Utf8',
      'sepal: Float32',
      'petal: Float32',
      'stem: Float32',
      'leaf: Float32',
      'label: Int32',
    ]);
    const ids = readFileSync(csv, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]);
    expect(table.getChild('id')!.toArray()).toEqual(ids);
    // And back to CSV, the id first as it was.
    const back = path.join(dir, 'back.csv');
    expect((await cli(['convert', arrow, back])).code).toBe(0);
    expect(readFileSync(back, 'utf8').split('\n', 1)[0]).toBe('id,sepal,petal,stem,leaf,label');
    const dropped = path.join(dir, 'dropped.arrow');
    expect((await cli(['convert', csv, dropped, '--drop', 'id,leaf'])).code).toBe(0);
    expect(tableFromIPC(readFileSync(dropped)).schema.fields.map((f) => f.name)).toEqual(['sepal', 'petal', 'stem', 'label']);
    const model = path.join(dir, 'model');
    expect((await cli(['train', '--data', arrow, '--epochs', '1', '--save', model])).code).toBe(0);
    const predictions = path.join(dir, 'predictions.csv');
    const predicted = await cli(['predict', '--model', model, '--data', arrow, '--out', predictions, '--keep', 'id']);
    expect(predicted.code, predicted.stderr).toBe(0);
    const lines = readFileSync(predictions, 'utf8').trim().split('\n');
    expect(lines[0]!.split(',').slice(0, 2)).toEqual(['row', 'id']);
    expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(ids);
  });

  it('CSV with text labels to Arrow and back: the class names travel as schema metadata, and training keeps them', async () => {
    const dir = tempDir();
    const arrow = path.join(dir, 'species.arrow');
    const converted = await cli(['convert', SPECIES, arrow, '--label', 'species', '--features', FEATURES, '--json']);
    expect(converted.code, converted.stderr).toBe(0);
    expect(lastJson(converted.stdout)).toMatchObject({ rows: 240 });
    const table = tableFromIPC(readFileSync(arrow));
    expect(table.schema.fields.map((f) => f.name)).toEqual(['sepal', 'petal', 'stem', 'leaf', 'species']);
    expect(JSON.parse(table.schema.metadata.get('rxgrad.classNames')!)).toEqual(['setosa', 'versicolor', 'virginica']);
    const model = path.join(dir, 'model');
    expect((await cli(['train', '--data', arrow, '--label', 'species', '--epochs', '2', '--save', model])).code).toBe(0);
    expect(
      (JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8')) as { columns: { classNames: string[] } }).columns.classNames,
    ).toEqual(['setosa', 'versicolor', 'virginica']);
    const back = path.join(dir, 'back.csv');
    expect((await cli(['convert', arrow, back, '--label', 'species'])).code).toBe(0);
    const original = readFileSync(SPECIES, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').at(-1));
    const lines = readFileSync(back, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('sepal,petal,stem,leaf,species');
    expect(lines.slice(1).map((l) => l.split(',').at(-1))).toEqual(original);
    expect(leftovers(dir)).toEqual([]);
  });

  it('Parquet to Arrow, and a list column (pixels) to CSV columns pixels_0 … and back', async () => {
    const dir = tempDir();
    const fromParquet = path.join(dir, 'blobs.arrow');
    expect((await cli(['convert', PARQUET, fromParquet, '--features', FEATURES])).code).toBe(0);
    expect(await rowsOf(fromParquet)).toBe(240);
    const csv = path.join(dir, 'digits.csv');
    expect((await cli(['convert', DIGITS_TRAIN, csv])).code).toBe(0);
    const header = readFileSync(csv, 'utf8').split('\n', 1)[0]!.split(',');
    expect(header).toHaveLength(65);
    expect(header.slice(0, 2)).toEqual(['pixels_0', 'pixels_1']);
    const again = path.join(dir, 'digits.arrow');
    expect((await cli(['convert', csv, again])).code).toBe(0);
    const [a, b] = await Promise.all([DIGITS_TRAIN, again].map((f) => lastValueFrom(readData(f).pipe(toArray()))));
    const flat = (blocks: typeof a) => blocks!.flatMap((block) => Array.from(block.features));
    expect(flat(b)).toEqual(flat(a));
    expect(b!.flatMap((block) => Array.from(block.labels))).toEqual(a!.flatMap((block) => Array.from(block.labels)));
  });

  it('writes Parquet too: CSV with text labels to Parquet and back, rows, values and class names kept', async () => {
    const dir = tempDir();
    const parquet = path.join(dir, 'species.parquet');
    const converted = await cli(['convert', SPECIES, parquet, '--label', 'species', '--features', FEATURES, '--json']);
    expect(converted.code, converted.stderr).toBe(0);
    expect(lastJson(converted.stdout)).toMatchObject({ rows: 240 });
    const [fromCsv, fromParquet] = await Promise.all(
      [SPECIES, parquet].map((file) =>
        lastValueFrom(
          readData(file, { label: 'species', features: FEATURES.split(','), classNames: ['setosa', 'versicolor', 'virginica'] }).pipe(
            toArray(),
          ),
        ),
      ),
    );
    const flat = (blocks: typeof fromCsv) => [blocks!.flatMap((b) => Array.from(b.features)), blocks!.flatMap((b) => Array.from(b.labels))];
    expect(flat(fromParquet)).toEqual(flat(fromCsv));
    const back = path.join(dir, 'back.csv');
    expect((await cli(['convert', parquet, back, '--label', 'species'])).code).toBe(0);
    expect(
      readFileSync(back, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',').at(-1)),
    ).toEqual(
      readFileSync(SPECIES, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',').at(-1)),
    );
    expect(leftovers(dir)).toEqual([]);
  });

  it("predict's Arrow output names its model and classes in the schema metadata", async () => {
    const dir = tempDir();
    const model = path.join(dir, 'model');
    expect(
      (await cli(['train', '--data', SPECIES, '--label', 'species', '--features', FEATURES, '--epochs', '2', '--save', model])).code,
    ).toBe(0);
    const out = path.join(dir, 'p.arrow');
    expect((await cli(['predict', '--model', model, '--data', SPECIES, '--out', out])).code).toBe(0);
    const metadata = tableFromIPC(readFileSync(out)).schema.metadata;
    expect(metadata.get('rxgrad.model')).toBe(model);
    expect(JSON.parse(metadata.get('rxgrad.classNames')!)).toEqual(['setosa', 'versicolor', 'virginica']);
  });
});

describe('Arrow and Parquet label columns of text', () => {
  it('a Utf8 or dictionary-encoded label column becomes named classes, from train to predict', async () => {
    const { makeData, makeTable, tableToIPC, vectorFromArray, Utf8, Float64: F64 } = await import('apache-arrow');
    const { writeFileSync } = await import('node:fs');
    const n = 300;
    const names = ['lilac', 'rose', 'tulip'];
    const x = Float64Array.from({ length: n }, (_, i) => (i % 3) * 4 + Math.sin(i));
    const y = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 7));
    const labels = Array.from({ length: n }, (_, i) => names[[2, 0, 1][i % 3]!]!);
    for (const encoding of ['utf8', 'dictionary'] as const) {
      const dir = tempDir();
      const file = path.join(dir, 'flowers.arrow');
      const label = encoding === 'utf8' ? vectorFromArray(labels, new Utf8()) : vectorFromArray(labels);
      const table = makeTable({
        x: makeData({ type: new F64(), length: n, data: x }),
        y: makeData({ type: new F64(), length: n, data: y }),
        flower: label.data[0]!,
      } as never);
      writeFileSync(file, tableToIPC(table as never, 'file'));
      const model = path.join(dir, 'model');
      const trained = await cli([
        'train',
        '--data',
        file,
        '--label',
        'flower',
        '--epochs',
        '20',
        '--lr',
        '0.01',
        '--save',
        model,
        '--json',
      ]);
      expect(trained.code, `${encoding}: ${trained.stderr}`).toBe(0);
      expect(lastJson(trained.stdout).trainAccuracy, encoding).toBeGreaterThan(0.9);
      expect(
        (JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8')) as { columns: { classNames: string[] } }).columns.classNames,
      ).toEqual(names);
      const out = path.join(dir, 'p.csv');
      expect((await cli(['predict', '--model', model, '--data', file, '--out', out])).code).toBe(0);
      const predicted = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[1]);
      expect(predicted.filter((p, i) => p === labels[i]).length / n, encoding).toBeGreaterThan(0.9);
    }
  });
});
