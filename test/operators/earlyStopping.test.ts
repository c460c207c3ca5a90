import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { EpochMonitor, earlyStopping } from '../../src/operators/earlyStopping.js';
import type { FitEvent } from '../../src/operators/fit.js';

const epoch = (n: number, loss: number, accuracy = 0.5): FitEvent => ({
  type: 'epoch',
  epoch: n,
  trainLoss: 1,
  trainAccuracy: 0.5,
  validation: { examples: 10, loss, accuracy, confusion: [] },
  learningRate: 0.1,
  examples: 10,
  steps: 1,
  seconds: 0,
});

describe('earlyStopping', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('ends after the epoch that exhausts the patience, and unsubscribes from the run', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-d-e-|', { a: epoch(1, 1), b: epoch(2, 0.9), c: epoch(3, 0.95), d: epoch(4, 0.97), e: epoch(5, 0.5) });
      expectObservable(
        source.pipe(
          earlyStopping({ patience: 2 }),
          map((e) => String(e.type === 'epoch' ? e.epoch : 0)),
        ),
      ).toBe('-1-2-3-(4|)');
      expectSubscriptions(source.subscriptions).toBe('^------!');
    });
  });

  it('monitors the accuracy when asked, passes batches and errors on, and starts afresh per subscription', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const op = earlyStopping({ patience: 1, monitor: 'accuracy' });
      const source = cold('-a-b-c-|', { a: epoch(1, 1, 0.5), b: epoch(2, 1, 0.6), c: epoch(3, 1, 0.6) });
      expectObservable(
        source.pipe(
          op,
          map((e) => String(e.type === 'epoch' ? e.epoch : 0)),
        ),
      ).toBe('-1-2-(3|)');
      expectObservable(
        source.pipe(
          op,
          map((e) => String(e.type === 'epoch' ? e.epoch : 0)),
        ),
      ).toBe('-1-2-(3|)');
      expectObservable(cold<FitEvent>('-#').pipe(op)).toBe('-#');
      expectObservable(cold<FitEvent>('-|').pipe(op)).toBe('-|');
    });
    expect(() => earlyStopping({ patience: 0 })).toThrow(/patience must be a positive integer, got 0/);
  });

  it('EpochMonitor needs validation metrics', () => {
    const monitor = new EpochMonitor();
    const { validation: _, ...withoutValidation } = epoch(1, 1) as Extract<FitEvent, { type: 'epoch' }>;
    expect(() => monitor.observe(withoutValidation)).toThrow(/has no validation metrics/);
  });
});
