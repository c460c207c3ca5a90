import { SearchSpaceError } from '../errors.js';

export { SearchSpaceError };
/**
 * A hyperparameter's prior. Every distribution maps a unit coordinate u ∈ [0, 1) to a value, so
 * random, grid and quasi-random samplers share one definition of "the right scale":
 * - `uniform(a, b)`: a + u·(b − a).
 * - `logUniform(a, b)`: 10^r with r uniform in [log₁₀ a, log₁₀ b]; α in [1e-4, 1] spends as many
 *   draws in [1e-4, 1e-3] as in [0.1, 1].
 * - `oneMinusLogUniform(a, b)`: β = 1 − 10^r, r uniform in [log₁₀(1 − b), log₁₀(1 − a)], for the β
 *   of exponentially weighted averages: β in [0.9, 0.999] spends half its draws in [0.9, 0.99].
 * - `intUniform(a, b)`, `intLogUniform(a, b)`: whole numbers, uniform or log-uniform, a and b included.
 * - `choice([...])`: one of the listed values, equally likely.
 */
export type Distribution =
  | { readonly type: 'uniform'; readonly low: number; readonly high: number }
  | { readonly type: 'logUniform'; readonly low: number; readonly high: number }
  | { readonly type: 'oneMinusLogUniform'; readonly low: number; readonly high: number }
  | { readonly type: 'intUniform'; readonly low: number; readonly high: number }
  | { readonly type: 'intLogUniform'; readonly low: number; readonly high: number }
  | { readonly type: 'choice'; readonly values: readonly ParamValue[] };

/** A sampled hyperparameter value. */
export type ParamValue = number | string | boolean;

function bounds(kind: string, low: number, high: number): void {
  if (!Number.isFinite(low) || !Number.isFinite(high))
    throw new SearchSpaceError(`${kind}: bounds must be finite numbers, got [${low}, ${high}]`);
  if (!(low < high)) throw new SearchSpaceError(`${kind}: bounds are in the wrong order or equal: low ${low} must be below high ${high}`);
}

/**
 * Uniform on [low, high].
 *
 * @example
 * uniform(0, 0.5)
 */
export function uniform(low: number, high: number): Distribution {
  bounds('uniform', low, high);
  return { type: 'uniform', low, high };
}

/**
 * Log-uniform on [low, high]: 10^r with r uniform in [log₁₀ low, log₁₀ high]. Both bounds must be positive.
 *
 * @example
 * logUniform(1e-4, 1) // learning rate
 */
export function logUniform(low: number, high: number): Distribution {
  bounds('logUniform', low, high);
  if (low <= 0) throw new SearchSpaceError(`logUniform: a log scale needs positive bounds, got [${low}, ${high}] (it includes 0)`);
  return { type: 'logUniform', low, high };
}

/**
 * β = 1 − 10^r with r uniform in [log₁₀(1 − high), log₁₀(1 − low)]: for the β of momentum, RMSprop
 * or Adam, whose sensitivity grows as β approaches 1. Needs 0 ≤ low < high < 1.
 *
 * @example
 * oneMinusLogUniform(0.9, 0.999) // half the draws in [0.9, 0.99], half in [0.99, 0.999]
 */
export function oneMinusLogUniform(low: number, high: number): Distribution {
  bounds('oneMinusLogUniform', low, high);
  if (low < 0 || high >= 1)
    throw new SearchSpaceError(`oneMinusLogUniform: needs 0 ≤ low < high < 1 (1 − β on a log scale cannot reach 0), got [${low}, ${high}]`);
  return { type: 'oneMinusLogUniform', low, high };
}

/**
 * Whole numbers from low to high inclusive, equally likely.
 *
 * @example
 * intUniform(1, 4) // number of layers
 */
export function intUniform(low: number, high: number): Distribution {
  if (!Number.isInteger(low) || !Number.isInteger(high))
    throw new SearchSpaceError(`intUniform: bounds must be integers, got [${low}, ${high}]`);
  bounds('intUniform', low, high);
  return { type: 'intUniform', low, high };
}

/**
 * Whole numbers from low to high inclusive, log-uniformly: as many draws in [16, 32) as in [128, 256).
 *
 * @example
 * intLogUniform(16, 512) // hidden units
 */
export function intLogUniform(low: number, high: number): Distribution {
  if (!Number.isInteger(low) || !Number.isInteger(high))
    throw new SearchSpaceError(`intLogUniform: bounds must be integers, got [${low}, ${high}]`);
  bounds('intLogUniform', low, high);
  if (low <= 0) throw new SearchSpaceError(`intLogUniform: a log scale needs positive bounds, got [${low}, ${high}] (it includes 0)`);
  return { type: 'intLogUniform', low, high };
}

/**
 * One of the given values.
 *
 * @example
 * choice([32, 64, 128, 256]) // mini-batch size
 */
export function choice(values: readonly ParamValue[]): Distribution {
  if (!Array.isArray(values) || values.length === 0) throw new SearchSpaceError('choice: needs at least one value');
  for (const v of values) {
    if (!['number', 'string', 'boolean'].includes(typeof v))
      throw new SearchSpaceError(`choice: values must be numbers, strings or booleans, got ${JSON.stringify(v)}`);
  }
  return { type: 'choice', values: [...values] };
}

const clampUnit = (u: number) => Math.min(Math.max(u, 0), 1 - Number.EPSILON);

/**
 * Maps a unit coordinate u ∈ [0, 1) to the distribution's value (its inverse CDF).
 *
 * @example
 * valueAt(logUniform(1e-4, 1), 0.5) // 0.01
 */
export function valueAt(d: Distribution, unit: number): ParamValue {
  const u = clampUnit(unit);
  switch (d.type) {
    case 'uniform':
      return d.low + u * (d.high - d.low);
    case 'logUniform':
      return 10 ** (Math.log10(d.low) + u * (Math.log10(d.high) - Math.log10(d.low)));
    case 'oneMinusLogUniform': {
      const top = Math.log10(1 - d.low);
      const bottom = Math.log10(1 - d.high);
      return 1 - 10 ** (top + u * (bottom - top));
    }
    case 'intUniform':
      return Math.min(d.high, d.low + Math.floor(u * (d.high - d.low + 1)));
    case 'intLogUniform': {
      const low = Math.log(d.low);
      const high = Math.log(d.high + 1);
      return Math.min(d.high, Math.floor(Math.exp(low + u * (high - low))));
    }
    case 'choice':
      return d.values[Math.floor(u * d.values.length)]!;
  }
}

/**
 * The unit coordinate of a value (the distribution's CDF): the inverse of `valueAt`, up to the
 * width of an integer or choice cell, whose middle it returns.
 *
 * @example
 * unitOf(logUniform(1e-4, 1), 0.01) // 0.5
 */
export function unitOf(d: Distribution, value: ParamValue): number {
  const v = value as number;
  switch (d.type) {
    case 'uniform':
      return (v - d.low) / (d.high - d.low);
    case 'logUniform':
      return (Math.log10(v) - Math.log10(d.low)) / (Math.log10(d.high) - Math.log10(d.low));
    case 'oneMinusLogUniform':
      return (Math.log10(1 - v) - Math.log10(1 - d.low)) / (Math.log10(1 - d.high) - Math.log10(1 - d.low));
    case 'intUniform':
      return (v - d.low + 0.5) / (d.high - d.low + 1);
    case 'intLogUniform': {
      const low = Math.log(d.low);
      const high = Math.log(d.high + 1);
      return (0.5 * (Math.log(v) + Math.log(v + 1)) - low) / (high - low);
    }
    case 'choice':
      return (d.values.indexOf(value) + 0.5) / d.values.length;
  }
}
