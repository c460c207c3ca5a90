import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { AshaPruner, ashaDecision, ashaPrune, ashaRungs, type EpochReport, type PruneDecision } from '../../src/tuning/asha.js';

describe('ashaPrune', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });
  const r = (trial: string, epoch: number, score: number): EpochReport => ({ trial, epoch, score });
  const show = map((d: PruneDecision) => `${d.trial}@${d.epoch}:${d.decision === 'prune' ? 'x' : 'ok'}`);

  it('places rungs at minEpochs·η^k', () => {
    expect(ashaRungs({ maxEpochs: 27 })).toEqual([1, 3, 9]);
    expect(ashaRungs({ minEpochs: 2, maxEpochs: 20, eta: 2 })).toEqual([2, 4, 8, 16]);
    expect(() => ashaRungs({ maxEpochs: 9, eta: 1 })).toThrow(/eta must be above 1, got 1/);
  });

  it('keeps the top 1/η at each rung as results arrive, and never stops between rungs', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      // η = 2, rungs at epochs 1, 2, 4 (max 8). a is first at rung 1 and goes on; b is worse than
      // a (top 1 of 2) and is pruned; c is the best of three (top 1) and goes on; d is below the
      // top 2 of 4 and is pruned. At rung 2, a goes on alone; c is better than a (top 1 of 2).
      const reports = {
        a: r('a', 1, 0.5),
        b: r('b', 1, 0.4),
        c: r('c', 1, 0.7),
        d: r('d', 1, 0.45),
        e: r('a', 2, 0.6),
        f: r('c', 2, 0.8),
        g: r('a', 3, 0.1),
      };
      const source = cold('-a-b-c-d-e-f-g-|', reports);
      const expected = '    -A-B-C-D-E-F-G-|';
      expectObservable(source.pipe(ashaPrune({ maxEpochs: 8, eta: 2 }), show)).toBe(expected, {
        A: 'a@1:ok',
        B: 'b@1:x',
        C: 'c@1:ok',
        D: 'd@1:x',
        E: 'a@2:ok',
        F: 'c@2:ok',
        G: 'a@3:ok',
      });
      expectSubscriptions(source.subscriptions).toBe('^--------------!');
    });
  });

  it('prunes a trial whose score is not finite', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', { a: r('a', 1, 0.5), b: r('b', 1, Number.NaN) });
      expectObservable(source.pipe(ashaPrune({ maxEpochs: 9 }), show)).toBe('-A-B-|', { A: 'a@1:ok', B: 'b@1:x' });
    });
  });

  it('keeps separate rung records per subscription, and passes errors on', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const op = ashaPrune({ maxEpochs: 8, eta: 2 });
      const source = cold('-a-b-|', { a: r('a', 1, 0.9), b: r('b', 1, 0.1) });
      expectObservable(source.pipe(op, show)).toBe('-A-B-|', { A: 'a@1:ok', B: 'b@1:x' });
      expectObservable(cold('-b-|', { b: r('b', 1, 0.1) }).pipe(op, show)).toBe('-B-|', { B: 'b@1:ok' });
      expectObservable(cold<EpochReport>('-#').pipe(op)).toBe('-#');
    });
  });
});

describe('AshaPruner keep counts', () => {
  // With 11 results on record, the 12th is kept exactly when it ranks in the top ⌊12/η⌋: 4 at
  // η = 3 and 3 at η = 4 (keeping the top half instead would keep 6).
  for (const [eta, kept] of [
    [3, 4],
    [4, 3],
  ] as const) {
    it(`keeps the top ${kept} of 12 at η = ${eta}`, () => {
      const continues = Array.from({ length: 12 }, (_, i) => {
        const rank = i + 1;
        const pruner = new AshaPruner({ maxEpochs: 27, eta });
        for (let s = 1; s <= 11; s++) pruner.replay({ trial: `t${s}`, epoch: 1, score: s });
        // Scores 11, 10, … sit above the probe at rank r: 12 − r + 0.5 puts it just below r − 1 of them.
        return pruner.report({ trial: 'probe', epoch: 1, score: 12 - rank + 0.5 }).decision === 'continue';
      });
      expect(continues.filter(Boolean)).toHaveLength(kept);
      expect(continues.slice(0, kept).every(Boolean)).toBe(true);
    });
  }
});

describe('ASHA and diverged trials', () => {
  it('does not count them in n: after four NaN trials and a 0.9, a 0.1 is pruned, as Optuna prunes it', () => {
    const asha = new AshaPruner({ maxEpochs: 9, eta: 3 });
    for (const trial of ['a', 'b', 'c', 'd']) expect(asha.report({ trial, epoch: 1, score: Number.NaN }).decision).toBe('prune');
    expect(asha.report({ trial: 'e', epoch: 1, score: 0.9 }).decision).toBe('continue');
    expect(asha.report({ trial: 'f', epoch: 1, score: 0.1 }).decision).toBe('prune');
    expect(ashaDecision([-Number.MAX_VALUE, -Number.MAX_VALUE, -Number.MAX_VALUE, -Number.MAX_VALUE, 0.9, 0.1], 0.1, 3)).toEqual({
      decision: 'prune',
      keep: 1,
    });
    // Finite scores alone decide as before.
    expect(ashaDecision([0.9, 0.7, 0.8, 0.6, 0.5, 0.4], 0.8, 3)).toEqual({ decision: 'continue', keep: 2 });
  });
});
