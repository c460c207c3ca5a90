import { from, lastValueFrom, map, Subject, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { type MiniBatch, miniBatches } from '../../src/operators/miniBatches.js';
import type { ExampleBlock } from '../../src/streams/records/examples.js';
import { block } from '../helpers/blocks.js';

const labelsOf = (b: MiniBatch) => Array.from(b.labels).join(',');

describe('miniBatches', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits a batch as soon as it fills and the partial last batch on completion', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' -a--b--|', { a: block(0, 3), b: block(3, 2) });
      const subs = '       ^------!';
      const expected = '   -x--y--(z|)';
      expectObservable(source.pipe(miniBatches({ batchSize: 2, shuffle: false }), map(labelsOf))).toBe(expected, {
        x: '0,1',
        y: '2,3',
        z: '4',
      });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('never emits for a source that never emits, and completes empty on empty', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<ExampleBlock>('-').pipe(miniBatches({ batchSize: 2 }))).toBe('-');
      expectObservable(cold<ExampleBlock>('|').pipe(miniBatches({ batchSize: 2 }))).toBe('|');
    });
  });

  it('drops a last batch smaller than minLastBatch', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-----|', { a: block(0, 5) });
      expectObservable(source.pipe(miniBatches({ batchSize: 2, shuffle: false, minLastBatch: 2 }), map(labelsOf))).toBe('-(xy)--|', {
        x: '0,1',
        y: '2,3',
      });
    });
  });

  it('passes an upstream error on and stops when unsubscribed', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#', { a: block(0, 2) });
      expectObservable(source.pipe(miniBatches({ batchSize: 2, shuffle: false }), map(labelsOf))).toBe('-x-#', { x: '0,1' });
      const long = cold('-a-a-a-a-|', { a: block(0, 2) });
      expectObservable(long.pipe(miniBatches({ batchSize: 2, shuffle: false }), map(labelsOf)), '^---!').toBe('-x-x', { x: '0,1' });
      expectSubscriptions(long.subscriptions).toBe('^---!');
    });
  });

  it('raises a DataError for an example with a bad feature or label', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', { a: { features: [1, 2], label: 0 }, b: { features: [1, Number.NaN], label: 1 } });
      expectObservable(source.pipe(miniBatches({ batchSize: 4 }))).toBe(
        '---#',
        undefined,
        new DataError('non-finite feature value', { column: 'features[1]', row: 1, expected: 'a finite number', actual: 'NaN' }),
      );
    });
  });

  it('shuffles reproducibly per seed and epoch, each epoch a permutation', async () => {
    const run = (seed: number, epoch: number) =>
      lastValueFrom(
        from([block(0, 30), block(30, 20)]).pipe(
          miniBatches({ batchSize: 8, seed, epoch }),
          map((b) => Array.from(b.labels)),
          toArray(),
        ),
      );
    const a = await run(1, 1);
    expect(await run(1, 1)).toEqual(a);
    expect(a.map((b) => b.length)).toEqual([8, 8, 8, 8, 8, 8, 2]);
    expect(a.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a.flat()).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await run(1, 2)).not.toEqual(a);
    expect(await run(2, 1)).not.toEqual(a);
    expect(() => miniBatches({ batchSize: 8, epoch: 0 })).toThrow(/epoch must be an integer ≥ 1 \(1 for the first\), got 0/);
  });

  it('keeps features with their labels while shuffling', async () => {
    const batches = await lastValueFrom(from([block(0, 20, 3)]).pipe(miniBatches({ batchSize: 6, seed: 4, shuffleBuffer: 5 }), toArray()));
    for (const b of batches) {
      for (let i = 0; i < b.size; i++)
        expect(Array.from(b.x.data.subarray(i * 3, i * 3 + 3))).toEqual([0, 1, 2].map((j) => b.labels[i]! * 10 + j));
    }
    expect(batches.flatMap((b) => Array.from(b.labels)).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('keeps byte features with their labels whatever the row width and alignment', async () => {
    // Rows of any width, and a block that starts at an odd byte offset.
    for (const [cols, offset] of [
      [3, 0],
      [4, 0],
      [8, 0],
      [4, 1],
    ] as const) {
      const rows = 40;
      const buffer = new Uint8Array(offset + rows * cols);
      const features = buffer.subarray(offset);
      features.forEach((_, k) => (features[k] = (Math.floor(k / cols) * 10 + (k % cols)) % 256));
      const source: ExampleBlock = { features, labels: Int32Array.from({ length: rows }, (_, i) => i), rows, cols, firstRow: 0 };
      const batches = await lastValueFrom(from([source]).pipe(miniBatches({ batchSize: 6, seed: 2, shuffleBuffer: 16 }), toArray()));
      for (const b of batches) {
        expect(b.x.data).toBeInstanceOf(Uint8Array);
        for (let i = 0; i < b.size; i++) {
          const expected = Array.from({ length: cols }, (_, j) => (b.labels[i]! * 10 + j) % 256);
          expect(Array.from(b.x.data.subarray(i * cols, (i + 1) * cols)), `cols ${cols}, offset ${offset}`).toEqual(expected);
        }
      }
      expect(batches.flatMap((b) => Array.from(b.labels)).sort((x, y) => x - y)).toEqual(Array.from({ length: rows }, (_, i) => i));
    }
  });

  it('copies float features bit for bit, NaN payloads included', async () => {
    const source = block(0, 12, 2);
    const bits = new Uint32Array(source.features.buffer);
    bits[5] = 0x7fa00001; // a signalling NaN with a payload, in row 2
    const batches = await lastValueFrom(from([source]).pipe(miniBatches({ batchSize: 4, seed: 1, shuffleBuffer: 5 }), toArray()));
    const row2 = batches
      .flatMap((b) =>
        Array.from({ length: b.size }, (_, i) => ({
          label: b.labels[i]!,
          bits: Array.from(new Uint32Array(b.x.data.buffer, b.x.data.byteOffset + i * 8, 2)),
        })),
      )
      .find((r) => r.label === 2)!;
    expect(row2.bits).toEqual([bits[4], 0x7fa00001]);
  });

  it('cuts a live source into batches by count as examples arrive', () => {
    const live = new Subject<{ features: number[]; label: number }>();
    const seen: string[] = [];
    live.pipe(miniBatches({ batchSize: 3, shuffle: false }), map(labelsOf)).subscribe((b) => seen.push(b));
    for (let i = 0; i < 7; i++) {
      live.next({ features: [i, i], label: i });
      if (i === 2) expect(seen).toEqual(['0,1,2']);
    }
    expect(seen).toEqual(['0,1,2', '3,4,5']);
    live.complete();
    expect(seen).toEqual(['0,1,2', '3,4,5', '6']);
  });

  it('with recycle, reuses two buffers so a batch is intact until the next is emitted', async () => {
    const held: Float32Array[] = [];
    await lastValueFrom(
      from([block(0, 8)]).pipe(
        miniBatches({ batchSize: 2, shuffle: false, recycle: true }),
        map((b) => held.push(b.x.data as Float32Array)),
        toArray(),
      ),
    );
    expect(held[0]).toBe(held[2]);
    expect(held[1]).toBe(held[3]);
    expect(held[0]).not.toBe(held[1]);
  });

  it("an epoch's memory goes to the next epoch, which sees none of its values", async () => {
    const epoch = (offset: number, epochNumber: number) => {
      const source = block(0, 45, 3);
      source.features.forEach((v, k) => (source.features[k] = v + offset));
      return lastValueFrom(
        from([source]).pipe(
          miniBatches({ batchSize: 8, seed: 3, epoch: epochNumber, shuffleBuffer: 16, recycle: true }),
          map((b) => ({ labels: Array.from(b.labels), x: Array.from(b.x.data) })),
          toArray(),
        ),
      );
    };
    await epoch(0, 1);
    const second = await epoch(5000, 2);
    expect(second.map((b) => b.labels.length)).toEqual([8, 8, 8, 8, 8, 5]);
    for (const b of second) expect(b.x).toEqual(b.labels.flatMap((r) => [0, 1, 2].map((j) => 5000 + r * 10 + j)));
    expect(second.flatMap((b) => b.labels).sort((x, y) => x - y)).toEqual(Array.from({ length: 45 }, (_, i) => i));
  });

  it('rejects examples after byte blocks', () => {
    const bytes: ExampleBlock = { features: new Uint8Array(4), labels: new Int32Array(2), rows: 2, cols: 2, firstRow: 0 };
    const errors: unknown[] = [];
    from<(ExampleBlock | { features: number[]; label: number })[]>([bytes, { features: [1, 2], label: 0 }])
      .pipe(miniBatches({ batchSize: 8 }))
      .subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toMatch(/mix bytes and floats/);
  });

  it('rejects a bad batch size when built', () => {
    expect(() => miniBatches({ batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
  });
});
