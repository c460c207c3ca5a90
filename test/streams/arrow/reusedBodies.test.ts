import { promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  Dictionary,
  Field,
  Float32,
  Int32,
  makeData,
  RecordBatch,
  RecordBatchReader,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { takeArray } from '../../../src/memory/spareArrays.js';
import { readArrow } from '../../../src/streams/arrow/readArrow.js';
import { readIntoReusedBodies } from '../../../src/streams/arrow/reusedBodies.js';
import { writeListLayout } from '../../helpers/arrowFiles.js';
import { tempDir } from '../../helpers/files.js';

/** The memory a record batch's label column lives in. */
const firstBuffer = (batch: RecordBatch) => batch.getChild('label')!.data[0]!.values.buffer;

/** Long, so that the dictionary's body is larger than a record batch's: reused, it would be overwritten in place. */
const WORDS = ['cat', 'dog', 'owl'].map((word) => word.repeat(100));

/** Row r's class: 'owl' first appears in the fourth record batch, after the dictionary's memory would have been reused. */
const classOf = (r: number, rows: number) => (r < 3 * rows ? r % 2 : r % 3);

/** A stream of `batches` record batches of `rows` rows: a float feature 0, 1, 2, … and a dictionary-encoded text label. */
function writeDictionaryStream(file: string, batches: number, rows: number) {
  const labelType = new Dictionary(new Utf8(), new Int32());
  const schema = new Schema([new Field('x', new Float32()), new Field('label', labelType)]);
  const words = WORDS;
  // One dictionary for every batch: the writer sends it once, before the first batch.
  const labels = vectorFromArray(
    Array.from({ length: batches * rows }, (_, r) => words[classOf(r, rows)]!),
    labelType,
  );
  const all = Array.from({ length: batches }, (_, b) => {
    const x = makeData({ type: new Float32(), length: rows, data: Float32Array.from({ length: rows }, (_, i) => b * rows + i) });
    const label = labels.slice(b * rows, (b + 1) * rows).data[0]!;
    return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, children: [x, label] }));
  });
  writeFileSync(file, RecordBatchStreamWriter.writeAll(all).toUint8Array(true));
}

describe('readIntoReusedBodies', () => {
  it("takes over the installed apache-arrow's body reads: batches alternate between two buffers", async () => {
    for (const format of ['file', 'stream'] as const) {
      const file = await writeListLayout(tempDir(), 40, { batchRows: 10, format });
      const handle = await fs.open(file, 'r');
      try {
        const reader = await RecordBatchReader.from(handle);
        await reader.open();
        expect(readIntoReusedBodies(reader, handle)).toBeTypeOf('function');
        const batches: RecordBatch[] = [];
        for await (const batch of reader) batches.push(batch);
        expect(batches.map((b) => b.numRows)).toEqual([10, 10, 10, 10]);
        expect(firstBuffer(batches[0]!)).toBe(firstBuffer(batches[2]!));
        expect(firstBuffer(batches[1]!)).toBe(firstBuffer(batches[3]!));
        expect(firstBuffer(batches[0]!)).not.toBe(firstBuffer(batches[1]!));
      } finally {
        await handle.close();
      }
    }
  });

  it('changes nothing on a reader of another shape', async () => {
    const reader = { schema: undefined } as unknown as RecordBatchReader;
    expect(readIntoReusedBodies(reader, undefined as never)).toBeUndefined();
  });

  it('readArrow still gives every value of many record batches, in both formats', async () => {
    for (const format of ['file', 'stream'] as const) {
      const file = await writeListLayout(tempDir(), 95, { batchRows: 10, format });
      const blocks = await lastValueFrom(readArrow(file).pipe(toArray()));
      expect(blocks.map((b) => b.rows)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
      const features = blocks.flatMap((b) => Array.from(b.features));
      expect(features).toEqual(Array.from({ length: 95 * 3 }, (_, i) => Math.fround(i / 10)));
      expect(blocks.flatMap((b) => Array.from(b.labels))).toEqual(Array.from({ length: 95 }, (_, i) => i % 3));
    }
  });

  it('a dictionary read between record batches keeps its own memory', async () => {
    const file = path.join(tempDir(), 'dictionary.arrows');
    writeDictionaryStream(file, 5, 7);
    const blocks = await lastValueFrom(readArrow(file, { classNames: WORDS }).pipe(toArray()));
    expect(blocks.flatMap((b) => Array.from(b.features))).toEqual(Array.from({ length: 35 }, (_, i) => i));
    expect(blocks.flatMap((b) => Array.from(b.labels))).toEqual(Array.from({ length: 35 }, (_, i) => classOf(i, 7)));
  });

  it('gives its buffers back only when no read is writing into one: a read in flight keeps its buffer', async () => {
    const file = await writeListLayout(tempDir(), 3000, { batchRows: 1000, format: 'file' });
    const handle = await fs.open(file, 'r');
    const read = handle.read.bind(handle) as (...args: unknown[]) => Promise<unknown>;
    // Body reads are the large ones (a batch's body is 16 KB; headers are far smaller): hold one.
    let hold = false;
    let held: { buffer: Uint8Array; go: () => void } | undefined;
    (handle as unknown as { read: unknown }).read = (buffer: Uint8Array, offset: number, length: number, position: number) => {
      if (!hold || held || length < 4096) return read(buffer, offset, length, position);
      return new Promise((resolve) => (held = { buffer, go: () => resolve(read(buffer, offset, length, position)) }));
    };
    try {
      const reader = await RecordBatchReader.from(handle);
      await reader.open();
      const release = readIntoReusedBodies(reader, handle)!;
      const batches = reader[Symbol.asyncIterator]();
      await batches.next();
      await batches.next();
      hold = true;
      const third = batches.next();
      while (!held) await new Promise((resolve) => setImmediate(resolve));
      // The file is closed under the read (a subscriber left): the buffer being written is not handed out.
      release();
      const next = takeArray('Uint8Array', held.buffer.buffer.byteLength);
      expect(next.buffer).not.toBe(held.buffer.buffer);
      held.go();
      await third;
    } finally {
      await handle.close();
    }
  });

  it('with no read in flight, its buffers go back for the next read of a file', async () => {
    const file = await writeListLayout(tempDir(), 2000, { batchRows: 1000, format: 'file' });
    const handle = await fs.open(file, 'r');
    try {
      const reader = await RecordBatchReader.from(handle);
      await reader.open();
      const release = readIntoReusedBodies(reader, handle)!;
      const batches: RecordBatch[] = [];
      for await (const batch of reader) batches.push(batch);
      const used = new Set([firstBuffer(batches[0]!), firstBuffer(batches[1]!)]);
      release();
      const length = (firstBuffer(batches[0]!) as ArrayBuffer).byteLength;
      expect(used.has(takeArray('Uint8Array', length).buffer)).toBe(true);
    } finally {
      await handle.close();
    }
  });
});
