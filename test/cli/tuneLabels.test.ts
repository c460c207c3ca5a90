import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrialRecord } from '../../src/tuning/trial.js';
import { cli, lastJson } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';

// tune reads labels as train does (one label policy), and a study that fails before its first
// trial leaves nothing behind, so that the retry starts it afresh.

const WRITERS = path.resolve('test/fixtures/writers');
const expected = JSON.parse(readFileSync(path.join(WRITERS, 'expected.json'), 'utf8')) as {
  features: number[][];
  labels: number[];
  classNames: string[];
};
const textCsv = (labels: (i: number) => string) =>
  `f0,f1,f2,f3,label\n${expected.features.map((row, i) => `${row.join(',')},${labels(i)}`).join('\n')}\n`;

describe('tune and class labels', () => {
  const cases: [string, () => string][] = [
    [
      'a CSV with text labels (pandas to_csv)',
      () => {
        const file = path.join(tempDir(), 'wine.csv');
        writeFileSync(
          file,
          textCsv((i) => expected.classNames[expected.labels[i]!]!),
        );
        return file;
      },
    ],
    [
      'a CSV with labels 1..3',
      () => {
        const file = path.join(tempDir(), 'numbered.csv');
        writeFileSync(
          file,
          textCsv((i) => String(expected.labels[i]! + 1)),
        );
        return file;
      },
    ],
    ['an Arrow file with a dictionary of text labels (pyarrow, ZSTD)', () => path.join(WRITERS, 'label-dictionary.arrow')],
    ['an Arrow file with large_string labels (pyarrow, LZ4)', () => path.join(WRITERS, 'label-large-string.arrow')],
  ];
  for (const [what, make] of cases) {
    it(`trains on ${what}, as train does, three classes`, async () => {
      const data = make();
      const study = path.join(tempDir(), 'study');
      const trained = await cli(['train', '--data', data, '--epochs', '1', '--json']);
      expect(trained.code, trained.stderr).toBe(0);
      expect(lastJson(trained.stdout).classes).toBe(3);
      const tuned = await cli([
        'tune',
        '--data',
        data,
        '--study',
        study,
        '--trials',
        '2',
        '--epochs',
        '2',
        '--prune',
        'none',
        '--parallel',
        '1',
        '--json',
      ]);
      expect(tuned.code, tuned.stderr).toBe(0);
      expect(lastJson(tuned.stdout)).toMatchObject({ finished: 2, completed: 2, failed: 0 });
      const records = readdirSync(path.join(study, 'trials')).map(
        (n) => JSON.parse(readFileSync(path.join(study, 'trials', n), 'utf8')) as TrialRecord,
      );
      // The features are noise (the fixture tests readers, not learning): each trial ran and measured.
      for (const record of records) expect([record.status, Number.isFinite(record.validationLoss)]).toEqual(['completed', true]);
    }, 60_000);
  }

  it('a new study that fails before its first trial leaves nothing behind; the retry runs', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data.csv');
    writeFileSync(
      data,
      textCsv((i) => (i === 150 ? '' : expected.classNames[expected.labels[i]!]!)),
    );
    const study = path.join(dir, 'study');
    const failed = await cli(['tune', '--data', data, '--study', study, '--trials', '2', '--epochs', '1']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/data\.csv, line 152, column 'label': missing label/);
    expect(existsSync(study)).toBe(false);
    writeFileSync(
      data,
      textCsv((i) => expected.classNames[expected.labels[i]!]!),
    );
    const retried = await cli(['tune', '--data', data, '--study', study, '--trials', '2', '--epochs', '1', '--json']);
    expect(retried.code, retried.stderr).toBe(0);
    expect(lastJson(retried.stdout)).toMatchObject({ finished: 2 });
  }, 60_000);
});
