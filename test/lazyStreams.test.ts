import path from 'node:path';
import { lastValueFrom, reduce } from 'rxjs';
import { describe, expect, it } from 'vitest';
import * as advanced from '../src/entries/advanced.js';
import * as root from '../src/index.js';
import * as arrow from '../src/streams/arrow/readArrow.js';
import * as parquet from '../src/streams/parquet/readParquet.js';
import * as data from '../src/streams/readData.js';

// The root's readers (and rxgrad/advanced's inspectors) load their modules on first use
// (lazyStreams.ts): each must be the function it stands for, for every format, not another
// that happens to share its signature.

const WINE = path.resolve('test/fixtures/wine');
const FILES = ['pandas.csv', 'pandas.parquet', 'polars.arrow'].map((name) => path.join(WINE, name));
const rows = (blocks: ReturnType<typeof root.readData>) => lastValueFrom(blocks.pipe(reduce((n, block) => n + block.rows, 0)));
const classNames = ['class_0', 'class_1', 'class_2'];

describe("the root's lazy readers", () => {
  it('readData, inspectData and inspectLabels read CSV, Parquet and Arrow as readData.ts does', async () => {
    for (const file of FILES) {
      const layout = await root.inspectData(file);
      expect(layout, file).toEqual(await data.inspectData(file));
      expect(layout.features, file).toHaveLength(13);
      expect(await advanced.inspectLabels(file), file).toEqual({ numeric: false, names: classNames });
      expect(await rows(root.readData(file, { classNames })), file).toBe(178);
    }
  });

  it('the Arrow and Parquet readers are their own modules', async () => {
    const [, parquetFile, arrowFile] = FILES as [string, string, string];
    expect(await advanced.inspectArrow(arrowFile)).toEqual(await arrow.inspectArrow(arrowFile));
    expect(await advanced.inspectParquet(parquetFile)).toEqual(await parquet.inspectParquet(parquetFile));
    expect(await rows(root.readArrow(arrowFile, { classNames }))).toBe(178);
    expect(await rows(root.readParquet(parquetFile, { classNames }))).toBe(178);
    // Each refuses the other's format, as the module it stands for does.
    await expect(advanced.inspectArrow(parquetFile)).rejects.toThrow();
    await expect(advanced.inspectParquet(arrowFile)).rejects.toThrow();
  });
});
