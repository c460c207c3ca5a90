// A fuzz test of readArrow: seeded, corrupted copies of the bundled digits file (file and stream
// formats) must each end, within a time bound, in all 1,438 rows or a DataError naming the file.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lastValueFrom, reduce } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { createRandom, type Random } from '../../src/model/random.js';
import { writeArrowFile } from '../../src/streams/arrow/arrowColumns.js';
import { readArrow } from '../../src/streams/arrow/readArrow.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const ROWS = 1438;
const CASES_PER_FORMAT = 400;
const TIME_BOUND_MS = 5_000;

/**
 * A position biased to where structure lives: the first message (the schema), the footer (its
 * block table) when the file has one, the first and last kilobyte.
 */
function position(rng: Random, bytes: Uint8Array): number {
  const size = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const footer = size > 18 && String.fromCharCode(...bytes.subarray(size - 6)) === 'ARROW1' ? view.getInt32(size - 10, true) : 0;
  const r = rng.next();
  if (r < 0.3 && footer > 0 && footer < size) return size - 10 - footer + rng.int(footer + 10);
  if (r < 0.55) return Math.min(size - 1, rng.int(Math.min(400, size)));
  if (r < 0.8) return size - 1 - rng.int(Math.min(1024, size));
  return rng.int(size);
}

/** Offsets of 32-bit words that look like message lengths: after a 0xFFFFFFFF continuation marker, and the footer length. */
function lengthWords(bytes: Uint8Array): number[] {
  const words: number[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 8 <= bytes.length; i += 4) if (view.getInt32(i, true) === -1) words.push(i + 4);
  if (bytes.length >= 10) words.push(bytes.length - 10);
  return words;
}

/** One corrupted copy of `original`, and what was done to it (for the failure message). */
function corrupt(original: Uint8Array, rng: Random): { bytes: Uint8Array; what: string } {
  const size = original.length;
  const bytes = original.slice();
  const kind = [0, 0, 0, 1, 2, 3, 4, 5][rng.int(8)]!;
  switch (kind) {
    case 0: {
      const flips = 1 + rng.int(8);
      for (let f = 0; f < flips; f++) bytes[position(rng, original)]! ^= 1 << rng.int(8);
      return { bytes, what: `${flips} bit flips` };
    }
    case 1: {
      const at = rng.next() < 0.5 ? position(rng, original) : rng.int(size);
      return { bytes: bytes.slice(0, at), what: `truncated to ${at} bytes` };
    }
    case 2: {
      const length = 1 + rng.int(256);
      const from = rng.int(size - length);
      const to = Math.min(size - length, position(rng, original));
      bytes.copyWithin(to, from, from + length);
      return { bytes, what: `${length} bytes from ${from} duplicated at ${to}` };
    }
    case 3: {
      const length = 1 + rng.int(512);
      const at = Math.min(size - length, position(rng, original));
      bytes.fill(0, at, at + length);
      return { bytes, what: `${length} bytes zeroed at ${at}` };
    }
    case 4: {
      const length = 16 + rng.int(2048);
      const at = Math.floor(size / 4 + rng.next() * (size / 2 - length));
      for (let i = 0; i < length; i++) bytes[at + i] = rng.int(256);
      return { bytes, what: `${length} garbage bytes at ${at}` };
    }
    default: {
      const words = lengthWords(bytes);
      const at = words[rng.int(words.length)]!;
      const values = [-1, -8, 0, 1, 7, 0x7fffffff, -0x80000000, rng.int(size * 4), size];
      const value = values[rng.int(values.length)]!;
      new DataView(bytes.buffer).setInt32(at, value, true);
      return { bytes, what: `length word at ${at} set to ${value}` };
    }
  }
}

/** Reads a file to the end, within the time bound: the rows read, or the error. */
async function outcome(
  file: string,
  options: Parameters<typeof readArrow>[1] = {},
): Promise<{ rows?: number; error?: unknown; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no result within ${TIME_BOUND_MS} ms`)), TIME_BOUND_MS)),
  );
  try {
    const rows = await Promise.race([lastValueFrom(readArrow(file, options).pipe(reduce((n, block) => n + block.rows, 0))), timeout]);
    return { rows, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

describe('readArrow on corrupted files', () => {
  for (const format of ['file', 'stream'] as const) {
    it(`ends every one of ${CASES_PER_FORMAT} corrupted ${format}-format copies in all rows or a DataError naming the file`, async () => {
      const dir = tempDir();
      let original: Uint8Array = readFileSync(DIGITS_TRAIN);
      if (format === 'stream') {
        // The same data as a stream, in record batches of 256 rows.
        const blocks = await lastValueFrom(
          readArrow(DIGITS_TRAIN).pipe(
            reduce(
              (all, b) => [...all, { features: Float32Array.from(b.features), labels: Int32Array.from(b.labels) }],
              [] as { features: Float32Array; labels: Int32Array }[],
            ),
          ),
        );
        const features = Float32Array.from(blocks.flatMap((b) => Array.from(b.features)));
        const labels = Int32Array.from(blocks.flatMap((b) => Array.from(b.labels)));
        const streamFile = path.join(dir, 'digits.arrows');
        await writeArrowFile(
          streamFile,
          [
            { name: 'pixels', values: features, listSize: 64 },
            { name: 'label', values: labels },
          ],
          { batchRows: 256, format: 'stream' },
        );
        original = readFileSync(streamFile);
      }
      const rng = createRandom(`fuzz:${format}`);
      const failures: string[] = [];
      const tally = { rows: 0, dataErrors: 0 };
      let slowest = 0;
      for (let c = 0; c < CASES_PER_FORMAT; c++) {
        const { bytes, what } = corrupt(original, rng);
        const file = path.join(dir, `case-${c}.arrow`);
        writeFileSync(file, bytes);
        const result = await outcome(file);
        slowest = Math.max(slowest, result.ms);
        if (result.rows === ROWS) tally.rows++;
        else if (result.error instanceof DataError && result.error.message.includes(file)) tally.dataErrors++;
        else
          failures.push(
            `case ${c} (${what}): ${
              result.rows !== undefined
                ? `${result.rows} rows`
                : String((result.error as Error)?.stack ?? result.error)
                    .split('\n')
                    .slice(0, 3)
                    .join(' | ')
            }`,
          );
      }
      expect(failures).toEqual([]);
      expect(tally.rows + tally.dataErrors).toBe(CASES_PER_FORMAT);
      // Both outcomes occur: the corruptions reach structure and data alike.
      expect(tally.dataErrors).toBeGreaterThan(20);
      expect(slowest).toBeLessThan(TIME_BOUND_MS);
    });
  }
});

// Compressed files as pyarrow writes them (test/fixtures/writers): LZ4 frames, ZSTD, and a ZSTD
// dictionary of text labels. 300 rows each.
const WRITERS = path.resolve('test/fixtures/writers');
const COMPRESSED = [
  { name: 'pyarrow-file-lz4.arrow', options: {} },
  { name: 'pyarrow-stream-zstd.arrows', options: {} },
  { name: 'label-dictionary.arrow', options: { classNames: ['setosa', 'versicolor', 'virginica'] } },
];

describe('readArrow on corrupted compressed files', () => {
  for (const { name, options } of COMPRESSED) {
    it(`ends every one of ${CASES_PER_FORMAT} corrupted copies of ${name} in all 300 rows or a DataError naming the file`, async () => {
      const dir = tempDir();
      const original = new Uint8Array(readFileSync(path.join(WRITERS, name)));
      expect((await outcome(path.join(WRITERS, name), options)).rows).toBe(300);
      const rng = createRandom(`fuzz:${name}`);
      const failures: string[] = [];
      let dataErrors = 0;
      for (let c = 0; c < CASES_PER_FORMAT; c++) {
        const { bytes, what } = corrupt(original, rng);
        const file = path.join(dir, `case-${c}.arrow`);
        writeFileSync(file, bytes);
        const result = await outcome(file, options);
        if (result.error instanceof DataError && result.error.message.includes(file)) dataErrors++;
        else if (result.rows !== 300)
          failures.push(
            `case ${c} (${what}): ${
              result.rows !== undefined
                ? `${result.rows} rows`
                : String((result.error as Error)?.stack ?? result.error)
                    .split('\n')
                    .slice(0, 3)
                    .join(' | ')
            }`,
          );
      }
      expect(failures).toEqual([]);
      expect(dataErrors).toBeGreaterThan(20);
    });
  }

  it('every byte of the schema and dictionary messages flipped, one at a time: all rows or a DataError, never a TypeError', async () => {
    const dir = tempDir();
    for (const { name, options } of [COMPRESSED[1]!, COMPRESSED[2]!]) {
      const original = new Uint8Array(readFileSync(path.join(WRITERS, name)));
      const view = new DataView(original.buffer);
      // The messages before the first record batch: the schema, then any dictionary batches.
      const { Message } = await import('apache-arrow');
      const start = name.endsWith('.arrows') ? 0 : 8;
      let end = start;
      for (;;) {
        const length = view.getInt32(end + 4, true);
        const message = Message.decode(original.subarray(end + 8, end + 8 + length));
        if (message.isRecordBatch()) break;
        end += 8 + length + Number(message.bodyLength);
      }
      expect(end - start).toBeGreaterThan(100);
      const failures: string[] = [];
      for (let at = start; at < Math.min(end, original.length); at++) {
        const bytes = original.slice();
        bytes[at]! ^= 0xff;
        const file = path.join(dir, `flip-${at}.arrow`);
        writeFileSync(file, bytes);
        const result = await outcome(file, options);
        if (!(result.rows === 300 || (result.error instanceof DataError && result.error.message.includes(file))))
          failures.push(
            `${name} byte ${at}: ${String((result.error as Error)?.stack ?? result.rows)
              .split('\n')
              .slice(0, 2)
              .join(' | ')}`,
          );
      }
      expect(failures).toEqual([]);
    }
  });

  it('a compressed buffer that declares more bytes than its column and rows allow is a DataError, before anything is decompressed', async () => {
    const original = new Uint8Array(readFileSync(path.join(WRITERS, 'pyarrow-stream-zstd.arrows')));
    const { MessageReader } = await import('apache-arrow');
    // The first record batch's first non-empty buffer: its 8-byte uncompressed length, set to 1 TiB.
    const reader = new MessageReader(original);
    let at = 0;
    let patched = false;
    for (let message = reader.readMessage(); message && !patched; message = reader.readMessage()) {
      const metadataEnd = at + 8 + new DataView(original.buffer).getInt32(at + 4, true);
      if (message.isRecordBatch()) {
        const header = message.header() as unknown as { buffers: { offset: number; length: number }[] };
        const buffer = header.buffers.find((b) => b.length > 0)!;
        new DataView(original.buffer).setBigInt64(metadataEnd + buffer.offset, 2n ** 40n, true);
        patched = true;
      }
      reader.readMessageBody(message.bodyLength);
      at = metadataEnd + Number(message.bodyLength);
    }
    expect(patched).toBe(true);
    const file = path.join(tempDir(), 'bomb.arrows');
    writeFileSync(file, original);
    const result = await outcome(file);
    expect(result.error).toBeInstanceOf(DataError);
    expect((result.error as Error).message).toMatch(
      /record batch 0: buffer \d+ declares 1099511627776 uncompressed bytes, more than its column's type and 100 rows allow/,
    );
  });

  it('a compressed values buffer that declares 0 bytes is a DataError, not a column of zeros (as pyarrow refuses it)', async () => {
    const original = new Uint8Array(readFileSync(path.join(WRITERS, 'pyarrow-stream-zstd.arrows')));
    const { MessageReader } = await import('apache-arrow');
    // Every non-empty buffer of the first record batch, one at a time, says it holds 0 bytes.
    const reader = new MessageReader(original);
    let at = 0;
    const places: number[] = [];
    for (let message = reader.readMessage(); message && places.length === 0; message = reader.readMessage()) {
      const metadataEnd = at + 8 + new DataView(original.buffer).getInt32(at + 4, true);
      if (message.isRecordBatch()) {
        const header = message.header() as unknown as { buffers: { offset: number; length: number }[] };
        for (const buffer of header.buffers) if (buffer.length > 0) places.push(metadataEnd + buffer.offset);
      }
      reader.readMessageBody(message.bodyLength);
      at = metadataEnd + Number(message.bodyLength);
    }
    expect(places.length).toBeGreaterThan(2);
    for (const place of places) {
      const bytes = original.slice();
      new DataView(bytes.buffer).setBigInt64(place, 0n, true);
      const file = path.join(tempDir(), 'zero.arrows');
      writeFileSync(file, bytes);
      const result = await outcome(file);
      expect(result.error, `the buffer at ${place}`).toBeInstanceOf(DataError);
      expect((result.error as Error).message).toMatch(
        /zero\.arrows: record batch 0: column '\w+' holds 0 (values|offsets) for 100 rows \(a damaged buffer\)/,
      );
    }
  });
});

describe('readArrow on a footer that points at the wrong message', () => {
  /** The digits file with the int64 `from` of its footer block table replaced by `to`. */
  async function withBlockOffset(index: number, to: (offsets: number[]) => number): Promise<string> {
    const { RecordBatchFileReader } = await import('apache-arrow');
    const bytes = new Uint8Array(readFileSync(DIGITS_TRAIN));
    const reader = RecordBatchFileReader.from(bytes);
    reader.open();
    const footer = reader.footer!;
    const offsets = Array.from({ length: footer.numRecordBatches }, (_, i) => Number(footer.getRecordBatch(i)!.offset));
    const view = new DataView(bytes.buffer);
    const footerStart = bytes.length - 10 - view.getInt32(bytes.length - 10, true);
    let replaced = 0;
    for (let at = footerStart; at + 8 <= bytes.length - 10; at += 4) {
      if (view.getBigInt64(at, true) === BigInt(offsets[index]!)) {
        view.setBigInt64(at, BigInt(to(offsets)), true);
        replaced++;
      }
    }
    expect(replaced).toBe(1);
    const file = path.join(tempDir(), 'bad-footer.arrow');
    writeFileSync(file, bytes);
    return file;
  }

  it('at bytes that are no record batch (the footer itself): a DataError in bounded time', async () => {
    const file = await withBlockOffset(0, (offsets) => offsets.at(-1)! + 224 + 11_376);
    const result = await outcome(file);
    expect(result.error).toBeInstanceOf(DataError);
    expect((result.error as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: record batch 0: `));
    expect(result.ms).toBeLessThan(TIME_BOUND_MS);
  });

  it('inside another batch: an error, not a silently shorter dataset', async () => {
    const file = await withBlockOffset(1, (offsets) => offsets[1]! + 64);
    const result = await outcome(file);
    expect(result.rows).toBeUndefined();
    expect(result.error).toBeInstanceOf(DataError);
    expect((result.error as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: record batch 1: `));
  });
});
