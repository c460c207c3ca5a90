/** The three transpose cases of a kernel product C (m×n) over k, with the lengths of A and B in each. */
export const productCases = (m: number, k: number, n: number) =>
  [
    ['matmul', m * k, k * n],
    ['matmulTransposeA', k * m, k * n],
    ['matmulTransposeB', m * k, n * k],
  ] as const;
