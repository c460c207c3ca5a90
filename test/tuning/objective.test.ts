import { describe, expect, it } from 'vitest';
import { objectiveOf, scoreOf } from '../../src/tuning/objective.js';
import type { CurvePoint, TrialRecord } from '../../src/tuning/trial.js';

const record = (objective: TrialRecord['objective'], validationAccuracy: number | null = 0.5) =>
  ({ id: 'r0-000', status: 'completed', curve: [], epochs: 1, validationAccuracy, objective }) as unknown as TrialRecord;

describe('a trial’s score', () => {
  it('is its objective, higher better: a minimized one negated', () => {
    expect(scoreOf(record({ name: 'val-accuracy', direction: 'maximize', value: 0.9 }))).toBe(0.9);
    expect(scoreOf(record({ name: 'val-loss', direction: 'minimize', value: 0.08 }))).toBe(-0.08);
    expect(scoreOf(record(undefined, 0.7))).toBe(0.7);
    expect(scoreOf(record(undefined, null))).toBeNull();
  });

  it('of a diverged trial (NaN or infinite) is the worst there is, in either direction: never the best', () => {
    for (const direction of ['maximize', 'minimize'] as const) {
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
        expect(scoreOf(record({ name: 'val-loss', direction, value }))).toBe(-Infinity);
    }
  });

  it('of an epoch, by a built-in objective, follows its direction', () => {
    const point: CurvePoint = { epoch: 1, trainLoss: 0.5, validationLoss: 0.3, validationAccuracy: 0.9, seconds: 1 };
    expect(objectiveOf({ name: 'val-accuracy', direction: 'maximize' }, undefined).score(point)).toBe(0.9);
    expect(objectiveOf({ name: 'val-loss', direction: 'minimize' }, undefined).score(point)).toBe(-0.3);
  });
});
