import { UsageError } from '../errors.js';
import { type ClassWeightSetting, isClassWeightSetting } from '../model/classWeights.js';
import { parseDecimal } from '../model/decimal.js';

/** A parser of a number flag: `valid` or a UsageError saying the flag must be `expected`. */
function numberFlag(flag: string, valid: (value: number) => boolean, expected: string) {
  return (text: string): number => {
    const value = parseDecimal(text);
    if (!valid(value)) throw new UsageError(`${flag} must be ${expected}, got '${text}'`);
    return value;
  };
}

/**
 * Parsers of flag values: each reads the text a user typed and throws a UsageError naming the
 * flag and what it must be.
 *
 * @example
 * positiveInteger('--batch-size')('64') // 64
 * positiveInteger('--batch-size')('0') // UsageError: --batch-size must be a positive integer, got '0'
 */
export const positiveInteger = (flag: string) => numberFlag(flag, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
/** A whole number from `low` to `high`, both included: `--trials` from 1 to 100,000. */
export const integerFrom = (flag: string, low: number, high: number) =>
  numberFlag(
    flag,
    (v) => Number.isInteger(v) && v >= low && v <= high,
    `a whole number from ${low.toLocaleString('en')} to ${high.toLocaleString('en')}`,
  );
/** An integer ≥ 0: `--seed 0`. */
export const nonNegativeInteger = (flag: string) => numberFlag(flag, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
/** A finite number > 0: `--lr 0.001`. */
export const positiveNumber = (flag: string) => numberFlag(flag, (v) => Number.isFinite(v) && v > 0, 'a positive number');
/** A finite number ≥ 0: `--weight-decay 0`. */
export const nonNegativeNumber = (flag: string) => numberFlag(flag, (v) => Number.isFinite(v) && v >= 0, 'a number ≥ 0');

/** A number in [low, high): `--momentum` in [0, 1), `--validation` in (0, 1) with `openLow`. */
export function numberIn(flag: string, low: number, high: number, openLow = false) {
  return numberFlag(
    flag,
    (v) => Number.isFinite(v) && (openLow ? v > low : v >= low) && v < high,
    `in ${openLow ? '(' : '['}${low}, ${high})`,
  );
}

/**
 * Parses `64,32` into [64, 32]; `none` or an empty string gives no hidden layers.
 *
 * @example
 * hiddenSizes('128,64') // [128, 64]
 */
export function hiddenSizes(text: string, flag = '--hidden'): number[] {
  if (text.trim() === '' || text.trim() === 'none') return [];
  return text.split(',').map((part) => positiveInteger(flag)(part.trim()));
}

/**
 * A parser of a comma-separated list of column names; an empty list is an error naming the flag.
 *
 * @example
 * columnList('--features')('a, b') // ['a', 'b']
 */
export function columnList(flag: string) {
  return (text: string): string[] => {
    const names = text
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name.length > 0);
    if (names.length === 0) throw new UsageError(`${flag} needs at least one column name, got '${text}'`);
    return names;
  };
}

/**
 * Reads `--class-weight`: `balanced`, or a JSON object of class labels to weights ≥ 0.
 *
 * @example
 * classWeightText('--class-weight')('{"spam": 4}') // { spam: 4 }
 */
export function classWeightText(flag: string) {
  return (text: string): ClassWeightSetting => {
    if (text.trim() === 'balanced') return 'balanced';
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (!isClassWeightSetting(value) || value === 'balanced')
      throw new UsageError(`${flag} must be 'balanced' or a JSON object of class labels to weights ≥ 0, e.g. '{"spam": 4}', got '${text}'`);
    return value;
  };
}
