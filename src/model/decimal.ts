/** A decimal number as people and CSV writers write it: a sign, digits, a point, an exponent. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A number written in decimal, or NaN for anything else. `Number()` also reads `0x10`, `0b11`,
 * `0o7`, `Infinity` and an empty string (as 16, 3, 7, ∞ and 0): in a data file or on a command
 * line those are mistakes, not numbers, and silently reading them is wrong data.
 *
 * @example
 * parseDecimal('1e-3'); // 0.001
 * parseDecimal('0x10'); // NaN
 */
export function parseDecimal(text: string): number {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/**
 * A label's class key: a decimal number by its value (`1`, `01` and `1.0` are one class, `1`),
 * anything else as written.
 *
 * @example
 * labelKey('01'); // '1'
 * labelKey('setosa'); // 'setosa'
 */
export function labelKey(text: string): string {
  const value = parseDecimal(text);
  return Number.isFinite(value) ? String(value) : text;
}
