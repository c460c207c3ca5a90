import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, lastJson } from '../helpers/cli.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';

// Data that used to be read as something it is not: now one class per number, decimals only, and
// UTF-8 or an error.

const csv = (rows: string[][]) => `a,b,label\n${rows.map((r) => r.join(',')).join('\n')}\n`;
const features = (i: number) => [String(i % 7), String((i * 3) % 5)];

describe('what a CSV says', () => {
  it('equal numbers are one class however written: 1, 01 and 1.0 are class 1', async () => {
    const file = path.join(tempDir(), 'labels.csv');
    const written = ['1', '01', '1.0', '2', '02', '2.0', '+2', '1e0'];
    writeFileSync(file, csv(Array.from({ length: 64 }, (_, i) => [...features(i), written[i % written.length]!])));
    const result = await cli(['train', '--data', file, '--epochs', '1', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(lastJson(result.stdout).classes).toBe(2);
  });

  it('a hexadecimal, binary or octal cell is not a number', async () => {
    for (const cell of ['0x10', '0b11', '0o7', 'Infinity']) {
      const file = path.join(tempDir(), 'hex.csv');
      writeFileSync(
        file,
        csv([
          ['1', '2', '0'],
          ['3', cell, '1'],
          ['5', '6', '0'],
        ]),
      );
      const result = await cli(['train', '--data', file, '--features', 'a,b', '--epochs', '1']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`hex\\.csv, line 3, column 'b': the feature is not a finite number .*got '${cell}'`));
      // Not chosen, the column is text: read as categories (its three levels), and said so.
      expect((await cli(['train', '--data', file, '--epochs', '1'])).stderr).toContain(
        'one-hot encoded, with the levels of the training rows: b (3 levels)',
      );
    }
  });

  it('text that is not UTF-8 (a Latin-1 file) is refused, naming the line and field, instead of collapsing labels', async () => {
    const file = path.join(tempDir(), 'latin1.csv');
    const labels = ['café', 'crème', 'naïve', 'über', 'été'];
    writeFileSync(file, Buffer.from(csv(Array.from({ length: 20 }, (_, i) => [...features(i), labels[i % labels.length]!])), 'latin1'));
    const result = await cli(['train', '--data', file, '--epochs', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(
      /latin1\.csv, line 2: field 3 is not valid UTF-8 \(it begins 'caf\uFFFD'\); save the file as UTF-8/,
    );
  });
});

describe('numbers on the command line', () => {
  it('are decimals: --lr 0x10 and --batch-size 0b11 are refused', async () => {
    expect(await cli(['train', '--data', DIGITS_TRAIN, '--lr', '0x10'])).toMatchObject({
      code: 2,
      stderr: "rxgrad: --lr must be a positive number, got '0x10'\n",
    });
    expect(await cli(['train', '--data', DIGITS_TRAIN, '--batch-size', '0b11'])).toMatchObject({
      code: 2,
      stderr: "rxgrad: --batch-size must be a positive integer, got '0b11'\n",
    });
  });
});
