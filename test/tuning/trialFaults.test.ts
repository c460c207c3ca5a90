import { promises as fsp, writeFileSync } from 'node:fs';
import path from 'node:path';
import { filter, lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inspectArrow } from '../../src/streams/arrow/readArrow.js';
import { checkpointPath } from '../../src/training/checkpoints.js';
import { DEFAULT_TRAINING_CONFIG } from '../../src/training/trainingConfig.js';
import { choice, logUniform } from '../../src/tuning/distributions.js';
import { runStudy, type StudySettings } from '../../src/tuning/study.js';
import { readTrialRecords } from '../../src/tuning/studyStore.js';
import { runTrial, type TrialEvent, type TrialSpec } from '../../src/tuning/trial.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';

async function specOf(epochs: number, checkpointDir = tempDir()): Promise<TrialSpec> {
  const { features } = await inspectArrow(DIGITS_TRAIN);
  return {
    id: 'r0-000',
    round: 0,
    params: {},
    unit: [],
    config: { ...DEFAULT_TRAINING_CONFIG, hidden: [8], epochs },
    data: { file: DIGITS_TRAIN, label: 'label', features },
    validation: { fraction: 0.2, seed: 1 },
    standardizer: undefined,
    inputSize: 64,
    classes: 10,
    checkpointDir,
  };
}
const endOf = async (events: Promise<TrialEvent[]>) => {
  const all = await events;
  const end = all.at(-1)!;
  if (end.type !== 'end') throw new Error('no end event');
  return { record: end.record, epochs: all.filter((e) => e.type === 'epoch').length };
};

describe('trial faults', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a trial killed after its pruning decision was saved stays pruned when resumed', async () => {
    const first = await specOf(5);
    const pruned = await endOf(lastValueFrom(runTrial(first, () => false).pipe(toArray())));
    expect(pruned.record).toMatchObject({ status: 'pruned', epochs: 1 });
    // As if killed before its record was written: the checkpoint is still there.
    let asked = 0;
    const resumed = await endOf(
      lastValueFrom(
        runTrial(first, () => {
          asked++;
          return true;
        }).pipe(toArray()),
      ),
    );
    expect(resumed.record).toMatchObject({ status: 'pruned', epochs: 1, resumedFromEpoch: 1 });
    expect(resumed.epochs).toBe(0);
    expect(asked).toBe(0);
  });

  it('a damaged newest checkpoint falls back to the one before it, keeping the curve', async () => {
    const spec = await specOf(3);
    await lastValueFrom(runTrial(spec, () => true).pipe(toArray()));
    writeFileSync(path.join(checkpointPath(spec.checkpointDir, 3), 'model.json'), '{"format": "rxgrad-model", "vers');
    const resumed = await endOf(lastValueFrom(runTrial({ ...spec, config: { ...spec.config, epochs: 4 } }, () => true).pipe(toArray())));
    expect(resumed.record).toMatchObject({ status: 'completed', epochs: 4, resumedFromEpoch: 2 });
    expect(resumed.record.curve.map((p) => p.epoch)).toEqual([1, 2, 3, 4]);
  });

  it('a full disk leaves the trial pending and fails the study; a resume then runs it', async () => {
    const dir = path.join(tempDir(), 'study');
    const settings: StudySettings = {
      data: { file: DIGITS_TRAIN, label: 'label' },
      sampler: 'random',
      seed: 1,
      prune: 'none',
      eta: 3,
      minEpochs: 1,
      validationFraction: 0.2,
      base: { ...DEFAULT_TRAINING_CONFIG, hidden: [8], epochs: 3 },
    };
    const options = {
      dir,
      space: { learningRate: logUniform(1e-3, 1e-1), batchSize: choice([64, 128]) },
      settings,
      trials: 3,
      isolation: 'inline' as const,
    };
    const write = fsp.writeFile.bind(fsp);
    let checkpointWrites = 0;
    vi.spyOn(fsp, 'writeFile').mockImplementation(async (file, data, opts) => {
      if (String(file).includes(`${path.sep}checkpoints${path.sep}`) && String(file).includes('weights-') && ++checkpointWrites === 5) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
      }
      return write(file, data, opts);
    });
    const error = await lastValueFrom(runStudy(options)).catch((e: unknown) => e);
    vi.restoreAllMocks();
    expect((error as { code?: string }).code).toBe('ENOSPC');
    const recorded = await readTrialRecords(dir);
    expect(recorded.every((r) => r.status !== 'failed')).toBe(true);
    expect(recorded.length).toBeLessThan(3);
    const ended = await lastValueFrom(
      runStudy({ ...options, resume: true }).pipe(
        filter((e) => e.type === 'done'),
        toArray(),
      ),
    );
    expect(ended).toHaveLength(1);
    const all = await readTrialRecords(dir);
    expect(all.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
  });
});

describe('a trial whose worker thread dies', () => {
  it('is not recorded failed: the run errors with a StudyError saying it stays pending', async () => {
    const { TrialWorkerPool } = await import('../../src/tuning/trialWorkerPool.js');
    const pool = new TrialWorkerPool(1);
    try {
      const spec = await specOf(20);
      const events: TrialEvent[] = [];
      const error = await new Promise<unknown>((resolve) => {
        pool
          .run(spec, () => true)
          .subscribe({
            next: (event) => {
              events.push(event);
              // Kill the worker thread from outside once the trial is under way.
              if (events.length === 1)
                void (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0]!.worker.terminate();
            },
            error: resolve,
            complete: () => resolve(undefined),
          });
      });
      expect(events.some((e) => e.type === 'end')).toBe(false);
      expect((error as Error).name).toBe('StudyError');
      expect((error as Error).message).toMatch(
        /trial r0-000: its worker thread exited with code 1; the trial stays pending: resume the study to run it/,
      );
    } finally {
      await pool.close();
    }
  });
});
