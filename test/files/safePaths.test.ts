import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsafePathError } from '../../src/errors.js';
import { isSafeName, pathInside, safeName } from '../../src/files/safePaths.js';

describe('names that cross a process boundary', () => {
  it('a safe name is one file or folder name of letters, digits, _, . and -', () => {
    for (const name of ['r0-003', 'a', '3f1c9a0b2d4e6f70', 'epoch-0001', 'a.b_c', 'x'.repeat(128)]) expect(isSafeName(name)).toBe(true);
    for (const name of [
      '',
      '.',
      '..',
      '../x',
      'a/b',
      'a\\b',
      '/etc',
      '.hidden',
      'x'.repeat(129),
      'a b',
      'a\0b',
      'é',
      3,
      null,
      undefined,
      ['r0-000'],
    ])
      expect(isSafeName(name)).toBe(false);
  });

  it('pathInside refuses anything that would leave its root, naming what it was, and cuts a long value short', () => {
    const root = path.join('studies', 'a', 'checkpoints');
    expect(pathInside(root, 'r0-003', 'trial id')).toBe(path.join(root, 'r0-003'));
    expect(pathInside(root, ['3f1c', 'r0-003'], 'trial job')).toBe(path.join(root, '3f1c', 'r0-003'));
    for (const bad of ['../../../victim', '..', '/etc', 'a/../../b', '']) {
      expect(() => pathInside(root, bad, 'trial id')).toThrow(UnsafePathError);
      expect(() => pathInside(root, ['ok', bad], 'trial id')).toThrow(/refused trial id/);
    }
    const long = `../${'x'.repeat(10_000)}`;
    const message = (() => {
      try {
        safeName(long, 'study');
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/^refused study "\.\.\/x+…": expected letters/);
    expect(message.length).toBeLessThan(200);
  });
});
