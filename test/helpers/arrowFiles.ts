import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Field, Float64, Int64, makeData, RecordBatch, RecordBatchFileWriter, Schema, Struct, Utf8, vectorFromArray } from 'apache-arrow';
import { type ColumnData, writeArrowFile } from '../../src/streams/arrow/arrowColumns.js';

/** Writes `rows` examples with 3 features in the fixed-size-list layout, label = row % classes. */
export async function writeListLayout(
  dir: string,
  rows: number,
  options: { batchRows?: number; classes?: number; name?: string; format?: 'file' | 'stream' } = {},
) {
  const file = path.join(dir, options.name ?? 'list.arrow');
  const features = Float32Array.from({ length: rows * 3 }, (_, i) => i / 10);
  const labels = BigInt64Array.from({ length: rows }, (_, i) => BigInt(i % (options.classes ?? 3)));
  await writeArrowFile(
    file,
    [
      { name: 'x', values: features, listSize: 3 },
      { name: 'label', values: labels },
    ],
    { batchRows: options.batchRows ?? 1000, format: options.format ?? 'file' },
  );
  return file;
}

/** Writes a pandas-like table: float64 columns a, b, c and an int64 label. */
export async function writeColumnsLayout(
  dir: string,
  columns: Record<string, Float64Array | BigInt64Array | Int32Array>,
  name = 'columns.arrow',
  batchRows = 1000,
) {
  const file = path.join(dir, name);
  const data: ColumnData[] = Object.entries(columns).map(([n, values]) => ({ name: n, values }));
  await writeArrowFile(file, data, { batchRows });
  return file;
}

/** Writes a table with a string column, which is not a feature. */
export function writeWithStringColumn(dir: string) {
  const file = path.join(dir, 'strings.arrow');
  const name = vectorFromArray(['a', 'b'], new Utf8());
  const a = makeData({ type: new Float64(), length: 2, data: Float64Array.of(1, 2) });
  const label = makeData({ type: new Int64(), length: 2, data: BigInt64Array.of(0n, 1n) });
  const schema = new Schema([new Field('name', new Utf8()), new Field('a', new Float64()), new Field('label', new Int64())]);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 2, children: [name.data[0]!, a, label] }));
  writeFileSync(file, RecordBatchFileWriter.writeAll([batch]).toUint8Array(true));
  return file;
}

/** Writes a float64 column `a` with a null at the given row. */
export function writeWithNull(dir: string, nullRow: number, rows = 4) {
  const file = path.join(dir, 'nulls.arrow');
  const a = vectorFromArray(
    Array.from({ length: rows }, (_, i) => (i === nullRow ? null : i)),
    new Float64(),
  );
  const label = makeData({ type: new Int64(), length: rows, data: new BigInt64Array(rows) });
  const schema = new Schema([new Field('a', new Float64(), true), new Field('label', new Int64())]);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, children: [a.data[0]!, label] }));
  writeFileSync(file, RecordBatchFileWriter.writeAll([batch]).toUint8Array(true));
  return file;
}
