import { type Allocator, float32Allocator, float64Allocator } from './matrix.js';
import { type Kernels, typescriptKernels } from './kernels.js';

/**
 * Storage plus kernels: everything a model needs from the machine. Layers take a backend when
 * they are built and never allocate or multiply any other way.
 *
 * @example
 * const net = createNetwork({ inputSize: 64, classes: 10, backend: float64Backend });
 */
export interface Backend {
  readonly allocator: Allocator;
  readonly kernels: Kernels;
}

/** Float32 storage with the TypeScript kernels: the default backend. */
export const defaultBackend: Backend = { allocator: float32Allocator, kernels: typescriptKernels };

/** Float64 storage with the TypeScript kernels: for gradient checks. */
export const float64Backend: Backend = { allocator: float64Allocator, kernels: typescriptKernels };
