import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readableNumber } from '../../src/report/format.js';
import { importanceCoordinate, importanceDimension, pedAnovaImportances } from '../../src/report/importance.js';
import { runReportData } from '../../src/report/runReport.js';
import { parameterAxis, studyReportBody, studyReportData } from '../../src/report/studyReport.js';
import { readStudyInput, renderReport, reportSource, writeReport } from '../../src/report/writeReport.js';
import { babysit } from '../../src/training/babysit.js';
import { readRunHistory } from '../../src/training/runHistory.js';
import { DEFAULT_TRAINING_CONFIG } from '../../src/training/trainingConfig.js';
import { choice, intLogUniform, logUniform, oneMinusLogUniform } from '../../src/tuning/distributions.js';
import { runStudy } from '../../src/tuning/study.js';
import type { TrialRecord } from '../../src/tuning/trial.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const space = {
  learningRate: logUniform(1e-3, 1e-1),
  momentum: oneMinusLogUniform(0.8, 0.999),
  hiddenUnits: intLogUniform(8, 32),
  batchSize: choice([64, 128]),
};
let study: string;
let run: string;

beforeAll(async () => {
  study = path.join(tempDir(), 'study');
  await lastValueFrom(
    runStudy({
      dir: study,
      space,
      settings: {
        data: { file: DIGITS_TRAIN, label: 'label' },
        sampler: 'random',
        seed: 3,
        prune: 'asha',
        eta: 3,
        minEpochs: 1,
        validationFraction: 0.2,
        base: { ...DEFAULT_TRAINING_CONFIG, epochs: 3 },
      },
      trials: 9,
      rounds: 2,
    }).pipe(toArray()),
  );
  run = path.join(tempDir(), 'run');
  await lastValueFrom(
    babysit({
      data: DIGITS_TRAIN,
      validation: DIGITS_TRAIN,
      config: { ...DEFAULT_TRAINING_CONFIG, hidden: [8], epochs: 3 },
      dir: run,
    }).pipe(toArray()),
  );
}, 120_000);

describe('the report data', () => {
  it('a study: every value plotted is a record’s', async () => {
    const input = await readStudyInput(study);
    const data = studyReportData(input);
    const records = [...input.records].sort((a, b) => a.id.localeCompare(b.id));
    expect(data.history.map((h) => [h.id, h.value])).toEqual(records.map((r) => [r.id, r.validationAccuracy]));
    // Best so far: the running maximum of those values.
    let best = -Infinity;
    expect(data.bestSoFar).toEqual(records.map((r, i) => [i + 1, (best = Math.max(best, r.validationAccuracy!))]));
    expect(data.curves.map((c) => c.points)).toEqual(records.map((r) => r.curve.map((p) => [p.epoch, p.validationAccuracy])));
    expect(data.curves.filter((c) => c.status === 'pruned').map((c) => c.id)).toEqual(
      records.filter((r) => r.status === 'pruned').map((r) => r.id),
    );
    expect(data.rungs).toEqual([1]);
    // Slices on each parameter's own scale: 1 − β for momentum, the choice's name for batch size.
    expect(data.slices.momentum).toEqual(
      records.map((r) => [Number((1 - (r.params.momentum as number)).toPrecision(12)), r.validationAccuracy]),
    );
    expect(data.slices.batchSize).toEqual(records.map((r) => [String(r.params.batchSize), r.validationAccuracy]));
    expect(data.axes.map((a) => [a.name, a.label, a.scale])).toEqual([
      ['batchSize', 'batchSize', 'category'],
      ['hiddenUnits', 'hiddenUnits', 'log'],
      ['learningRate', 'learningRate', 'log'],
      ['momentum', '1 − momentum', 'log'],
    ]);
    expect(Object.values(data.importances).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(data.best!.id).toBe(data.leaderboard[0]!.id);
    // Nine trials reached the first rung and fewer the end: too few to tell, and the report says so.
    expect(data.importanceTrials).toEqual({ count: 9, epoch: 1, rung: true, enough: false });
    expect(studyReportBody(input)).toContain('Too few trials to tell: 9 reached epoch 1, and at least 10 are needed');
  });

  it('with ASHA, importances are taken at the highest rung that holds enough trials, each scored there', async () => {
    const input = await readStudyInput(study);
    // 40 trials of 9 epochs, rungs at 1 and 3: all reach epoch 1, 13 epoch 3, 4 the end.
    const settings = { ...input.settings, base: { ...input.settings.base, epochs: 9 } };
    const template = input.records[0]!;
    const records = Array.from({ length: 40 }, (_, i): TrialRecord => {
      const epochs = i < 4 ? 9 : i < 13 ? 3 : 1;
      const accuracy = (epoch: number) => 0.5 + 0.01 * epoch + (i % 5) * 0.02 + (i % 3 === 0 ? 0.1 : 0);
      const curve = Array.from({ length: epochs }, (_, e) => ({
        ...template.curve[0]!,
        epoch: e + 1,
        validationAccuracy: accuracy(e + 1),
      }));
      const params = { learningRate: 10 ** (-3 + (i % 7) / 3), momentum: 0.9, hiddenUnits: 8 + (i % 3) * 8, batchSize: i % 2 ? 64 : 128 };
      return {
        ...template,
        id: `r0-${String(i).padStart(3, '0')}`,
        params,
        status: epochs === 9 ? 'completed' : 'pruned',
        curve,
        epochs,
        validationAccuracy: accuracy(epochs),
        objective: { name: 'val-accuracy', direction: 'maximize', value: accuracy(epochs) },
      };
    });
    const data = studyReportData({ ...input, settings, records });
    expect(data.rungs).toEqual([1, 3]);
    expect(data.importanceTrials).toEqual({ count: 13, epoch: 3, rung: true, enough: true });
    const names = Object.keys(input.space).sort();
    const atRung = records
      .filter((r) => r.epochs >= 3)
      .map((r) => ({
        unit: names.map((name) => importanceCoordinate(input.space[name]!, r.params[name]!)),
        score: r.curve[2]!.validationAccuracy,
      }));
    expect(data.importances).toEqual(
      pedAnovaImportances(
        names.map((name) => importanceDimension(name, input.space[name]!)),
        atRung,
      ),
    );
    expect(studyReportBody({ ...input, settings, records })).toContain('Over the 13 trials that reached epoch 3 (an ASHA rung');
  });

  it('past the curve limit: the best curves and a percentile band of all', async () => {
    const input = await readStudyInput(study);
    const data = studyReportData(input, { curveLimit: 4, bestCurves: 2 });
    expect(data.curves).toHaveLength(2);
    expect(data.curves[0]!.id).toBe(data.leaderboard[0]!.id);
    const first = input.records.map((r) => r.curve[0]!.validationAccuracy).sort((a, b) => a - b);
    expect(data.band![0]!.epoch).toBe(1);
    expect(data.band![0]!.p10).toBeGreaterThanOrEqual(first[0]!);
    expect(data.band![0]!.p90).toBeLessThanOrEqual(first.at(-1)!);
  });

  it('a run: its epochs, learning rate and confusion matrix from the history', async () => {
    const history = await readRunHistory(run);
    const data = runReportData(history);
    expect(data.loss.map((s) => s.name)).toEqual(['training', 'validation']);
    expect(data.loss[0]!.points).toEqual(history.epochs.map((e) => [e.epoch, e.trainLoss]));
    expect(data.accuracy[1]!.points).toEqual(history.epochs.map((e) => [e.epoch, e.validationAccuracy]));
    expect(data.learningRate[0]!.points).toEqual(history.epochs.map((e) => [e.epoch, 0.001]));
    expect(data.confusion!.matrix.flat().reduce((a, b) => a + b, 0)).toBe(1438);
  });
});

describe('rxgrad report', () => {
  it('writes the same bytes for the same input, and names every chart and its scales', async () => {
    const a = await renderReport(study);
    const b = await renderReport(study);
    expect(a).toBe(b);
    for (const id of [
      'history',
      'curves',
      'slice-learningRate',
      'slice-momentum',
      'slice-batchSize',
      'slice-hiddenUnits',
      'parallel',
      'importances',
    ])
      expect(a).toContain(`data-chart="${id}"`);
    expect(a).toContain('data-chart="slice-learningRate" data-x-scale="log"');
    expect(a).toContain('data-chart="slice-momentum" data-x-scale="log"');
    expect(a).toContain('data-chart="slice-batchSize" data-x-scale="category"');
    expect(a).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    const runHtml = await renderReport(run);
    for (const id of ['loss', 'accuracy', 'learning-rate', 'confusion']) expect(runHtml).toContain(`data-chart="${id}"`);
    const { file, bytes } = await writeReport(run);
    expect(file).toBe(path.join(run, 'report.html'));
    expect(readFileSync(file, 'utf8').length).toBeGreaterThan(1000);
    expect(bytes).toBe(Buffer.byteLength(runHtml));
    expect(readdirSync(run).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('explains a directory it cannot report on, and writes nothing', async () => {
    const dir = tempDir();
    await expect(reportSource(path.join(dir, 'missing'))).rejects.toThrow(/no such directory/);
    await expect(reportSource(dir)).rejects.toThrow(/neither a study \(no study.json\) nor a run/);
    const old = path.join(dir, 'old-model');
    mkdirSync(old);
    writeFileSync(path.join(old, 'model.json'), '{}');
    await expect(reportSource(old)).rejects.toThrow(/saved by an older rxgrad, which kept no per-epoch history/);
    const empty = path.join(dir, 'empty-study');
    await lastValueFrom(
      runStudy({
        dir: empty,
        space,
        settings: {
          data: { file: DIGITS_TRAIN, label: 'label' },
          sampler: 'random',
          seed: 0,
          prune: 'none',
          eta: 3,
          minEpochs: 1,
          validationFraction: 0.2,
          base: { ...DEFAULT_TRAINING_CONFIG, epochs: 1 },
        },
        trials: 1,
      }).pipe(toArray()),
    );
    // Remove its one record: a study with no finished trial.
    const trials = path.join(empty, 'trials');
    for (const n of readdirSync(trials)) writeFileSync(path.join(trials, n), '');
    await expect(writeReport(empty)).rejects.toThrow();
    expect(readdirSync(empty).filter((n) => n.startsWith('report'))).toEqual([]);
  });

  it('ticks and tables show readable numbers', () => {
    expect(readableNumber(0.00009999999999999999)).toBe('0.0001');
    expect(readableNumber(0.123456)).toBe('0.1235');
    expect(readableNumber(1e-7)).toBe('1e-7');
    expect(readableNumber(123456.7)).toBe('123500');
    expect(readableNumber(2.5e7)).toBe('2.5e7');
    expect(parameterAxis('momentum', oneMinusLogUniform(0.9, 0.999)).plotted(0.99)).toBe(0.01);
  });
});
