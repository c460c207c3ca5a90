import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { concat, lastValueFrom, of, Subject, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { openArrowSink } from '../../src/streams/arrow/arrowColumns.js';
import type { Predictions } from '../../src/streams/records/predictions.js';
import { writePredictions } from '../../src/streams/writePredictions.js';
import { leftovers, tempDir } from '../helpers/files.js';

const predictions = (rows: number, first: number): Predictions => ({
  rows,
  classes: 2,
  predicted: Int32Array.from({ length: rows }, (_, i) => (first + i) % 2),
  probabilities: Float32Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 0 ? 0.25 : 0.75)),
});

describe('writePredictions', () => {
  it('writes row, prediction and probabilities as an Arrow file', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'pred.arrow');
    const written = await lastValueFrom(of(predictions(3, 0), predictions(2, 3)).pipe(writePredictions(out)));
    expect(written).toEqual({ path: out, rows: 5 });
    const table = tableFromIPC(readFileSync(out));
    expect(table.schema.fields.map(String)).toEqual(['row: Int32', 'prediction: Int32', 'probabilities: FixedSizeList[2]<Float32>']);
    expect(Array.from(table.getChild('row')!.toArray())).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(table.getChild('prediction')!.toArray())).toEqual([0, 1, 0, 1, 0]);
    expect(Array.from(table.get(4)!.probabilities)).toEqual([0.25, 0.75]);
    expect(leftovers(dir)).toEqual([]);
  });

  it('with class names, the prediction is the class name and its index is prediction_index, in Arrow and Parquet alike', async () => {
    const dir = tempDir();
    const classNames = ['2', '7'];
    const arrow = path.join(dir, 'pred.arrow');
    await lastValueFrom(of(predictions(3, 0)).pipe(writePredictions(arrow, { classNames })));
    const table = tableFromIPC(readFileSync(arrow));
    expect(table.schema.fields.map(String)).toEqual([
      'row: Int32',
      'prediction: Utf8',
      'prediction_index: Int32',
      'probabilities: FixedSizeList[2]<Float32>',
    ]);
    expect(table.toArray().map((row) => [row.prediction, row.prediction_index])).toEqual([
      ['2', 0],
      ['7', 1],
      ['2', 0],
    ]);
    expect(JSON.parse(table.schema.metadata.get('rxgrad.classNames')!)).toEqual(classNames);
    const parquet = path.join(dir, 'pred.parquet');
    await lastValueFrom(of(predictions(3, 0)).pipe(writePredictions(parquet, { classNames })));
    const { ParquetFile } = await import('parquet-wasm');
    const { openAsBlob } = await import('node:fs');
    const read = tableFromIPC((await (await ParquetFile.fromFile(await openAsBlob(parquet))).read()).intoIPCStream());
    expect(read.schema.fields.map((f) => f.name)).toEqual(['row', 'prediction', 'prediction_index', 'probabilities']);
    expect(read.toArray().map((row) => [row.prediction, row.prediction_index])).toEqual([
      ['2', 0],
      ['7', 1],
      ['2', 0],
    ]);
  });

  it('leaves nothing behind when the source errors', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'pred.arrow');
    await expect(
      lastValueFrom(
        concat(
          of(predictions(3, 0)),
          throwError(() => new Error('boom')),
        ).pipe(writePredictions(out)),
      ),
    ).rejects.toThrow('boom');
    // The error arrives only once the temporary file is gone: nothing to wait for.
    expect(existsSync(out)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });

  it('an Arrow sink aborted before its file has even opened leaves nothing behind', async () => {
    for (let i = 0; i < 20; i++) {
      const dir = tempDir();
      const sink = await openArrowSink(path.join(dir, 'out.arrow'));
      await sink.abort();
      expect(leftovers(dir), `attempt ${i}`).toEqual([]);
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  for (const when of ['before the file opens', 'mid-way'] as const) {
    it(`unsubscribed ${when}: stops taking predictions and leaves no file and no temporary behind`, async () => {
      const dir = tempDir();
      const out = path.join(dir, 'pred.arrow');
      const source = new Subject<Predictions>();
      const subscription = source.pipe(writePredictions(out)).subscribe();
      if (when === 'mid-way') {
        while (!source.observed) await new Promise((resolve) => setTimeout(resolve, 1));
        source.next(predictions(3, 0));
        expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toHaveLength(1);
      }
      subscription.unsubscribe();
      // Cleanup is asynchronous (the file must close first); wait for it, a bounded time.
      const deadline = Date.now() + 5_000;
      while ((readdirSync(dir).length > 0 || (when === 'before the file opens' && Date.now() < deadline - 4_900)) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 5));
      expect(readdirSync(dir)).toEqual([]);
      expect(source.observed).toBe(false);
    });
  }

  it('an Arrow sink puts each batch on disk before write returns, so its memory stays bounded', async () => {
    const { arrowRecordBatch } = await import('../../src/streams/arrow/arrowColumns.js');
    const dir = tempDir();
    const sink = await openArrowSink(path.join(dir, 'out.arrow'));
    const rows = 20_000;
    const column = { name: 'x', values: new Float32Array(rows * 4).fill(1.5), listSize: 4 };
    for (let i = 1; i <= 5; i++) {
      sink.write(arrowRecordBatch([column], 0, rows));
      const [temporary] = readdirSync(dir);
      // Nothing waits in memory: the file already holds every batch written so far.
      expect(statSync(path.join(dir, temporary!)).size).toBeGreaterThanOrEqual(i * rows * 4 * 4);
    }
    await sink.close();
    expect(tableFromIPC(readFileSync(path.join(dir, 'out.arrow'))).numRows).toBe(5 * rows);
  });
});
