import { describe, expect, it } from 'vitest';
import {
  reportTrialProgress,
  type TrialJob,
  type TrialJobData,
  trialJobOf,
  trialProgressOf,
  trialResultOf,
} from '../../src/distributed/trialJobs.js';
import { DEFAULT_TRAINING_CONFIG } from '../../src/training/trainingConfig.js';
import type { CurvePoint, TrialRecord } from '../../src/tuning/trial.js';

const job: TrialJobData = {
  study: '3f1c9a0b2d4e6f70',
  spec: {
    id: 'r0-003',
    round: 0,
    params: { learningRate: 0.01 },
    unit: [0.5],
    config: { ...DEFAULT_TRAINING_CONFIG, hidden: [8] },
    data: { file: '/data/train.arrow', label: 'label', features: ['a', 'b'] },
    validation: { fraction: 0.2, seed: 0 },
    standardizer: undefined,
    inputSize: 2,
    classes: 3,
    checkpointDir: '/studies/a/checkpoints/r0-003',
  },
  digest: { size: 10, sha256: 'a'.repeat(64) },
  objective: { name: 'val-accuracy', direction: 'maximize' },
  asha: { rungs: [1, 3], eta: 3 },
};
const record: TrialRecord = {
  id: 'r0-003',
  round: 0,
  params: { learningRate: 0.01 },
  unit: [0.5],
  config: job.spec.config,
  status: 'completed',
  curve: [{ epoch: 1, trainLoss: 0.5, validationLoss: 0.4, validationAccuracy: 0.8, seconds: 1 }],
  epochs: 1,
  validationAccuracy: 0.8,
  validationLoss: 0.4,
  resumedFromEpoch: 0,
  seconds: 1.2,
};
const edit = (change: (copy: Record<string, any>) => void) => {
  const copy = JSON.parse(JSON.stringify(job)) as Record<string, any>;
  change(copy);
  return copy;
};

describe('the trial queue protocol, one type for both sides', () => {
  it('what a worker reports as progress reads back as the same epoch; other progress is not one', async () => {
    const point: CurvePoint = { epoch: 2, trainLoss: 0.4, validationLoss: 0.3, validationAccuracy: 0.9, seconds: 1.5 };
    const sent: unknown[] = [];
    await reportTrialProgress(
      { updateProgress: async (data: unknown) => void sent.push(JSON.parse(JSON.stringify(data))) } as unknown as TrialJob,
      point,
    );
    expect(trialProgressOf(sent[0])).toEqual(point);
    expect(trialProgressOf(50)).toBeUndefined();
    expect(trialProgressOf({ epoch: '2' })).toBeUndefined();
    expect(trialProgressOf({ ...point, trainLoss: 'x' })).toBeUndefined();
  });

  it('reads a trial record from a return value as events give it (JSON) and as a fetched job holds it', () => {
    expect(trialResultOf(JSON.stringify(record), 'r0-003')).toEqual(record);
    expect(trialResultOf(record, 'r0-003')).toBe(record);
  });

  it("refuses a worker's result that is another trial's record, or not a record", () => {
    expect(() => trialResultOf({ ...record, id: '../../../victim' }, 'r0-003')).toThrow(
      /refused the result of trial r0-003: it is the record of "\.\.\/\.\.\/\.\.\/victim"/,
    );
    expect(() => trialResultOf({ ...record, id: 'r0-004' }, 'r0-003')).toThrow(/it is the record of "r0-004"/);
    expect(() => trialResultOf('not json', 'r0-003')).toThrow(/it is not JSON/);
    expect(() => trialResultOf(null, 'r0-003')).toThrow(/it is not a trial record/);
    expect(() => trialResultOf({ ...record, status: 'running' }, 'r0-003')).toThrow(/its status/);
    expect(() => trialResultOf({ ...record, curve: [{ epoch: 0 }] }, 'r0-003')).toThrow(/its curve/);
    expect(() => trialResultOf({ ...record, epochs: -1 }, 'r0-003')).toThrow(/its epochs/);
  });

  it('takes a job the coordinator writes, and refuses one whose names would leave the worker’s folder or whose fields are not a trial’s', () => {
    expect(trialJobOf(JSON.parse(JSON.stringify(job)))).toEqual(JSON.parse(JSON.stringify(job)));
    const refused: [(copy: Record<string, any>) => void, RegExp][] = [
      [(c) => (c.study = '../../../../x'), /refused study name in a trial job "\.\.\/\.\.\/\.\.\/\.\.\/x"/],
      [(c) => (c.study = '/'), /refused study name/],
      [(c) => (c.spec.id = '../../x'), /refused trial id in a trial job "\.\.\/\.\.\/x"/],
      [(c) => delete c.spec, /refused a trial job: it has no trial spec/],
      [(c) => (c.spec.data.file = 3), /its data must name a file/],
      [(c) => (c.spec.config.hidden = [1.5]), /refused a trial job: trial r0-003: its hidden must be/],
      [(c) => (c.spec.config.hidden = [1e12]), /its network would have 6.00e\+12 weights, more than the 2.68e\+8 a worker trains/],
      [(c) => (c.spec.config.batchSize = 0), /its batchSize must be a positive integer/],
      [(c) => (c.spec.classes = 1), /its input size and classes/],
      [(c) => (c.digest.sha256 = 'zz'), /its data digest/],
      [(c) => (c.objective.direction = 'up'), /its objective/],
      [(c) => (c.asha.eta = 1), /its ASHA rungs/],
      [(c) => (c.spec.data.categories = [{ column: 'color', levels: [1] }]), /its categorical columns must be names with text levels/],
      [(c) => (c.spec.data.categories = [{ column: 'color', levels: ['a', 'b'] }]), /fewer inputs than the network's/],
      [(c) => (c.spec.data.categories = 'color'), /its categorical columns/],
    ];
    const categorical = edit((c) => {
      c.spec.inputSize = 4;
      c.spec.data.categories = [{ column: 'color', levels: ['blue', 'red'] }];
    });
    expect(trialJobOf(categorical).spec.data.categories).toEqual([{ column: 'color', levels: ['blue', 'red'] }]);
    for (const [change, message] of refused) expect(() => trialJobOf(edit(change))).toThrow(message);
    expect(() => trialJobOf('x')).toThrow(/its data is not an object/);
  });
});
