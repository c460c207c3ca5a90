import { createReadStream, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { DataError } from '../errors.js';
import { arrowRecordBatch, openArrowSink } from './arrow/arrowColumns.js';

import { FASHION_MNIST_SOURCE } from './fashionMnistSource.js';

export { FASHION_MNIST_SOURCE };

/** Reads an IDX file (optionally gzipped) as a stream of records of `recordSize` bytes, `perChunk` at a time. */
async function* idxRecords(
  file: string,
  expectedMagic: number,
  perChunk: number,
): AsyncGenerator<{ records: Uint8Array; count: number; recordSize: number }> {
  const input = createReadStream(file);
  const stream = file.endsWith('.gz') ? input.pipe(createGunzip()) : input;
  let pending: Buffer = Buffer.alloc(0);
  let header: { count: number; recordSize: number } | undefined;
  let emitted = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (!header) {
      if (pending.length < 8) continue;
      const magic = pending.readUInt32BE(0);
      if (magic !== expectedMagic)
        throw new DataError('not the expected IDX file', {
          file,
          expected: `magic 0x${expectedMagic.toString(16).padStart(8, '0')}`,
          actual: `0x${magic.toString(16).padStart(8, '0')}`,
        });
      const dims = magic & 0xff;
      if (pending.length < 4 + 4 * dims) continue;
      const shape = Array.from({ length: dims }, (_, d) => pending.readUInt32BE(4 + 4 * d));
      header = { count: shape[0]!, recordSize: shape.slice(1).reduce((a, b) => a * b, 1) };
      pending = pending.subarray(4 + 4 * dims);
    }
    const bytes = perChunk * header.recordSize;
    while (pending.length >= bytes && emitted + perChunk <= header.count) {
      yield { records: new Uint8Array(pending.subarray(0, bytes)), count: perChunk, recordSize: header.recordSize };
      pending = pending.subarray(bytes);
      emitted += perChunk;
    }
  }
  if (!header) throw new DataError('truncated IDX header', { file });
  const left = header.count - emitted;
  if (pending.length !== left * header.recordSize)
    throw new DataError('IDX file length does not match its header', {
      file,
      expected: `${left * header.recordSize} more bytes`,
      actual: `${pending.length}`,
    });
  if (left > 0) yield { records: new Uint8Array(pending), count: left, recordSize: header.recordSize };
}

/**
 * Converts one IDX image/label pair into an Arrow IPC file with a `pixels` column
 * (FixedSizeList[784]<Uint8>) and an int64 `label`, `batchRows` rows per record batch, streaming
 * both inputs and writing atomically.
 */
async function convert(images: string, labels: string, out: string, batchRows: number): Promise<number> {
  const sink = await openArrowSink(out);
  let rows = 0;
  try {
    const labelChunks = idxRecords(labels, 0x00000801, batchRows);
    for await (const chunk of idxRecords(images, 0x00000803, batchRows)) {
      const next = await labelChunks.next();
      if (next.done || next.value.count !== chunk.count) throw new DataError('images and labels differ in length', { file: labels });
      const label = BigInt64Array.from(next.value.records, (v) => BigInt(v));
      sink.write(
        arrowRecordBatch(
          [
            { name: 'pixels', values: chunk.records, listSize: chunk.recordSize },
            { name: 'label', values: label },
          ],
          0,
          chunk.count,
        ),
      );
      rows += chunk.count;
    }
    if (!(await labelChunks.next()).done) throw new DataError('labels outnumber images', { file: labels });
    await sink.close();
  } catch (error) {
    await sink.abort();
    throw error;
  }
  return rows;
}

/**
 * Turns Fashion-MNIST's IDX files (as Debian's `dataset-fashion-mnist` installs them) into
 * `train.arrow` and `test.arrow` in `outDir`.
 *
 * @example
 * await prepareFashionMnist('data/fashion-mnist'); // { train: 60000, test: 10000 }
 */
export async function prepareFashionMnist(
  outDir: string,
  sourceDir = FASHION_MNIST_SOURCE,
  batchRows = 8192,
): Promise<{ train: number; test: number }> {
  const file = (name: string) => path.join(sourceDir, name);
  for (const name of [
    'train-images-idx3-ubyte.gz',
    'train-labels-idx1-ubyte.gz',
    't10k-images-idx3-ubyte.gz',
    't10k-labels-idx1-ubyte.gz',
  ]) {
    if (!existsSync(file(name)))
      throw new DataError('Fashion-MNIST IDX file not found (apt-get install dataset-fashion-mnist)', { file: file(name) });
  }
  await fs.mkdir(outDir, { recursive: true });
  const train = await convert(
    file('train-images-idx3-ubyte.gz'),
    file('train-labels-idx1-ubyte.gz'),
    path.join(outDir, 'train.arrow'),
    batchRows,
  );
  const test = await convert(
    file('t10k-images-idx3-ubyte.gz'),
    file('t10k-labels-idx1-ubyte.gz'),
    path.join(outDir, 'test.arrow'),
    batchRows,
  );
  return { train, test };
}
