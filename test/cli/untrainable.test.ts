import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';

// A model that evaluate and predict could not use is refused before training, saying why.

const rows = (labels: string[]) => `a,b,label\n${labels.map((label, i) => `${i},${(i * 7) % 5},${label}`).join('\n')}\n`;

describe('data no classifier can learn from', () => {
  const cases: [string, string, RegExp][] = [
    [
      'one class (numbers)',
      rows(['0', '0', '0', '0']),
      /one\.csv, column 'label': every row has the same label \(0\): a classifier needs rows of at least two classes/,
    ],
    ['one class (names)', rows(['cat', 'cat', 'cat']), /every row has the same label \("cat"\)/],
    ['one row', rows(['0']), /the file has one row: training needs at least two/],
  ];
  for (const [what, text, message] of cases) {
    it(`${what}: train and babysit refuse it before training, save nothing, exit 1 with one line`, async () => {
      const dir = tempDir();
      const file = path.join(dir, 'one.csv');
      writeFileSync(file, text);
      for (const argv of [
        ['train', '--data', file, '--epochs', '1', '--save', path.join(dir, 'model')],
        ['babysit', '--data', file, '--epochs', '1', '--dir', path.join(dir, 'run')],
      ]) {
        const result = await cli(argv);
        expect(result.code, result.stderr).toBe(1);
        // The error is the last line (a note on how labels were read may come before it), with no stack.
        expect(result.stderr.trim().split('\n').at(-1)).toMatch(message);
        expect(result.stderr).not.toMatch(/\n\s+at /);
      }
      expect(existsSync(path.join(dir, 'model', 'model.json'))).toBe(false);
      expect(existsSync(path.join(dir, 'run', 'epoch-0001'))).toBe(false);
    });
  }

  it('a study whose training rows are of one class is refused before its first trial', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'one.csv');
    writeFileSync(file, rows(Array.from({ length: 20 }, () => '0')));
    const result = await cli(['tune', '--data', file, '--study', path.join(dir, 'study'), '--trials', '2', '--epochs', '1']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/every row has the same label \(0\)/);
    expect(existsSync(path.join(dir, 'study', 'trials', 'r0-000.json'))).toBe(false);
  });
});
