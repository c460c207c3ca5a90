/**
 * Numeric storage. rxgrad stores activations row-major with one row per example: a mini-batch of
 * m examples with n features is an m×n matrix X, and a dense layer computes Z = X·Wᵀ + b with W of
 * shape (units × inputs), as PyTorch's nn.Linear stores it. In the column-per-example notation of
 * many courses, z = W·a + b, it is the same W with A = Xᵀ; the numbers are identical.
 */

/** A float buffer: float32 in training, float64 where a test wants exact gradients. */
export type FloatArray = Float32Array | Float64Array;

/**
 * A dense row-major matrix view over a flat buffer.
 *
 * @example
 * const m: Matrix = { rows: 2, cols: 3, data: new Float32Array(6) };
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: FloatArray;
}

/**
 * Where every numeric buffer of a model or a run comes from. A WebAssembly backend hands out views
 * into its own memory; nothing above `src/model` allocates numeric storage any other way.
 *
 * @example
 * const w = float32Allocator.alloc(64 * 32);
 */
export interface Allocator {
  readonly name: string;
  alloc(length: number): FloatArray;
  /** Bytes handed out so far, where the allocator keeps count (the WebAssembly one does). */
  bytesUsed?(): number;
}

/** Float32 storage on the JavaScript heap: the default. */
export const float32Allocator: Allocator = { name: 'float32', alloc: (length) => new Float32Array(length) };

/** Float64 storage: for finite-difference gradient checks, where float32 round-off hides errors. */
export const float64Allocator: Allocator = { name: 'float64', alloc: (length) => new Float64Array(length) };
