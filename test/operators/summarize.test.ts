import { lastValueFrom, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { summarize } from '../../src/operators/summarize.js';
import { readArrow } from '../../src/streams/arrow/readArrow.js';
import type { ExampleBlock } from '../../src/streams/records/examples.js';
import { block } from '../helpers/blocks.js';
import { DIGITS_TRAIN } from '../helpers/files.js';

describe('summarize', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits once, on completion, the rows, classes and feature statistics', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', { a: block(0, 2), b: block(2, 2) });
      expectObservable(
        source.pipe(
          summarize(),
          map((s) => `${s.rows}/${s.cols}/${s.classes}/${s.standardizer.mean[0]}`),
        ),
      ).toBe('-----(x|)', { x: '4/2/4/15' });
    });
  });

  it('errors on an empty dataset and passes upstream errors on', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<ExampleBlock>('--|').pipe(summarize())).toBe(
        '--#',
        undefined,
        new RangeError('summarize: the dataset is empty'),
      );
      expectObservable(cold<ExampleBlock>('-#').pipe(summarize())).toBe('-#');
    });
  });

  it('counts the bundled digits per class', async () => {
    const summary = await lastValueFrom(readArrow(DIGITS_TRAIN).pipe(summarize()));
    expect(summary.rows).toBe(1438);
    expect(summary.classes).toBe(10);
    expect(summary.classCounts.reduce((a, b) => a + b)).toBe(1438);
    expect(Math.min(...summary.classCounts)).toBeGreaterThan(130);
  });
});
