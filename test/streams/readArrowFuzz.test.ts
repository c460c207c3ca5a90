// A fuzz test of readArrow: seeded, corrupted copies of the bundled digits file (file and stream
// formats) must each end, within a time bound, in all 1,438 rows or a DataError naming the file.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lastValueFrom, reduce } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { createRandom, type Random } from '../../src/model/random.js';
import { readArrow } from '../../src/streams/readArrow.js';
import { writeArrowFile } from '../../src/streams/arrowColumns.js';
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
async function outcome(file: string): Promise<{ rows?: number; error?: unknown; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no result within ${TIME_BOUND_MS} ms`)), TIME_BOUND_MS)));
  try {
    const rows = await Promise.race([lastValueFrom(readArrow(file).pipe(reduce((n, block) => n + block.rows, 0))), timeout]);
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
        const blocks = await lastValueFrom(readArrow(DIGITS_TRAIN).pipe(reduce((all, b) => [...all, { features: Float32Array.from(b.features), labels: Int32Array.from(b.labels) }], [] as { features: Float32Array; labels: Int32Array }[])));
        const features = Float32Array.from(blocks.flatMap((b) => Array.from(b.features)));
        const labels = Int32Array.from(blocks.flatMap((b) => Array.from(b.labels)));
        const streamFile = path.join(dir, 'digits.arrows');
        await writeArrowFile(streamFile, [{ name: 'pixels', values: features, listSize: 64 }, { name: 'label', values: labels }], { batchRows: 256, format: 'stream' });
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
        else failures.push(`case ${c} (${what}): ${result.rows !== undefined ? `${result.rows} rows` : String((result.error as Error)?.stack ?? result.error).split('\n').slice(0, 3).join(' | ')}`);
      }
      expect(failures).toEqual([]);
      expect(tally.rows + tally.dataErrors).toBe(CASES_PER_FORMAT);
      // Both outcomes occur: the corruptions reach structure and data alike.
      expect(tally.dataErrors).toBeGreaterThan(20);
      expect(slowest).toBeLessThan(TIME_BOUND_MS);
    });
  }
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
