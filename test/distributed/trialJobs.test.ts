import { describe, expect, it } from 'vitest';
import { reportTrialProgress, type TrialJob, trialProgressOf, trialResultOf } from '../../src/distributed/trialJobs.js';
import type { CurvePoint, TrialRecord } from '../../src/tuning/trial.js';

describe('the trial queue protocol, one type for both sides', () => {
  it("what a worker reports as progress reads back as the same epoch; other progress is not one", async () => {
    const point: CurvePoint = { epoch: 2, trainLoss: 0.4, validationLoss: 0.3, validationAccuracy: 0.9, seconds: 1.5 };
    const sent: unknown[] = [];
    await reportTrialProgress({ updateProgress: async (data: unknown) => void sent.push(JSON.parse(JSON.stringify(data))) } as unknown as TrialJob, point);
    expect(trialProgressOf(sent[0])).toEqual(point);
    expect(trialProgressOf(50)).toBeUndefined();
    expect(trialProgressOf({ epoch: '2' })).toBeUndefined();
  });

  it('reads a trial record from a return value as events give it (JSON) and as a fetched job holds it', () => {
    const record = { id: 'r0-000', status: 'completed', epochs: 3 } as unknown as TrialRecord;
    expect(trialResultOf(JSON.stringify(record))).toEqual(record);
    expect(trialResultOf(record)).toBe(record);
  });
});
