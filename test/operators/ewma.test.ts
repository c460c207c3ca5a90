import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { ewma } from '../../src/operators/ewma.js';

describe('ewma', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits the bias-corrected EWA of each value', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-|', { a: 10, b: 20, c: 30 });
      // Raw v: 1, 2.9, 5.61; corrected by 1 − 0.9ᵗ: 10, 15.263…, 20.701…
      const round = (x: number) => Math.round(x * 1e6) / 1e6;
      expectObservable(
        source.pipe(
          ewma({ beta: 0.9 }),
          map((s) => round(s.mean)),
        ),
      ).toBe('-x-y-z-|', { x: 10, y: round(2.9 / 0.19), z: round(5.61 / 0.271) });
      expectSubscriptions(source.subscriptions).toBe('^------!');
    });
  });

  it('without bias correction starts from zero', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(
        cold('-a-|', { a: 10 }).pipe(
          ewma({ beta: 0.9, biasCorrection: false }),
          map((s) => Math.round(s.mean * 1e9) / 1e9),
        ),
      ).toBe('-x-|', { x: 1 });
    });
  });

  it('tracks the squared deviation from the previous mean', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', { a: 4, b: 6 });
      // t = 2: deviation 6 − 4 = 2; squares = 0.9·0 + 0.1·4 = 0.4; corrected /0.19
      expectObservable(
        source.pipe(
          ewma({ beta: 0.9 }),
          map((s) => Math.round(s.variance * 1e9) / 1e9),
        ),
      ).toBe('-x-y-|', { x: 0, y: Math.round((0.4 / 0.19) * 1e9) / 1e9 });
    });
  });

  it('handles never, empty, errors and early unsubscription, and rejects a bad β', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      expectObservable(cold<number>('-').pipe(ewma())).toBe('-');
      expectObservable(cold<number>('|').pipe(ewma())).toBe('|');
      expectObservable(cold<number>('-#').pipe(ewma())).toBe('-#');
      const source = cold('-a-a-a-|', { a: 1 });
      expectObservable(
        source.pipe(
          ewma(),
          map((s) => s.count),
        ),
        '^--!',
      ).toBe('-x-', { x: 1 });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(() => ewma({ beta: 1 })).toThrow(/beta must be in \[0, 1\), got 1/);
  });
});
