import path from 'node:path';
import { lastValueFrom, of, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { columnLevels, levelOf, oneHotBlocks, oneHotWidth } from '../../src/streams/categories.js';
import { inspectData, readData } from '../../src/streams/readData.js';
import type { ExampleBlock } from '../../src/streams/records/examples.js';

const WINE = path.resolve('test/fixtures/wine');
const files = ['extra-columns.csv', 'extra-columns.feather', 'extra-columns.parquet'].map((name) => path.join(WINE, name));

/** Every row's features of a file read with `categories`, and the cells of the kept columns. */
async function readAll(file: string, options: Parameters<typeof readData>[1]) {
  const blocks = await lastValueFrom(readData(file, options).pipe(toArray()));
  return {
    cols: blocks[0]!.cols,
    features: blocks.flatMap((b) => Array.from(b.features)),
    kept: blocks.flatMap((b) => (b.kept ?? []).map((column) => [...column])),
  };
}

describe('categorical columns', () => {
  it('find the same sorted levels in CSV, Arrow and Parquet, booleans as true/false, and say when a column has too many', async () => {
    for (const file of files) {
      const { features } = await inspectData(file, { label: 'label' });
      const levels = await lastValueFrom(
        readData(file, { label: 'label', features, unlabelled: true, keep: ['organic', 'vineyard'] }).pipe(
          columnLevels(['organic', 'vineyard'], 64),
        ),
      );
      expect(levels, file).toEqual([
        { column: 'organic', levels: ['false', 'true'], tooMany: false },
        { column: 'vineyard', levels: Array.from({ length: 7 }, (_, i) => `vineyard ${i}`), tooMany: false },
      ]);
      const capped = await lastValueFrom(
        readData(file, { label: 'label', features, unlabelled: true, keep: ['vineyard'] }).pipe(columnLevels(['vineyard'], 5)),
      );
      expect(capped[0]).toMatchObject({ tooMany: true });
      expect(capped[0]!.levels).toHaveLength(6);
    }
  });

  it('become one-hot inputs after the numeric features, equal in every format, with the caller’s kept columns given back', async () => {
    const categories = [
      { column: 'organic', levels: ['false', 'true'] },
      { column: 'vineyard', levels: Array.from({ length: 7 }, (_, i) => `vineyard ${i}`) },
    ];
    const { features } = await inspectData(files[0]!, { label: 'label' });
    const read = await Promise.all(
      files.map((file) =>
        readAll(file, { label: 'label', features, categories, keep: ['harvested'], classNames: ['class_0', 'class_1', 'class_2'] }),
      ),
    );
    expect(read[0]!.cols).toBe(features.length + 9);
    for (const other of read.slice(1)) expect(other.features).toEqual(read[0]!.features);
    expect(read[0]!.kept[0]![0]).toBe('2020-01-01');
    expect(read[0]!.kept).toHaveLength(1);
    // Row 0: vineyard 0, organic True; row 1: vineyard 1, False.
    const row = (i: number) => read[0]!.features.slice(i * (features.length + 9) + features.length, (i + 1) * (features.length + 9));
    expect(row(0)).toEqual([0, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(row(1)).toEqual([1, 0, 0, 1, 0, 0, 0, 0, 0]);
    expect(oneHotWidth(categories)).toBe(9);
  });

  it('give all zeros for a level the list does not have, and tell of each such cell', async () => {
    const unseen: string[] = [];
    const { features } = await inspectData(files[0]!, { label: 'label' });
    const { cols, features: values } = await readAll(files[1]!, {
      label: 'label',
      features,
      categories: [{ column: 'organic', levels: ['true'] }],
      classNames: ['class_0', 'class_1', 'class_2'],
      onUnseenLevel: (column, level) => unseen.push(`${column}=${level}`),
    });
    expect(cols).toBe(features.length + 1);
    expect(unseen).toHaveLength(89);
    expect(new Set(unseen)).toEqual(new Set(['organic=false']));
    expect(values.filter((_, i) => i % cols === cols - 1).reduce((a, b) => a + b, 0)).toBe(89);
  });

  it('keep bytes as bytes, reuse one array when recycling, and read booleans alike', async () => {
    const block: ExampleBlock = {
      features: Uint8Array.of(7, 8, 9, 10),
      labels: Int32Array.of(0, 1),
      rows: 2,
      cols: 2,
      firstRow: 0,
      kept: [['True', 'x']],
    };
    const operator = oneHotBlocks([{ column: 'c', levels: ['true', 'x'] }], { kept: 0, recycle: true });
    const [first, second] = await lastValueFrom(of(block, block).pipe(operator, toArray()));
    expect(first!.features).toBeInstanceOf(Uint8Array);
    expect(Array.from(second!.features)).toEqual([7, 8, 1, 0, 9, 10, 0, 1]);
    expect(first!.features.buffer).toBe(second!.features.buffer);
    expect(first!.kept).toBeUndefined();
    expect([
      levelOf('FALSE'),
      levelOf('True'),
      levelOf('truth'),
      levelOf('127.0'),
      levelOf('-3.00'),
      levelOf('1.5'),
      levelOf('007'),
    ]).toEqual(['false', 'true', 'truth', '127', '-3', '1.5', '007']);
  });
});
