import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { outputProblem } from '../../src/files/outputGuard.js';
import { cli } from '../helpers/cli.js';
import { DIGITS_TEST, DIGITS_TRAIN, tempDir } from '../helpers/files.js';

// An output never replaces an input, a model's or a study's file, or a file of another kind
// without --force: each refusal is one line, exit 2, and changes nothing.

const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const snapshot = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => [path.relative(dir, path.join(e.parentPath, e.name)), digest(path.join(e.parentPath, e.name))]),
  );
let dir: string;
let model: string;
beforeAll(async () => {
  dir = tempDir();
  model = path.join(dir, 'model');
  expect((await cli(['train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', model])).code).toBe(0);
}, 60_000);

/** Runs a command that must be refused: exit 2, one line naming --out and why, nothing changed in `watched`. */
async function refused(argv: string[], why: RegExp, watched: string[]) {
  const state = () =>
    watched.map((w) => (existsSync(w) ? JSON.stringify(readdirSync(w, { withFileTypes: true }).length ? snapshot(w) : {}) : 'missing'));
  const before = state();
  const result = await cli(argv);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(why);
  expect(state()).toEqual(before);
}

describe('predict --out', () => {
  it('never replaces its input data, also through a link, nor any file of the model, even with --force', async () => {
    const data = path.join(dir, 'data');
    mkdirSync(data, { recursive: true });
    const input = path.join(data, 'test.arrow');
    copyFileSync(DIGITS_TEST, input);
    symlinkSync(input, path.join(data, 'link.arrow'));
    linkSync(input, path.join(data, 'hard.arrow'));
    for (const out of [input, path.join(data, 'link.arrow'), path.join(data, 'hard.arrow')]) {
      for (const force of [[], ['--force']])
        await refused(
          ['predict', '--model', model, '--data', input, '--out', out, ...force],
          /^rxgrad: --out .*: is an input of this command/,
          [data, model],
        );
    }
    for (const out of ['model.json', 'predictions.csv', 'history.json']) {
      await refused(
        ['predict', '--model', model, '--data', input, '--out', path.join(model, out), '--force'],
        /is inside .*model.*; write the output elsewhere|is inside the model directory/,
        [data, model],
      );
    }
    expect(digest(input)).toBe(digest(DIGITS_TEST));
  });

  it('replaces an earlier predictions file, and a file of another kind only with --force', async () => {
    const out = path.join(dir, 'preds');
    mkdirSync(out, { recursive: true });
    for (const name of ['p.csv', 'p.arrow']) {
      expect((await cli(['predict', '--model', model, '--data', DIGITS_TEST, '--out', path.join(out, name)])).code).toBe(0);
      expect((await cli(['predict', '--model', model, '--data', DIGITS_TEST, '--out', path.join(out, name)])).code).toBe(0);
    }
    const notes = path.join(out, 'notes.csv');
    writeFileSync(notes, 'id,comment\n1,keep me\n');
    await refused(
      ['predict', '--model', model, '--data', DIGITS_TEST, '--out', notes],
      /--out .*notes\.csv: exists and is not a predictions file written by rxgrad; pass --force to replace it/,
      [out],
    );
    expect((await cli(['predict', '--model', model, '--data', DIGITS_TEST, '--out', notes, '--force'])).code).toBe(0);
    expect(readFileSync(notes, 'utf8')).toMatch(/^row,prediction,/);
  });
});

describe('report --out', () => {
  it('writes DIR/report.html and replaces its own report, never a model file, even with --force', async () => {
    expect((await cli(['report', model])).code).toBe(0);
    expect((await cli(['report', model])).code).toBe(0);
    for (const out of ['model.json', 'history.json', 'other.html'])
      await refused(['report', model, '--out', path.join(model, out), '--force'], /is inside/, [model]);
    expect(existsSync(path.join(model, 'report.html'))).toBe(true);
  });

  it('writes into another run only never, and over a page of the user’s only with --force', async () => {
    const other = path.join(dir, 'other');
    expect((await cli(['train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', other])).code).toBe(0);
    await refused(['report', model, '--out', path.join(other, 'report.html'), '--force'], /is inside the model directory .*other/, [other]);
    const page = path.join(dir, 'index.html');
    writeFileSync(page, '<html>my page</html>');
    await refused(['report', model, '--out', page], /exists and is not a report written by rxgrad; pass --force/, [dir]);
    expect(readFileSync(page, 'utf8')).toBe('<html>my page</html>');
    expect((await cli(['report', model, '--out', page, '--force'])).code).toBe(0);
    expect(readFileSync(page, 'utf8')).toMatch(/<meta name="generator" content="rxgrad">/);
  });
});

describe('convert OUT', () => {
  it('is never its input, and replaces a file that is not a dataset only with --force', async () => {
    const data = path.join(dir, 'convert');
    mkdirSync(data, { recursive: true });
    const input = path.join(data, 'in.arrow');
    copyFileSync(DIGITS_TEST, input);
    await refused(['convert', input, input, '--force'], /in\.arrow: is an input of this command/, [data]);
    const notes = path.join(data, 'notes.txt');
    writeFileSync(notes, 'mine');
    await refused(['convert', input, notes], /notes\.txt: exists and is not a dataset written by rxgrad; pass --force/, [data]);
    expect((await cli(['convert', input, path.join(data, 'out.csv')])).code).toBe(0);
    expect((await cli(['convert', input, path.join(data, 'out.csv')])).code).toBe(0);
    expect((await cli(['convert', input, notes, '--force'])).code).toBe(0);
    expect(readFileSync(notes).subarray(0, 6).toString()).toBe('ARROW1');
  });
});

describe('outputProblem', () => {
  it('refuses a directory, a missing folder and a device, whatever force says', async () => {
    const rules = { kind: 'a thing', inputs: [], isOwnKind: async () => true, force: true };
    expect(await outputProblem(dir, rules)).toMatch(/is a directory/);
    expect(await outputProblem(path.join(dir, 'none', 'x.csv'), rules)).toMatch(/the folder .*none does not exist/);
    expect(await outputProblem('/dev/null', rules)).toMatch(/exists and is not a regular file/);
    expect(await outputProblem(path.join(dir, 'new.csv'), rules)).toBeUndefined();
  });
});
