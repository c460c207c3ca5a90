import { describe, expect, it } from 'vitest';
import { labelKey, parseDecimal } from '../../src/model/decimal.js';

describe('decimal numbers', () => {
  it('reads what a person or a CSV writer writes as a number, as Number() does, and nothing else', () => {
    for (const text of ['0', '-0', '+7', '007', '3.25', '.5', '5.', '1e-5', '2E+3', ' 4 ']) expect(parseDecimal(text)).toBe(Number(text));
    for (const text of ['', ' ', '0x10', '0b11', '0o7', 'Infinity', '-Infinity', 'NaN', '1e', '1.2.3', '1_000', '٣'])
      expect(parseDecimal(text)).toBeNaN();
  });

  it('makes equal numbers one class, however written, and leaves names as they are', () => {
    expect(['1', '01', '1.0', '1e0', '+1'].map(labelKey)).toEqual(['1', '1', '1', '1', '1']);
    expect(['setosa', '0x1', 'Infinity', ' a '].map(labelKey)).toEqual(['setosa', '0x1', 'Infinity', ' a ']);
  });
});
