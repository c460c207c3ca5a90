import type { FloatArray } from './matrix.js';

/**
 * The dense products a network needs, on flat row-major buffers. Swappable: a WebAssembly SIMD
 * implementation can replace `typescriptKernels` without anything above it changing.
 *
 * @example
 * typescriptKernels.matmul(x, w, z, batch, inputs, units); // Z = X·W
 */
export interface Kernels {
  readonly name: string;
  /** out (m×n) = a (m×k) · b (k×n). */
  matmul(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number): void;
  /** out (m×n) = aᵀ · b, with a stored as (k×m) and b as (k×n): dW = Xᵀ·dZ. */
  matmulTransposeA(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number): void;
  /** out (m×n) = a · bᵀ, with a stored as (m×k) and b as (n×k): dX = dZ·Wᵀ. */
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
 * Plain TypeScript kernels: the reference implementation and the fallback. Loops are ordered so
 * the innermost one walks contiguous memory.
 *
 * @example
 * const backend = { allocator: float32Allocator, kernels: typescriptKernels };
 */
export const typescriptKernels: Kernels = {
  name: 'typescript',
  matmul(a, b, out, m, k, n) {
    out.fill(0, 0, m * n);
    for (let i = 0; i < m; i++) {
      const outRow = i * n;
      const aRow = i * k;
      for (let p = 0; p < k; p++) {
        const aip = a[aRow + p]!;
        const bRow = p * n;
        for (let j = 0; j < n; j++) out[outRow + j]! += aip * b[bRow + j]!;
      }
    }
  },
  matmulTransposeA(a, b, out, m, k, n) {
    out.fill(0, 0, m * n);
    for (let p = 0; p < k; p++) {
      const aRow = p * m;
      const bRow = p * n;
      for (let i = 0; i < m; i++) {
        const api = a[aRow + i]!;
        const outRow = i * n;
        for (let j = 0; j < n; j++) out[outRow + j]! += api * b[bRow + j]!;
      }
    }
  },
  matmulTransposeB(a, b, out, m, k, n) {
    for (let i = 0; i < m; i++) {
      const aRow = i * k;
      for (let j = 0; j < n; j++) {
        const bRow = j * k;
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[aRow + p]! * b[bRow + p]!;
        out[i * n + j] = sum;
      }
    }
  },
};
