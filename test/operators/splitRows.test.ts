import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { splitRows } from '../../src/operators/splitRows.js';
import { block } from '../helpers/blocks.js';

describe('splitRows', () => {
  const rowsOf = async (part: 'train' | 'validation', seed = 1) =>
    (await lastValueFrom(from([block(0, 500), block(500, 500)]).pipe(splitRows({ fraction: 0.2, seed, part }), toArray()))).flatMap((b) =>
      Array.from(b.labels),
    );

  it('splits rows into complementary, stable parts of about the asked fraction', async () => {
    const train = await rowsOf('train');
    const validation = await rowsOf('validation');
    expect([...train, ...validation].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(validation.length / 1000).toBeCloseTo(0.2, 1);
    expect(await rowsOf('validation')).toEqual(validation);
    expect(await rowsOf('validation', 2)).not.toEqual(validation);
  });

  it('keeps each row with its features', async () => {
    const [first] = await lastValueFrom(from([block(10, 50, 3)]).pipe(splitRows({ fraction: 0.5, seed: 3, part: 'train' }), toArray()));
    for (let i = 0; i < first!.rows; i++) expect(first!.features[i * 3]).toBe(first!.labels[i]! * 10);
    expect(() => splitRows({ fraction: 1, seed: 0, part: 'train' })).toThrow(/fraction must be in \(0, 1\), got 1/);
  });
});
