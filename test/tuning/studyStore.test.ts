import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { readStudyInput, renderReport } from '../../src/report/writeReport.js';
import { DEFAULT_TRAINING_CONFIG } from '../../src/training/trainingConfig.js';
import { choice, logUniform } from '../../src/tuning/distributions.js';
import { runStudy, type StudySettings } from '../../src/tuning/study.js';
import { studyStore } from '../../src/tuning/studyStore.js';
import type { TrialRecord } from '../../src/tuning/trial.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const settings: StudySettings = {
  data: { file: DIGITS_TRAIN, label: 'label' },
  sampler: 'random',
  seed: 3,
  prune: 'none',
  eta: 3,
  minEpochs: 1,
  validationFraction: 0.2,
  base: { ...DEFAULT_TRAINING_CONFIG, hidden: [8], epochs: 1 },
};
const space = { learningRate: logUniform(1e-3, 1e-1), batchSize: choice([64, 128]) };

describe('the study store', () => {
  it('round-trips what a study writes, each write renamed into place', async () => {
    const store = studyStore(path.join(tempDir(), 'study'));
    expect(store.exists()).toBe(false);
    await store.create({ space: { a: 1 }, settings });
    expect(store.exists()).toBe(true);
    expect((await store.readStudy()).settings).toEqual(settings);
    await store.writeRound({ round: 1, count: 2, box: { low: [0.25], high: [0.75] } });
    await store.writeRound({ round: 0, count: 4, box: { low: [0], high: [1] } });
    expect((await store.readRounds()).map((r) => r.round)).toEqual([0, 1]);
    await store.writeSuggestion({ id: 'r0-000', round: 0, params: { a: 1 }, unit: [0.5] });
    await store.writeSuggestion({ id: 'r0-001', round: 0, params: { a: 2 }, unit: [0.1] });
    mkdirSync(store.checkpointDir('r0-000'), { recursive: true });
    expect(await store.checkpointed()).toEqual(['r0-000']);
    const record = {
      id: 'r0-000',
      round: 0,
      params: { a: 1 },
      unit: [0.5],
      status: 'completed',
      epochs: 1,
      curve: [],
    } as unknown as TrialRecord;
    await store.writeRecord(record);
    // A finished trial's checkpoints and suggestion go with its record.
    expect(await store.checkpointed()).toEqual([]);
    expect([...(await store.readSuggestions()).keys()]).toEqual(['r0-001']);
    expect((await store.readRecords()).map((r) => r.id)).toEqual(['r0-000']);
    expect(readdirSync(store.dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('checks every file it reads, naming the one that is not what rxgrad wrote', async () => {
    const store = studyStore(path.join(tempDir(), 'study'));
    await store.create({ space: {}, settings });
    mkdirSync(path.join(store.dir, 'rounds'));
    const damaged: [string, string, RegExp][] = [
      [
        'rounds/0.json',
        '{"round": 0, "count": 0, "box": {"low": [], "high": []}}',
        /rounds\/0\.json: not a round record \(expected a positive integer count\)/,
      ],
      [
        'rounds/0.json',
        '{"round": 0, "count": 3, "box": {"low": [0, 0], "high": [1]}}',
        /rounds\/0\.json: not a round record \(expected a box\)/,
      ],
      [
        'rounds/0.json',
        '{"round": 0, "count": 3, "box": {"low": ["0"], "high": [1]}}',
        /rounds\/0\.json: not a round record \(expected a box\)/,
      ],
      ['rounds/0.json', '{"round": 0, ', /rounds\/0\.json: not valid JSON/],
    ];
    for (const [file, text, message] of damaged) {
      writeFileSync(path.join(store.dir, file), text);
      await expect(store.readRounds()).rejects.toThrow(message);
    }
    mkdirSync(path.join(store.dir, 'suggestions'), { recursive: true });
    writeFileSync(path.join(store.dir, 'suggestions', 'r0-000.json'), '{"id": "r0-000", "round": 0, "params": {}, "unit": [0.5, "x"]}');
    await expect(store.readSuggestions()).rejects.toThrow(/suggestions\/r0-000\.json: not a suggestion/);
  });

  it('the report reads a study through it: a damaged round file is an error naming it, not a broken page', async () => {
    const dir = path.join(tempDir(), 'study');
    await lastValueFrom(runStudy({ dir, space, settings, trials: 2 }).pipe(toArray()));
    expect((await readStudyInput(dir)).rounds).toEqual(await studyStore(dir).readRounds());
    expect(existsSync(path.join(dir, 'rounds', '0.json'))).toBe(true);
    writeFileSync(path.join(dir, 'rounds', '0.json'), '{"round": 0, "count": 2}');
    await expect(renderReport(dir)).rejects.toThrow(/rounds\/0\.json: not a round record \(expected a box\)/);
  });
});

describe('the study store, given trial ids from outside', () => {
  it('never reads, writes or deletes outside its folders, whatever id a record, a suggestion or a caller names', async () => {
    const root = tempDir();
    const victim = path.join(root, 'victim');
    mkdirSync(victim);
    writeFileSync(path.join(victim, 'keep.txt'), 'mine');
    const store = studyStore(path.join(root, 'a', 'study'));
    await store.create({ space: {}, settings });
    const bad = '../../victim';
    const record = { id: bad, round: 0, params: {}, unit: [], status: 'completed', epochs: 1, curve: [] } as unknown as TrialRecord;
    await expect(store.writeRecord(record)).rejects.toThrow(/refused trial id "\.\.\/\.\.\/victim"/);
    await expect(store.removeCheckpoints(bad)).rejects.toThrow(/refused trial id/);
    expect(() => store.checkpointDir(bad)).toThrow(/refused trial id/);
    await expect(store.writeSuggestion({ id: '../../../victim/x', round: 0, params: {}, unit: [] })).rejects.toThrow(/refused trial id/);
    expect(readdirSync(victim)).toEqual(['keep.txt']);
    // Files that name another trial (or a path) are not records or suggestions this study wrote.
    mkdirSync(path.join(store.dir, 'suggestions'), { recursive: true });
    writeFileSync(
      path.join(store.dir, 'suggestions', 'r0-000.json'),
      JSON.stringify({ id: '../../../victim/keep', round: 0, params: {}, unit: [] }),
    );
    await expect(store.readSuggestions()).rejects.toThrow(/refused trial id/);
    writeFileSync(path.join(store.dir, 'trials', 'r0-001.json'), JSON.stringify({ id: 'r0-002', status: 'completed', curve: [] }));
    await expect(store.readRecords()).rejects.toThrow(
      /trials\/r0-001\.json: not a trial record \(its id "r0-002" is not its file's name\)/,
    );
    // A folder under checkpoints/ that is not a trial's name is not a trial.
    mkdirSync(path.join(store.dir, 'checkpoints', '.hidden'), { recursive: true });
    mkdirSync(path.join(store.dir, 'checkpoints', 'r0-004'));
    expect(await store.checkpointed()).toEqual(['r0-004']);
    expect(existsSync(path.join(victim, 'keep.txt'))).toBe(true);
  });
});
