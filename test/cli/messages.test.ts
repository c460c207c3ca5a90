import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/files/serialization.js';
import { splitRows } from '../../src/operators/splitRows.js';
import { summarize } from '../../src/operators/summarize.js';
import { readData } from '../../src/streams/readData.js';
import { cli, lastJson } from '../helpers/cli.js';
import { DIGITS_TEST, DIGITS_TRAIN, tempDir } from '../helpers/files.js';

// Messages that send the user the right way (issue 33, item 5).

describe('what rxgrad tells you to do', () => {
  it('an empty cell points to --fill-missing first; a text cell to --features', async () => {
    const file = path.join(tempDir(), 'holes.csv');
    writeFileSync(file, 'a,b,label\n1,2,0\n3,,1\n5,6,0\nx,7,1\n');
    const empty = await cli(['train', '--data', file, '--epochs', '1']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(
      /line 3, column 'b': the feature is not a finite number \(expected a number \(fill empty cells with --fill-missing mean\|zero \(fillMissing\), or choose the feature columns with --features\), got an empty cell\)/,
    );
    writeFileSync(file, 'a,b,label\n1,2,0\nx,7,1\n');
    expect((await cli(['train', '--data', file, '--features', 'a,b', '--epochs', '1'])).stderr).toMatch(
      /line 3, column 'a': .*choose the feature columns with --features.*got 'x'/,
    );
    // Chosen by default, a column of text is read as categories, and the note says so (and how to choose otherwise).
    expect(await cli(['train', '--data', file, '--epochs', '1'])).toMatchObject({
      code: 0,
      stderr: expect.stringContaining('one-hot encoded, with the levels of the training rows: a (2 levels)'),
    });
  });

  it('an empty column list names the flag it was given to', async () => {
    const model = path.join(tempDir(), 'm');
    for (const [flag, argv] of [
      ['--keep', ['predict', '--model', model, '--data', DIGITS_TEST, '--out', path.join(tempDir(), 'p.csv'), '--keep', '']],
      ['--features', ['train', '--data', DIGITS_TRAIN, '--features', ' , ']],
      ['--drop', ['convert', DIGITS_TEST, path.join(tempDir(), 'x.csv'), '--drop', '']],
    ] as const) {
      expect(await cli([...argv])).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(`rxgrad: ${flag} needs at least one column name`),
      });
    }
  });

  it('evaluate and predict take a babysit run folder (its newest checkpoint, said so), and name what a folder without a model lacks', async () => {
    const run = path.join(tempDir(), 'run');
    expect((await cli(['babysit', '--data', DIGITS_TRAIN, '--dir', run, '--epochs', '2'])).code).toBe(0);
    const evaluated = await cli(['evaluate', '--model', run, '--data', DIGITS_TEST, '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stderr).toContain(
      `rxgrad: --model ${run}: a run folder; using its newest checkpoint, ${path.join(run, 'epoch-0002')} (epoch 2)`,
    );
    expect(lastJson(evaluated.stdout).examples).toBe(359);
    const empty = path.join(tempDir(), 'empty');
    mkdirSync(empty);
    expect(await cli(['evaluate', '--model', empty, '--data', DIGITS_TEST])).toMatchObject({
      code: 1,
      stderr: `rxgrad: ${empty}: no model here (no model.json, no epoch checkpoint): give a directory written by train --save, or a babysit run folder\n`,
    });
  });

  it('with --validation, the summary counts the rows trained on, and the standardizer is theirs alone, as in a study', async () => {
    const wine = path.resolve('test/fixtures/wine/pandas.csv');
    const model = path.join(tempDir(), 'model');
    const result = await cli(['train', '--data', wine, '--validation', '0.2', '--seed', '4', '--epochs', '1', '--save', model, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const trainPart = await lastValueFrom(
      readData(wine, { classNames: ['class_0', 'class_1', 'class_2'] }).pipe(
        splitRows({ fraction: 0.2, seed: 4, part: 'train' }),
        summarize(),
      ),
    );
    expect(trainPart.rows).toBeLessThan(178);
    expect(lastJson(result.stdout).examples).toBe(trainPart.rows);
    const text = await cli(['train', '--data', wine, '--validation', '0.2', '--seed', '4', '--epochs', '1']);
    expect(text.stdout).toContain(`on ${trainPart.rows} examples`);
    const saved = await loadModel(model);
    expect(Array.from(saved.standardizer!.mean)).toEqual(Array.from(trainPart.standardizer.mean));
    expect(Array.from(saved.standardizer!.std)).toEqual(Array.from(trainPart.standardizer.std));
  });
});
