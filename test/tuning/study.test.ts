import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_CONFIG } from '../../src/training/trainingConfig.js';
import { choice, intUniform, logUniform } from '../../src/tuning/distributions.js';
import type { SearchSpace } from '../../src/tuning/space.js';
import { runStudy, StudyError, type StudyEvent, type StudySettings } from '../../src/tuning/study.js';
import { readTrialRecords } from '../../src/tuning/studyStore.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const settings = (overrides: Partial<StudySettings> = {}): StudySettings => ({
  data: { file: DIGITS_TRAIN, label: 'label' },
  sampler: 'random',
  seed: 1,
  prune: 'none',
  eta: 3,
  minEpochs: 1,
  validationFraction: 0.2,
  base: { ...DEFAULT_TRAINING_CONFIG, hidden: [16], epochs: 2 },
  ...overrides,
});
const small: SearchSpace = { learningRate: logUniform(1e-3, 1e-1), batchSize: choice([64, 128]) };
const run = (dir: string, space: SearchSpace, trials: number, extra: Partial<Parameters<typeof runStudy>[0]> = {}) =>
  lastValueFrom(runStudy({ dir, space, settings: settings(), trials, ...extra }).pipe(toArray()));
const done = (events: StudyEvent[]) => (events.at(-1) as Extract<StudyEvent, { type: 'done' }>).summary;

describe('runStudy', () => {
  it('runs every trial, records each durably, and writes the best configuration', async () => {
    const dir = path.join(tempDir(), 'study');
    const events = await run(dir, small, 4);
    const summary = done(events);
    expect(summary).toMatchObject({ finished: 4, completed: 4, pruned: 0, failed: 0 });
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(8);
    const records = await readTrialRecords(dir);
    expect(records.map((r) => r.id)).toEqual(['r0-000', 'r0-001', 'r0-002', 'r0-003']);
    expect(
      records.every((r) => r.curve.length === 2 && r.resumedFromEpoch === 0 && r.validationAccuracy! > 0 && r.validationAccuracy! <= 1),
    ).toBe(true);
    const best = JSON.parse(readFileSync(path.join(dir, 'best.json'), 'utf8'));
    expect(best.learningRate).toBe(summary.best!.params.learningRate);
    expect(existsSync(path.join(dir, 'checkpoints', 'r0-000'))).toBe(false);
  });

  it('never runs the same configuration twice', async () => {
    const dir = path.join(tempDir(), 'study');
    await run(dir, { batchSize: choice([32, 64, 128]), layers: intUniform(1, 2) }, 6);
    const records = await readTrialRecords(dir);
    expect(new Set(records.map((r) => JSON.stringify(r.params))).size).toBe(6);
  });

  it('extends a finished study without repeating a trial, and refuses a different space or a missing --resume', async () => {
    const dir = path.join(tempDir(), 'study');
    await run(dir, small, 2);
    const before = readFileSync(path.join(dir, 'trials', 'r0-000.json'), 'utf8');
    await expect(run(dir, small, 3)).rejects.toThrow(/a study already exists there; pass --resume/);
    const events = await run(dir, small, 3, { resume: true });
    expect(events.filter((e) => e.type === 'trial-start').map((e) => (e as { trial: string }).trial)).toEqual(['r0-002']);
    expect(readFileSync(path.join(dir, 'trials', 'r0-000.json'), 'utf8')).toBe(before);
    // The extension samples what a study of 3 in one go would have: the same configurations, in order.
    const straight = path.join(tempDir(), 'straight');
    await run(straight, small, 3);
    expect((await readTrialRecords(dir)).map((r) => r.params)).toEqual((await readTrialRecords(straight)).map((r) => r.params));
    const study = readFileSync(path.join(dir, 'study.json'), 'utf8');
    const error = await run(dir, { learningRate: logUniform(1e-4, 1) }, 3, { resume: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudyError);
    expect((error as Error).message).toMatch(/belongs to a different search space/);
    expect(readFileSync(path.join(dir, 'study.json'), 'utf8')).toBe(study);
  });

  it('extends a finished study with a coarse-to-fine round, keeping the first round as it was', async () => {
    const dir = path.join(tempDir(), 'study');
    await run(dir, small, 4);
    const events = await run(dir, small, 6, { rounds: 2, resume: true });
    const rounds = events.filter((e): e is Extract<StudyEvent, { type: 'round' }> => e.type === 'round');
    expect(rounds.map((r) => [r.round, r.trials, r.pending])).toEqual([
      [0, 4, 0],
      [1, 2, 2],
    ]);
    expect((await readTrialRecords(dir)).map((r) => r.id)).toEqual(['r0-000', 'r0-001', 'r0-002', 'r0-003', 'r1-000', 'r1-001']);
    const more = await run(dir, small, 8, { rounds: 2, resume: true });
    expect(more.filter((e) => e.type === 'trial-start').map((e) => (e as { trial: string }).trial)).toEqual(['r1-002', 'r1-003']);
  });

  it('records a failing trial with its reason and goes on', async () => {
    const dir = path.join(tempDir(), 'study');
    const events = await lastValueFrom(
      runStudy({
        dir,
        space: { learningRate: logUniform(1e29, 1e30), batchSize: choice([64, 128]) },
        settings: settings({ base: { ...DEFAULT_TRAINING_CONFIG, optimizer: 'sgd', batchNorm: false, hidden: [8], epochs: 2 } }),
        trials: 2,
      }).pipe(toArray()),
    );
    expect(done(events)).toMatchObject({ finished: 2, failed: 2, best: null });
    const [record] = await readTrialRecords(dir);
    expect(record!.error).toMatch(/DivergedError: training diverged: the loss became (NaN|Infinity)/);
  });

  it("zooms the second round into the box around the first round's best trials", async () => {
    const dir = path.join(tempDir(), 'study');
    const events = await run(dir, { learningRate: logUniform(1e-4, 1), batchSize: choice([32, 64, 128, 256]) }, 8, { rounds: 2 });
    const rounds = events.filter((e): e is Extract<StudyEvent, { type: 'round' }> => e.type === 'round');
    expect(rounds.map((r) => r.round)).toEqual([0, 1]);
    expect(rounds[0]!.box.low).toEqual([0, 0]);
    const width = (b: { low: readonly number[]; high: readonly number[] }) => b.high.map((h, d) => h - b.low[d]!);
    expect(width(rounds[1]!.box).reduce((a, b) => a * b)).toBeLessThan(1);
    const second = (await readTrialRecords(dir)).filter((r) => r.round === 1);
    expect(second.every((r) => r.unit.every((u, d) => u >= rounds[1]!.box.low[d]! && u <= rounds[1]!.box.high[d]!))).toBe(true);
  });

  it('prunes with ASHA, so trials train fewer epochs than the budget allows', async () => {
    const dir = path.join(tempDir(), 'study');
    const events = await lastValueFrom(
      runStudy({
        dir,
        space: small,
        settings: settings({ prune: 'asha', base: { ...DEFAULT_TRAINING_CONFIG, hidden: [16], epochs: 4 } }),
        trials: 6,
      }).pipe(toArray()),
    );
    const summary = done(events);
    expect(summary.pruned).toBeGreaterThan(0);
    expect(summary.pruned + summary.completed).toBe(6);
    const records = await readTrialRecords(dir);
    expect(records.filter((r) => r.status === 'pruned').every((r) => [1, 3].includes(r.epochs))).toBe(true);
  });

  it('records a trial whose worker crashes as failed, replaces the worker and goes on', async () => {
    const dir = path.join(tempDir(), 'study');
    // A heap far too small for a trial: every worker dies of it.
    const events = await run(dir, small, 3, {
      parallel: 2,
      workerResourceLimits: { maxOldGenerationSizeMb: 2, maxYoungGenerationSizeMb: 1 },
    });
    expect(done(events)).toMatchObject({ finished: 3, failed: 3, best: null });
    const records = await readTrialRecords(dir);
    expect(records.map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
    expect(records[0]!.error).toMatch(/^worker crashed: /);
  });

  it('runs trials on worker threads in parallel', async () => {
    const dir = path.join(tempDir(), 'study');
    const events = await run(dir, small, 4, { parallel: 2 });
    expect(done(events)).toMatchObject({ finished: 4, completed: 4 });
    const starts = events.map((e, i) => (e.type === 'trial-start' ? i : -1)).filter((i) => i >= 0);
    const firstEnd = events.findIndex((e) => e.type === 'trial-end');
    expect(starts[1]).toBeLessThan(firstEnd);
  });
});
