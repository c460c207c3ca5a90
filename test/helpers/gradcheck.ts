import { expect } from 'vitest';
import type { FloatArray } from '../../src/model/matrix.js';
import { createRandom } from '../../src/model/random.js';

/** A Float64Array of uniform values in [-scale, scale), seeded. */
export function randomArray(length: number, seed: number | string, scale = 1): Float64Array {
  const rng = createRandom(seed);
  return Float64Array.from({ length }, () => (rng.next() * 2 - 1) * scale);
}

/**
 * Central-difference check of an analytic gradient: for each element of `values`, nudges it by ±h,
 * re-evaluates the scalar `loss`, and compares (f(x+h) − f(x−h))/2h with `analytic` at that element.
 * Returns the largest relative error, max |a − n| / max(1e-8, |a| + |n|).
 */
export function maxRelativeError(values: FloatArray, analytic: ArrayLike<number>, loss: () => number, h = 1e-6): number {
  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const saved = values[i]!;
    values[i] = saved + h;
    const plus = loss();
    values[i] = saved - h;
    const minus = loss();
    values[i] = saved;
    const numeric = (plus - minus) / (2 * h);
    const a = analytic[i]!;
    const error = Math.abs(a - numeric) / Math.max(1e-8, Math.abs(a) + Math.abs(numeric));
    worst = Math.max(worst, error);
  }
  return worst;
}

/** Asserts the gradient check passes to double-precision tolerance. */
export function expectGradient(values: FloatArray, analytic: ArrayLike<number>, loss: () => number, tolerance = 1e-6): void {
  const copy = Float64Array.from(analytic);
  expect(maxRelativeError(values, copy, loss)).toBeLessThan(tolerance);
}
