import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { Standardizer } from '../../src/model/standardizer.js';
import type { MiniBatch } from '../../src/operators/miniBatches.js';
import { normalize } from '../../src/operators/normalize.js';
import { batchOf } from '../helpers/blocks.js';

describe('normalize', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });
  const standardizer = new Standardizer(Float64Array.of(1, 10), Float64Array.of(2, 5));
  const values = (b: { x: { data: ArrayLike<number> } }) => Array.from(b.x.data).join(',');

  it('standardizes each batch with the fitted statistics, leaving the input untouched', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = batchOf(
        [
          [1, 10],
          [5, 0],
        ],
        [0, 1],
      );
      const source = cold('-a-a-|', { a });
      expectObservable(source.pipe(normalize(standardizer), map(values))).toBe('-x-x-|', { x: '0,0,2,-2' });
      expectSubscriptions(source.subscriptions).toBe('^----!');
      expect(Array.from(a.x.data)).toEqual([1, 10, 5, 0]);
    });
  });

  it('handles never, empty, upstream errors and early unsubscription', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      expectObservable(cold<MiniBatch>('-').pipe(normalize(standardizer))).toBe('-');
      expectObservable(cold<MiniBatch>('|').pipe(normalize(standardizer))).toBe('|');
      expectObservable(cold<MiniBatch>('-#').pipe(normalize(standardizer))).toBe('-#');
      const source = cold('-a-a-a-|', { a: batchOf([[1, 10]], [0]) });
      expectObservable(source.pipe(normalize(standardizer), map(values)), '^--!').toBe('-x-', { x: '0,0' });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('gives each batch its own array unless asked to recycle', () => {
    const seen: unknown[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-a-|', { a: batchOf([[1, 10]], [0]) });
      // Both subscriptions run side by side: pushes alternate between them.
      expectObservable(
        source.pipe(
          normalize(standardizer),
          map((b) => seen.push(b.x.data)),
        ),
      ).toBe('-x-y-|', { x: 1, y: 3 });
      expectObservable(
        source.pipe(
          normalize(standardizer, { recycle: true }),
          map((b) => seen.push(b.x.data)),
        ),
      ).toBe('-x-y-|', { x: 2, y: 4 });
    });
    expect(seen[0]).not.toBe(seen[2]);
    expect(seen[1]).toBe(seen[3]);
  });

  it('errors when the batch has a different number of features', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-|', { a: batchOf([[1, 2, 3]], [0]) });
      expectObservable(source.pipe(normalize(standardizer))).toBe(
        '-#',
        undefined,
        new RangeError('normalize: the standardizer was fitted on 2 features, the batch has 3'),
      );
    });
  });
});
