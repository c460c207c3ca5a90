import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/model/random.js';
import {
  choice,
  intLogUniform,
  intUniform,
  logUniform,
  oneMinusLogUniform,
  SearchSpaceError,
  uniform,
  unitOf,
  valueAt,
} from '../../src/tuning/distributions.js';
import { defaultSearchSpace, parseSearchSpace, spaceToJSON } from '../../src/tuning/space.js';

const draws = (d: Parameters<typeof valueAt>[0], n = 40_000, seed = 1) => {
  const rng = createRandom(seed);
  return Array.from({ length: n }, () => valueAt(d, rng.next()) as number);
};
const fraction = (values: number[], low: number, high: number) => values.filter((v) => v >= low && v < high).length / values.length;

describe('distributions', () => {
  it('logUniform(1e-4, 1) puts a quarter of its draws in each decade', () => {
    const values = draws(logUniform(1e-4, 1));
    for (const [low, high] of [
      [1e-4, 1e-3],
      [1e-3, 1e-2],
      [1e-2, 1e-1],
      [1e-1, 1],
    ] as const)
      expect(fraction(values, low, high)).toBeCloseTo(0.25, 1);
    // Uniform would put 90% in [0.1, 1]: the log scale is what makes small rates reachable.
    expect(fraction(values, 1e-4, 1e-3)).toBeGreaterThan(0.24);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(1e-4);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
  });

  it('oneMinusLogUniform(0.9, 0.999) puts half its draws in [0.9, 0.99] and half in [0.99, 0.999]', () => {
    const values = draws(oneMinusLogUniform(0.9, 0.999));
    expect(fraction(values, 0.9, 0.99)).toBeCloseTo(0.5, 1);
    expect(Math.abs(fraction(values, 0.99, 0.999) - 0.5)).toBeLessThan(0.01);
  });

  it('uniform, intUniform, intLogUniform and choice', () => {
    expect(fraction(draws(uniform(2, 4)), 2, 3)).toBeCloseTo(0.5, 1);
    const ints = draws(intUniform(1, 4));
    for (const k of [1, 2, 3, 4]) expect(ints.filter((v) => v === k).length / ints.length).toBeCloseTo(0.25, 1);
    const units = draws(intLogUniform(16, 255));
    expect(units.every(Number.isInteger)).toBe(true);
    for (const [low, high] of [
      [16, 32],
      [32, 64],
      [64, 128],
      [128, 256],
    ] as const)
      expect(fraction(units, low, high)).toBeCloseTo(0.25, 1);
    const picks = draws(choice([32, 64, 128]));
    expect(new Set(picks)).toEqual(new Set([32, 64, 128]));
    expect(picks.filter((v) => v === 64).length / picks.length).toBeCloseTo(1 / 3, 1);
  });

  it('unitOf inverts valueAt', () => {
    for (const d of [uniform(-1, 3), logUniform(1e-5, 10), oneMinusLogUniform(0.5, 0.9999)]) {
      for (const u of [0, 0.1, 0.5, 0.93]) expect(unitOf(d, valueAt(d, u))).toBeCloseTo(u, 10);
    }
    for (const d of [intUniform(3, 9), intLogUniform(8, 1024), choice(['relu', 'tanh'])]) {
      for (const u of [0.05, 0.4, 0.99]) expect(valueAt(d, unitOf(d, valueAt(d, u)))).toBe(valueAt(d, u));
    }
  });

  it('rejects bounds in the wrong order, a log scale that includes 0, and other nonsense', () => {
    expect(() => uniform(1, 0)).toThrow(/wrong order or equal: low 1 must be below high 0/);
    expect(() => logUniform(0, 1)).toThrow(/log scale needs positive bounds, got \[0, 1\] \(it includes 0\)/);
    expect(() => intLogUniform(0, 8)).toThrow(SearchSpaceError);
    expect(() => oneMinusLogUniform(0.9, 1)).toThrow(/0 ≤ low < high < 1/);
    expect(() => intUniform(1.5, 3)).toThrow(/bounds must be integers/);
    expect(() => choice([])).toThrow(/at least one value/);
  });
});

describe('search spaces', () => {
  it('parses the JSON form and writes it back', () => {
    const json = {
      learningRate: { logUniform: [1e-4, 1] },
      momentum: { oneMinusLogUniform: [0.9, 0.999] },
      batchSize: { choice: [32, 64] },
    };
    const space = parseSearchSpace(json);
    expect(space.learningRate).toEqual({ type: 'logUniform', low: 1e-4, high: 1 });
    expect(spaceToJSON(space)).toEqual(json);
    expect(parseSearchSpace(spaceToJSON(defaultSearchSpace()))).toEqual(defaultSearchSpace());
  });

  it('names the parameter and the problem', () => {
    expect(() => parseSearchSpace({ learningRate: { gaussian: [0, 1] } }, 'space.json')).toThrow(
      /space.json: 'learningRate' uses unknown distribution 'gaussian'/,
    );
    expect(() => parseSearchSpace({ learningRate: { logUniform: [1, 1e-4] } })).toThrow(
      /'learningRate': logUniform: bounds are in the wrong order/,
    );
    expect(() => parseSearchSpace({ learningRate: { logUniform: [0, 1] } })).toThrow(
      /'learningRate': logUniform: a log scale needs positive bounds/,
    );
    expect(() => parseSearchSpace({ gamma: { uniform: [0, 1] } })).toThrow(/unknown parameter 'gamma'/);
    // A distribution that can draw a value its setting refuses fails here, not in a trial.
    expect(() => parseSearchSpace({ dropout: { uniform: [0, 1] } }, 'space.json')).toThrow(
      "space.json: 'dropout' can draw 1, but dropout must be a number in [0, 1); narrow its bounds",
    );
    expect(() => parseSearchSpace({ batchSize: { choice: [32, '64', 0] } })).toThrow(
      /'batchSize' can draw 0, but batchSize must be a positive integer/,
    );
    expect(parseSearchSpace({ dropout: { uniform: [0, 0.5] }, batchSize: { choice: [32, '64'] } }).dropout).toEqual({
      type: 'uniform',
      low: 0,
      high: 0.5,
    });
    expect(() => parseSearchSpace([])).toThrow(/expected an object/);
    expect(() => parseSearchSpace({ layers: { intUniform: [1] } })).toThrow(/'layers': intUniform: expected \[low, high\], got \[1\]/);
  });
});
