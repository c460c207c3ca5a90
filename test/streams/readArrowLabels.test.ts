import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Field, Float16, Float64, makeData, RecordBatch, RecordBatchFileWriter, Schema, Struct } from 'apache-arrow';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { summarize } from '../../src/operators/summarize.js';
import { readArrow } from '../../src/streams/arrow/readArrow.js';
import { writeColumnsLayout } from '../helpers/arrowFiles.js';
import { tempDir } from '../helpers/files.js';

const read = (file: string, options = {}) => lastValueFrom(readArrow(file, options).pipe(toArray()));

describe('readArrow labels', () => {
  for (const huge of [2_147_483_647, 10_000_000]) {
    it(`refuses a label of ${huge}, naming file, column and row, instead of a model with that many classes`, async () => {
      const file = await writeColumnsLayout(tempDir(), { a: Float64Array.of(1, 2, 3), label: Int32Array.of(0, huge, 1) });
      const error = await read(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).message).toBe(
        `${file}, column 'label', row 1: the label implies more than 10000 classes (expected a class index below 10000 (raise maxClasses for more classes), got ${huge})`,
      );
      await expect(lastValueFrom(readArrow(file).pipe(summarize()))).rejects.toThrow(/the label implies more than 10000 classes/);
    });
  }

  it('takes more classes when asked', async () => {
    const file = await writeColumnsLayout(tempDir(), { a: Float64Array.of(1, 2), label: Int32Array.of(0, 12_000) });
    expect(Array.from((await read(file, { maxClasses: 20_000 }))[0]!.labels)).toEqual([0, 12_000]);
  });

  it('decodes half-float labels instead of reading their raw bits', async () => {
    const file = path.join(tempDir(), 'half.arrow');
    // 0, 1, 2 as IEEE half floats: 0x0000, 0x3c00, 0x4000.
    const label = makeData({ type: new Float16(), length: 3, data: Uint16Array.of(0x0000, 0x3c00, 0x4000) });
    const a = makeData({ type: new Float64(), length: 3, data: Float64Array.of(1, 2, 3) });
    const schema = new Schema([new Field('a', new Float64()), new Field('label', new Float16())]);
    writeFileSync(
      file,
      RecordBatchFileWriter.writeAll([
        new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 3, children: [a, label] })),
      ]).toUint8Array(true),
    );
    const [block] = await read(file);
    expect(Array.from(block!.labels)).toEqual([0, 1, 2]);
    expect((await lastValueFrom(readArrow(file).pipe(summarize()))).classes).toBe(3);
  });
});
