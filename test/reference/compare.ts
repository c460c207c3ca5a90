import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

/** Reads a committed PyTorch fixture (see make_fixtures.py). */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8')) as T;
}

const worst = new Map<string, number>();

/**
 * The largest relative difference between two arrays: |a − e| / max(|e|, 1e-3·max|e|). The floor
 * keeps entries that are round-off-sized next to the rest of the array from dominating.
 */
export function relativeDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  const floor = Math.max(scale * 1e-3, 1e-30);
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(a) || Number.isNaN(e)) return Number.NaN;
    max = Math.max(max, Math.abs(a - e) / Math.max(Math.abs(e), floor));
  }
  return max;
}

/** ‖actual − expected‖₂ / ‖expected‖₂: for whole tensors whose individual entries may drift. */
export function normRelativeDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    difference += (actual[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  return Math.sqrt(difference / Math.max(norm, 1e-300));
}

/** Records a difference measured some other way under `quantity` and asserts it is within `tolerance`. */
export function expectWithin(quantity: string, difference: number, tolerance: number): void {
  worst.set(quantity, Math.max(worst.get(quantity) ?? 0, difference));
  expect(difference, `${quantity}: difference ${difference}`).toBeLessThanOrEqual(tolerance);
}

/** Asserts agreement within `tolerance` and records the largest difference seen under `quantity`. */
export function expectParity(quantity: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  const difference = relativeDifference(actual, expected);
  worst.set(quantity, Math.max(worst.get(quantity) ?? 0, difference));
  expect(difference, `${quantity}: relative difference ${difference}`).toBeLessThanOrEqual(tolerance);
}

/** With PARITY_REPORT=1, prints the largest relative difference seen for each quantity. */
export function reportParity(): void {
  if (process.env.PARITY_REPORT !== '1') return;
  for (const [quantity, difference] of [...worst].sort()) console.info(`${quantity.padEnd(48)} ${difference.toExponential(2)}`);
}
