import { describe, expect, it } from 'vitest';
import { typescriptKernels as k } from '../../src/model/kernels.js';
import { randomArray } from '../helpers/gradcheck.js';

function naive(m: number, kk: number, n: number, at: (i: number, p: number) => number, bt: (p: number, j: number) => number) {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < kk; p++) out[i * n + j]! += at(i, p) * bt(p, j);
  return out;
}

describe('typescriptKernels', () => {
  for (const [m, kk, n] of [[1, 1, 1], [3, 5, 7], [17, 4, 9], [8, 33, 2]] as const) {
    it(`multiplies ${m}×${kk} by ${kk}×${n} in every transpose case`, () => {
      const a = randomArray(m * kk, `a${m}`);
      const b = randomArray(kk * n, `b${n}`);
      const out = new Float64Array(m * n).fill(99);
      k.matmul(a, b, out, m, kk, n);
      const expected = naive(m, kk, n, (i, p) => a[i * kk + p]!, (p, j) => b[p * n + j]!);
      expected.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 12));

      // aᵀ·b with a stored k×m.
      const aT = randomArray(kk * m, `at${m}`);
      k.matmulTransposeA(aT, b, out, m, kk, n);
      naive(m, kk, n, (i, p) => aT[p * m + i]!, (p, j) => b[p * n + j]!).forEach((v, i) => expect(out[i]).toBeCloseTo(v, 12));

      // a·bᵀ with b stored n×k.
      const bT = randomArray(n * kk, `bt${n}`);
      k.matmulTransposeB(a, bT, out, m, kk, n);
      naive(m, kk, n, (i, p) => a[i * kk + p]!, (p, j) => bT[j * kk + p]!).forEach((v, i) => expect(out[i]).toBeCloseTo(v, 12));
    });
  }
});
