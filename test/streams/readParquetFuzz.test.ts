// A fuzz test of readParquet: seeded, damaged copies of Parquet files as pyarrow writes them
// (snappy, zstd and uncompressed pages, v1 and v2) must each end, within a time bound, in all their
// rows or a DataError naming the file: never a stack, a crash of the process or a hang. The reads
// run in a child process (test/helpers/readFiles.mjs) that the test kills if a file hangs it.
import { type ChildProcess, spawn } from 'node:child_process';
import { openAsBlob, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ParquetFile } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { createRandom, type Random } from '../../src/model/random.js';
import { tempDir } from '../helpers/files.js';

const WRITERS = path.resolve('test/fixtures/writers');
const CASES_PER_FILE = 80;
const TIME_BOUND_MS = 10_000;

/** Where each column chunk starts (its first page header): chunks lie end to end after the 4-byte magic. */
async function chunkStarts(file: string): Promise<number[]> {
  const parquet = await ParquetFile.fromFile(await openAsBlob(file));
  const metadata = parquet.metadata();
  const starts = [4];
  for (const group of metadata.rowGroups()) for (const column of group.columns()) starts.push(starts.at(-1)! + column.compressedSize());
  metadata.free();
  parquet.free();
  return starts.slice(0, -1);
}

/** One damaged copy: page headers, page bodies, zeroed pages, garbage, the footer, or a cut. */
function damage(original: Buffer, starts: readonly number[], rng: Random): { bytes: Buffer; what: string } {
  const bytes = Buffer.from(original);
  const footerStart = original.length - 8 - original.readUInt32LE(original.length - 8);
  const start = starts[rng.int(starts.length)]!;
  switch (rng.int(6)) {
    case 0: {
      const flips = 1 + rng.int(4);
      for (let f = 0; f < flips; f++) bytes[start + rng.int(48)]! ^= 1 << rng.int(8);
      return { bytes, what: `${flips} bit flips in the page header at ${start}` };
    }
    case 1: {
      const flips = 1 + rng.int(8);
      for (let f = 0; f < flips; f++) bytes[4 + rng.int(footerStart - 4)]! ^= 1 << rng.int(8);
      return { bytes, what: `${flips} bit flips in pages` };
    }
    case 2: {
      const length = 16 + rng.int(400);
      bytes.fill(0, start, Math.min(footerStart, start + length));
      return { bytes, what: `${length} bytes zeroed at the page at ${start}` };
    }
    case 3: {
      const flips = 1 + rng.int(4);
      for (let f = 0; f < flips; f++)
        bytes[footerStart + rng.int(footerStart < original.length - 8 ? original.length - 8 - footerStart : 1)]! ^= 1 << rng.int(8);
      return { bytes, what: `${flips} bit flips in the footer` };
    }
    case 4: {
      const length = 8 + rng.int(200);
      const at = 4 + rng.int(footerStart - 4 - length);
      for (let i = 0; i < length; i++) bytes[at + i] = rng.int(256);
      return { bytes, what: `${length} garbage bytes at ${at}` };
    }
    default: {
      const at = rng.int(original.length);
      return { bytes: bytes.subarray(0, at), what: `cut to ${at} bytes` };
    }
  }
}

interface Outcome {
  readonly rows?: number;
  readonly dataError?: boolean;
  readonly message?: string;
  readonly error?: string;
  readonly hung?: boolean;
}

/** Reads every file in a child process, restarting it after a file that hangs or kills it. */
async function readAll(files: readonly string[], options: object): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let child: ChildProcess | undefined;
  let lines: AsyncIterator<string> | undefined;
  for (const file of files) {
    if (!child) {
      child = spawn(process.execPath, [path.resolve('test/helpers/readFiles.mjs'), JSON.stringify(options)], {
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    }
    child.stdin!.write(`${file}\n`);
    let timer: NodeJS.Timeout | undefined;
    const line = await Promise.race([
      lines!.next(),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), TIME_BOUND_MS))),
    ]);
    clearTimeout(timer);
    if (line === 'timeout' || line.done) {
      outcomes.push({ hung: line === 'timeout', error: line === 'timeout' ? 'hung' : 'the process died' });
      child.kill('SIGKILL');
      child = undefined;
      continue;
    }
    outcomes.push(JSON.parse(line.value) as Outcome);
  }
  child?.kill();
  return outcomes;
}

describe('readParquet on damaged files', () => {
  for (const name of ['pyarrow-snappy-v1.parquet', 'pyarrow-zstd-v2.parquet', 'pyarrow-none-v1.parquet']) {
    it(`ends every one of ${CASES_PER_FILE} damaged copies of ${name} in all 300 rows or a DataError naming the file and where`, async () => {
      const source = path.join(WRITERS, name);
      const original = readFileSync(source);
      const starts = await chunkStarts(source);
      expect(starts.length).toBeGreaterThan(3);
      const rng = createRandom(`parquet-fuzz:${name}`);
      const dir = tempDir();
      const cases = Array.from({ length: CASES_PER_FILE }, (_, c) => {
        const { bytes, what } = damage(original, starts, rng);
        const file = path.join(dir, `case-${c}.parquet`);
        writeFileSync(file, bytes);
        return { file, what };
      });
      const outcomes = await readAll(
        cases.map((c) => c.file),
        { label: 'label' },
      );
      const failures = outcomes.flatMap((o, c) =>
        o.rows === 300 || (o.dataError && o.message?.includes(cases[c]!.file))
          ? []
          : [`case ${c} (${cases[c]!.what}): ${o.rows !== undefined ? `${o.rows} rows` : o.error}`],
      );
      expect(failures).toEqual([]);
      const dataErrors = outcomes.filter((o) => o.dataError);
      // The damage reaches the decoder: most copies end in an error naming a row group or the footer.
      expect(dataErrors.length).toBeGreaterThan(CASES_PER_FILE / 4);
      expect(dataErrors.some((o) => /row group \d+: the Parquet data is damaged/.test(o.message!))).toBe(true);
      // Every message is one line of at most a few hundred characters.
      for (const o of dataErrors) expect(o.message!.length).toBeLessThan(400);
    }, 120_000);
  }
});
