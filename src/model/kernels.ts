import type { FloatArray } from './matrix.js';

/**
 * The dense products a network needs, on flat row-major buffers. Swappable: a WebAssembly SIMD
 * implementation can replace `typescriptKernels` without anything above it changing.
 *
 * @example
 * typescriptKernels.matmulTransposeB(x, w, z, batch, inputs, units); // Z = X·Wᵀ
 */
export interface Kernels {
  readonly name: string;
  /** out (m×n) = a (m×k) · b (k×n): dX = dZ·W. */
  matmul(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number): void;
  /** out (m×n) = aᵀ · b, with a stored as (k×m) and b as (k×n): dW = dZᵀ·X. */
  matmulTransposeA(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number): void;
  /** out (m×n) = a · bᵀ, with a stored as (m×k) and b as (n×k): Z = X·Wᵀ. */
  matmulTransposeB(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number): void;
  /**
   * One bias-corrected Adam step in place, where the kernels can do it faster than `Adam` itself
   * (all four arrays must come from this backend's allocator). Returns false to decline.
   */
  adamStep?(w: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, hyper: AdamHyper): boolean;
  /** out = max(x, 0), where the kernels can (all arrays from this backend); false to decline. */
  relu?(x: FloatArray, out: FloatArray, n: number): boolean;
  /** out = g where a > 0, else 0; false to decline. */
  reluBackward?(a: FloatArray, g: FloatArray, out: FloatArray, n: number): boolean;
  /** Batch norm in training (see `BatchNorm`): fills out, x̂, the batch mean and biased variance, and 1/√(σ² + ε); false to decline. */
  batchNormTrain?(z: FloatArray, out: FloatArray, xhat: FloatArray, mean: FloatArray, variance: FloatArray, invStd: FloatArray, gamma: FloatArray, beta: FloatArray, rows: number, size: number, epsilon: number): boolean;
  /** out = (x − mean)·invStd per column; `out`, `mean` and `invStd` from this backend; false to decline. */
  standardize?(x: FloatArray | Uint8Array, out: FloatArray, mean: FloatArray, invStd: FloatArray, rows: number, cols: number): boolean;
  /** Batch norm's full backward pass: fills dx, dγ and dβ; false to decline. */
  batchNormBackward?(dy: FloatArray, xhat: FloatArray, invStd: FloatArray, gamma: FloatArray, dx: FloatArray, dgamma: FloatArray, dbeta: FloatArray, rows: number, size: number): boolean;
}

/** The numbers of one Adam step. */
export interface AdamHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** 1 − β₁ᵗ and 1 − β₂ᵗ. */
  readonly correction1: number;
  readonly correction2: number;
  readonly weightDecay: number;
}

/**
 * out (m×n) = A·B with A(i, p) = a[i·ai + p·ap] and B(p, j) = b[p·bp + j·bj]: one loop nest for
 * all three layouts, in 4×4 register tiles (sixteen running sums in locals, eight loads per
 * sixteen multiply-adds), with plain loops for the edges. Sums run in float64.
 */
function stridedProduct(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number, ai: number, ap: number, bp: number, bj: number): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const r0 = i * ai;
    const r1 = r0 + ai;
    const r2 = r1 + ai;
    const r3 = r2 + ai;
    for (let j = 0; j < n4; j += 4) {
      const c0 = j * bj;
      const c1 = c0 + bj;
      const c2 = c1 + bj;
      const c3 = c2 + bj;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let p = 0; p < k; p++) {
        const pa = p * ap;
        const pb = p * bp;
        const a0 = a[r0 + pa]!, a1 = a[r1 + pa]!, a2 = a[r2 + pa]!, a3 = a[r3 + pa]!;
        const b0 = b[pb + c0]!, b1 = b[pb + c1]!, b2 = b[pb + c2]!, b3 = b[pb + c3]!;
        s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
        s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
        s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
        s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
      }
      let o = i * n + j;
      out[o] = s00; out[o + 1] = s01; out[o + 2] = s02; out[o + 3] = s03;
      o += n;
      out[o] = s10; out[o + 1] = s11; out[o + 2] = s12; out[o + 3] = s13;
      o += n;
      out[o] = s20; out[o + 1] = s21; out[o + 2] = s22; out[o + 3] = s23;
      o += n;
      out[o] = s30; out[o + 1] = s31; out[o + 2] = s32; out[o + 3] = s33;
    }
  }
  // The edges: rows below the last full tile, and columns right of it.
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[i * ai + p * ap]! * b[p * bp + j * bj]!;
      out[i * n + j] = sum;
    }
  }
}

/**
 * Plain TypeScript kernels: the reference implementation and the fallback, register-tiled so the
 * fallback stays usable where WebAssembly SIMD is missing.
 *
 * @example
 * const backend = { allocator: float32Allocator, kernels: typescriptKernels };
 */
export const typescriptKernels: Kernels = {
  name: 'typescript',
  matmul: (a, b, out, m, k, n) => stridedProduct(a, b, out, m, k, n, k, 1, n, 1),
  matmulTransposeA: (a, b, out, m, k, n) => stridedProduct(a, b, out, m, k, n, 1, m, n, 1),
  matmulTransposeB: (a, b, out, m, k, n) => stridedProduct(a, b, out, m, k, n, k, 1, 1, k),
};
