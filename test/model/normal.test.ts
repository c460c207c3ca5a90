import { describe, expect, it } from 'vitest';
import { erfc, normalCdf } from '../../src/model/normal.js';

describe('erfc and the normal CDF', () => {
  it('match reference values (Python math.erfc) to a relative 1.2e-7, tails included', () => {
    const reference: [number, number][] = [
      [0, 1],
      [0.5, 0.4795001221869535],
      [-1, 1.8427007929497148],
      [2, 0.004677734981047266],
      [5, 1.5374597944280351e-12],
    ];
    for (const [x, value] of reference) expect(Math.abs(erfc(x) - value) / value).toBeLessThan(1.2e-7);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 7);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
  });
});
