import { describe, expect, it } from 'vitest';
import { ewaUpdate } from '../../src/model/ewa.js';
import { StandardizerAccumulator } from '../../src/model/standardizer.js';
import { randomArray } from '../helpers/gradcheck.js';

describe('StandardizerAccumulator', () => {
  it('streaming over uneven blocks gives the two-pass mean and standard deviation', () => {
    const cols = 3;
    const rows = 101;
    const data = randomArray(rows * cols, 'std', 50).map((v, i) => v + (i % cols) * 1000);
    const acc = new StandardizerAccumulator(cols);
    for (const [start, end] of [[0, 1], [1, 40], [40, 41], [41, 101]] as const) acc.add(data.subarray(start * cols, end * cols), end - start);
    const s = acc.finish();
    for (let j = 0; j < cols; j++) {
      const column = Array.from({ length: rows }, (_, i) => data[i * cols + j]!);
      const mean = column.reduce((a, b) => a + b) / rows;
      const std = Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / rows);
      expect(s.mean[j]).toBeCloseTo(mean, 9);
      expect(s.std[j]).toBeCloseTo(std, 9);
    }
    expect(acc.rows).toBe(rows);
  });

  it('maps a constant feature to 0 instead of NaN', () => {
    const acc = new StandardizerAccumulator(2);
    acc.add(Float32Array.of(0, 1, 0, 3), 2);
    const s = acc.finish();
    const out = new Float32Array(4);
    s.apply(Float32Array.of(0, 1, 0, 3), 2, out);
    expect(Array.from(out)).toEqual([0, -1, 0, 1]);
  });
});

describe('ewaUpdate', () => {
  it('is v ← β·v + (1 − β)·x', () => {
    expect(ewaUpdate(10, 20, 0.9)).toBeCloseTo(11, 12);
    expect(ewaUpdate(0, 1, 0.5)).toBe(0.5);
  });
});
