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
    for (const [start, end] of [
      [0, 1],
      [1, 40],
      [40, 41],
      [41, 101],
    ] as const)
      acc.add(data.subarray(start * cols, end * cols), end - start);
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

  it('sums every column row by row in order, bit for bit, through the tiles and the last columns', () => {
    // The block statistics as plain row-by-row loops: the order of every addition is the spec.
    const reference = (blocks: { x: ArrayLike<number>; rows: number }[], cols: number) => {
      let count = 0;
      const mean = new Float64Array(cols);
      const m2 = new Float64Array(cols);
      for (const { x, rows } of blocks) {
        const blockMean = new Float64Array(cols);
        const blockM2 = new Float64Array(cols);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) blockMean[j]! += x[i * cols + j]!;
        for (let j = 0; j < cols; j++) blockMean[j]! /= rows;
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) blockM2[j]! += (x[i * cols + j]! - blockMean[j]!) ** 2;
        const total = count + rows;
        for (let j = 0; j < cols; j++) {
          const delta = blockMean[j]! - mean[j]!;
          mean[j]! += (delta * rows) / total;
          m2[j]! += blockM2[j]! + (delta * delta * count * rows) / total;
        }
        count = total;
      }
      return { mean: Array.from(mean), std: Array.from(m2, (v) => Math.sqrt(v / count)) };
    };
    const cols = 21;
    const floats = Float32Array.from(randomArray(57 * cols, 'tiles', 30).map((v, i) => v + (i % cols) * 0.37));
    const bytes = Uint8Array.from({ length: 57 * cols }, (_, i) => (i * 131 + (i % 7) * 17) % 256);
    for (const data of [floats, bytes]) {
      const blocks = [
        [0, 5],
        [5, 38],
        [38, 57],
      ].map(([start, end]) => ({ x: data.subarray(start! * cols, end! * cols), rows: end! - start! }));
      const acc = new StandardizerAccumulator(cols);
      for (const { x, rows } of blocks) acc.add(x, rows);
      const s = acc.finish();
      expect({ mean: Array.from(s.mean), std: Array.from(s.std) }).toEqual(reference(blocks, cols));
    }
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
