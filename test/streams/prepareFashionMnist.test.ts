import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { readArrow } from '../../src/streams/arrow/readArrow.js';
import { prepareFashionMnist } from '../../src/streams/prepareFashionMnist.js';
import { cli, lastJson } from '../helpers/cli.js';
import { leftovers, tempDir } from '../helpers/files.js';

/** Writes a gzipped IDX file: magic, dimensions, then the bytes. */
function idx(file: string, magic: number, dims: number[], bytes: Uint8Array) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  writeFileSync(file, gzipSync(Buffer.concat([header, bytes])));
}

function fakeFashion(dir: string, trainRows: number, testRows: number) {
  const images = (rows: number) => Uint8Array.from({ length: rows * 784 }, (_, i) => (i * 7) % 256);
  const labels = (rows: number) => Uint8Array.from({ length: rows }, (_, i) => i % 10);
  idx(path.join(dir, 'train-images-idx3-ubyte.gz'), 0x803, [trainRows, 28, 28], images(trainRows));
  idx(path.join(dir, 'train-labels-idx1-ubyte.gz'), 0x801, [trainRows], labels(trainRows));
  idx(path.join(dir, 't10k-images-idx3-ubyte.gz'), 0x803, [testRows, 28, 28], images(testRows));
  idx(path.join(dir, 't10k-labels-idx1-ubyte.gz'), 0x801, [testRows], labels(testRows));
}

describe('prepareFashionMnist', () => {
  it('streams IDX images and labels into Arrow files of 784 uint8 pixels and a label', async () => {
    const source = tempDir();
    const out = path.join(tempDir(), 'fashion');
    fakeFashion(source, 25, 7);
    expect(await prepareFashionMnist(out, source, 10)).toEqual({ train: 25, test: 7 });
    const blocks = await lastValueFrom(readArrow(path.join(out, 'train.arrow')).pipe(toArray()));
    expect(blocks.map((b) => b.rows)).toEqual([10, 10, 5]);
    expect(blocks[0]!.cols).toBe(784);
    expect(blocks[2]!.features[784 + 3]).toBe(((21 * 784 + 3) * 7) % 256);
    expect(Array.from(blocks[2]!.labels)).toEqual([0, 1, 2, 3, 4]);
    expect(leftovers(out)).toEqual([]);
  });

  it("is the CLI's prepare command, with --json", async () => {
    const source = tempDir();
    const out = path.join(tempDir(), 'fashion');
    fakeFashion(source, 12, 3);
    const result = await cli(['prepare', 'fashion-mnist', '--source', source, '--out', out, '--json']);
    expect(result.code).toBe(0);
    expect(lastJson(result.stdout)).toEqual({
      trainRows: 12,
      testRows: 3,
      train: path.join(out, 'train.arrow'),
      test: path.join(out, 'test.arrow'),
    });
    expect((await cli(['prepare', 'mnist'])).code).toBe(2);
  });

  it('names a missing or malformed file and leaves no output behind', async () => {
    const source = tempDir();
    const out = path.join(tempDir(), 'fashion');
    await expect(prepareFashionMnist(out, source)).rejects.toThrow(
      /train-images-idx3-ubyte.gz: Fashion-MNIST IDX file not found \(apt-get install dataset-fashion-mnist\)/,
    );
    fakeFashion(source, 4, 2);
    idx(path.join(source, 'train-labels-idx1-ubyte.gz'), 0x803, [4], new Uint8Array(4));
    const error = await prepareFashionMnist(out, source).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toMatch(
      /train-labels-idx1-ubyte.gz: not the expected IDX file \(expected magic 0x00000801, got 0x00000803\)/,
    );
    expect(leftovers(out)).toEqual([]);
  });
});
