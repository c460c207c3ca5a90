import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EMPTY, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SearchSpaceError } from '../../src/errors.js';
import { studyReportData } from '../../src/report/studyReport.js';
import { readStudyInput } from '../../src/report/writeReport.js';
import { DEFAULT_TRAINING_CONFIG } from '../../src/training/trainingConfig.js';
import { choice, logUniform, oneMinusLogUniform } from '../../src/tuning/distributions.js';
import { curveValue, OBJECTIVES, objectiveOf, portableObjective } from '../../src/tuning/objective.js';
import type { SearchSpace } from '../../src/tuning/space.js';
import { runStudy, type StudyEvent, type StudySettings } from '../../src/tuning/study.js';
import { readTrialRecords } from '../../src/tuning/studyStore.js';
import { summarizeStudy } from '../../src/tuning/studySummary.js';
import { tpe } from '../../src/tuning/tpe.js';
import type { TrialRecord } from '../../src/tuning/trial.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const settings = (overrides: Partial<StudySettings> = {}): StudySettings => ({
  data: { file: DIGITS_TRAIN, label: 'label' },
  sampler: tpe({ startupTrials: 3 }),
  seed: 2,
  prune: 'none',
  eta: 3,
  minEpochs: 1,
  validationFraction: 0.2,
  base: { ...DEFAULT_TRAINING_CONFIG, hidden: [8], epochs: 1 },
  ...overrides,
});
const space: SearchSpace = {
  learningRate: logUniform(1e-4, 1),
  momentum: oneMinusLogUniform(0.8, 0.999),
  batchSize: choice([32, 64, 128]),
};
const study = (dir: string, trials: number, extra: Partial<Parameters<typeof runStudy>[0]> = {}) =>
  lastValueFrom(runStudy({ dir, space, settings: settings(), trials, ...extra }).pipe(toArray()));
const paramsOf = (records: TrialRecord[]) => records.map((r) => r.params);

describe('a TPE study', () => {
  it('is reproducible, and a resumed study suggests what an uninterrupted one does', async () => {
    const [a, b, c] = [tempDir(), tempDir(), tempDir()].map((d) => path.join(d, 'study'));
    await study(a!, 6);
    await study(b!, 6);
    expect(paramsOf(await readTrialRecords(a!))).toEqual(paramsOf(await readTrialRecords(b!)));
    // 4 trials, then extended to 6 (the state is rebuilt from the records), against 6 in one go.
    await study(c!, 4);
    await study(c!, 6, { resume: true });
    expect(paramsOf(await readTrialRecords(c!))).toEqual(paramsOf(await readTrialRecords(a!)));
    // After the start-up trials, suggestions follow the results: not the random sampler's points.
    const random = path.join(tempDir(), 'random');
    await lastValueFrom(runStudy({ dir: random, space, settings: settings({ sampler: 'random' }), trials: 6 }).pipe(toArray()));
    const [ours, theirs] = [paramsOf(await readTrialRecords(a!)), paramsOf(await readTrialRecords(random))];
    expect(ours.slice(0, 3)).toEqual(theirs.slice(0, 3));
    expect(ours.slice(3)).not.toEqual(theirs.slice(3));
    // Suggestions are kept until their trial is recorded, then tidied away.
    expect(existsSync(path.join(a!, 'suggestions')) ? readdirSync(path.join(a!, 'suggestions')) : []).toEqual([]);
  }, 120_000);

  it('keeps a suggestion made before an interruption, and counts running trials as bad guesses in parallel', async () => {
    const dir = path.join(tempDir(), 'study');
    const events: StudyEvent[] = [];
    // Stopped after trial r0-004 starts: its suggestion is on disk but it has no record.
    await new Promise<void>((resolve, reject) => {
      const subscription = runStudy({ dir, space, settings: settings(), trials: 8 }).subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === 'trial-start' && e.trial === 'r0-004') {
            subscription.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    });
    const started = events.find(
      (e): e is Extract<StudyEvent, { type: 'trial-start' }> => e.type === 'trial-start' && e.trial === 'r0-004',
    )!;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(JSON.parse(readFileSync(path.join(dir, 'suggestions', 'r0-004.json'), 'utf8')).params).toEqual(started.params);
    const resumed = await lastValueFrom(
      runStudy({ dir, space, settings: settings(), trials: 8, parallel: 2, resume: true }).pipe(toArray()),
    );
    const records = await readTrialRecords(dir);
    expect(records.find((r) => r.id === 'r0-004')!.params).toEqual(started.params);
    // Two workers: every configuration distinct, each trial recorded once.
    expect(records.map((r) => r.id)).toEqual(['r0-000', 'r0-001', 'r0-002', 'r0-003', 'r0-004', 'r0-005', 'r0-006', 'r0-007']);
    expect(new Set(records.map((r) => JSON.stringify(r.params))).size).toBe(8);
    expect(resumed.filter((e) => e.type === 'trial-end')).toHaveLength(4);
  }, 120_000);

  it('records the objective and its direction; val-loss is minimized', async () => {
    const dir = path.join(tempDir(), 'study');
    const events = await lastValueFrom(
      runStudy({
        dir,
        space,
        settings: settings({ sampler: 'random', objective: { name: 'val-loss', direction: 'minimize' } }),
        trials: 4,
      }).pipe(toArray()),
    );
    const records = await readTrialRecords(dir);
    for (const r of records) expect(r.objective).toEqual({ name: 'val-loss', direction: 'minimize', value: r.validationLoss });
    const summary = (events.at(-1) as Extract<StudyEvent, { type: 'done' }>).summary;
    expect(summary.best!.objective.value).toBe(Math.min(...records.map((r) => r.validationLoss!)));
    const best = JSON.parse(readFileSync(path.join(dir, 'best.json'), 'utf8'));
    expect(best.measured).toMatchObject({ trial: summary.best!.id, objective: 'val-loss', direction: 'minimize', epochs: 1 });
    // A study's objective is part of it: resuming with another one is refused.
    await expect(
      lastValueFrom(runStudy({ dir, space, settings: settings({ sampler: 'random' }), trials: 4, resume: true })),
    ).rejects.toThrow(/different objective/);
    // A metric of one's own, by name and function.
    const own = path.join(tempDir(), 'own');
    await lastValueFrom(
      runStudy({
        dir: own,
        space,
        settings: settings({ sampler: 'random', objective: { name: 'error-rate', direction: 'minimize' } }),
        trials: 2,
        objective: { name: 'error-rate', direction: 'minimize', value: (v) => 1 - v.accuracy },
      }).pipe(toArray()),
    );
    for (const r of await readTrialRecords(own)) expect(r.objective!.value).toBeCloseTo(1 - r.validationAccuracy!, 12);
  }, 120_000);

  it('a custom objective is recorded at every epoch, and the report draws it, not accuracy under its name', async () => {
    const dir = path.join(tempDir(), 'own');
    const errorRate = { name: 'error-rate', direction: 'minimize', value: (v: { accuracy: number }) => 1 - v.accuracy } as const;
    const own = settings({
      sampler: 'random',
      objective: { name: 'error-rate', direction: 'minimize' },
      base: { ...DEFAULT_TRAINING_CONFIG, hidden: [8], epochs: 2 },
    });
    await lastValueFrom(runStudy({ dir, space, settings: own, trials: 2, objective: errorRate }).pipe(toArray()));
    const input = await readStudyInput(dir);
    for (const r of input.records) for (const p of r.curve) expect(p.objective).toBeCloseTo(1 - p.validationAccuracy, 12);
    const data = studyReportData(input);
    expect(data.objective.label).toBe('error-rate');
    expect(data.curves.flatMap((c) => c.points.map((p) => p[1]))).toEqual(input.records.flatMap((r) => r.curve.map((p) => p.objective)));
    expect(data.curves.flatMap((c) => c.points.map((p) => p[1]))).not.toContain(input.records[0]!.curve[0]!.validationAccuracy);
  }, 120_000);

  it("a pool whose workers score elsewhere takes only a built-in objective, the study's", () => {
    const pool = { objective: { name: 'val-accuracy', direction: 'maximize' as const }, run: () => EMPTY };
    const errorRate = { name: 'error-rate', direction: 'minimize', value: (v: { accuracy: number }) => 1 - v.accuracy } as const;
    expect(() =>
      runStudy({
        dir: tempDir(),
        space,
        settings: settings({ objective: { name: 'error-rate', direction: 'minimize' } }),
        trials: 2,
        objective: errorRate,
        pool,
      }),
    ).toThrow(/'error-rate': a function of this process cannot be scored by the pool's workers on other machines/);
    expect(() =>
      runStudy({ dir: tempDir(), space, settings: settings({ objective: { name: 'val-loss', direction: 'minimize' } }), trials: 2, pool }),
    ).toThrow(/scored by val-loss \(minimize\), its pool's workers by val-accuracy \(maximize\)/);
    expect(() => runStudy({ dir: tempDir(), space, settings: settings(), trials: 2, pool })).not.toThrow();
  });

  it('one objective module scores a point wherever it is scored: here, on a worker and in the report', () => {
    const point = { epoch: 1, trainLoss: 0.5, validationLoss: 0.4, validationAccuracy: 0.9, seconds: 1 };
    for (const setting of [OBJECTIVES['val-loss'], OBJECTIVES['val-accuracy']]) {
      const here = objectiveOf(setting, undefined);
      expect(portableObjective(setting).score(point)).toBe(here.score(point));
      expect(curveValue(setting)(point)).toBe(here.record(point).value);
    }
    expect(portableObjective(OBJECTIVES['val-loss']).score(point)).toBe(-0.4);
    expect(() => portableObjective({ name: 'error-rate', direction: 'minimize' })).toThrow(/cannot be scored by workers on other machines/);
  });

  it('refuses an unknown parameter in a space built in code', () => {
    expect(() => runStudy({ dir: tempDir(), space: { ...space, gamma: logUniform(0.1, 0.5) }, settings: settings(), trials: 2 })).toThrow(
      SearchSpaceError,
    );
    expect(() => runStudy({ dir: tempDir(), space: { ...space, gamma: logUniform(0.1, 0.5) }, settings: settings(), trials: 2 })).toThrow(
      /unknown parameter 'gamma'/,
    );
  });
});

describe('the best trial', () => {
  const record = (id: string, status: TrialRecord['status'], epochs: number, accuracy: number): TrialRecord => ({
    id,
    round: 0,
    params: { learningRate: 0.1 },
    unit: [0.5],
    config: { ...DEFAULT_TRAINING_CONFIG, epochs: 9 },
    status,
    curve: Array.from({ length: epochs }, (_, i) => ({
      epoch: i + 1,
      trainLoss: 1,
      validationLoss: 1,
      validationAccuracy: accuracy,
      seconds: 1,
    })),
    epochs,
    validationAccuracy: accuracy,
    validationLoss: 1,
    resumedFromEpoch: 0,
    seconds: 1,
  });

  it('is chosen among the trials at the highest rung reached, by the objective measured there', () => {
    // A 3-epoch trial pruned at 0.99 is not the best of a study whose survivors trained 9 epochs.
    const summary = summarizeStudy([
      record('a', 'pruned', 3, 0.99),
      record('b', 'completed', 9, 0.95),
      record('c', 'completed', 9, 0.96),
      record('d', 'failed', 9, 1),
    ]);
    expect(summary.best).toMatchObject({ id: 'c', epochs: 9, objective: { name: 'val-accuracy', direction: 'maximize', value: 0.96 } });
    expect(summary.leaderboard.map((r) => r.id)).toEqual(['c', 'b', 'a']);
    // When every trial was pruned, the ones that got furthest compete.
    expect(summarizeStudy([record('a', 'pruned', 1, 0.99), record('b', 'pruned', 3, 0.9)]).best!.id).toBe('b');
  });
});
