import { UsageError } from '../errors.js';
import type { Backend } from '../model/backend.js';
import { typescriptBackend } from '../model/typescriptBackend.js';
import { createWasmBackend, type WasmBackendOptions } from './wasmBackend.js';

/** The values of RXGRAD_KERNELS, the environment variable that picks the kernels. */
const KERNELS = ['auto', 'wasm', 'typescript'] as const;

/**
 * The backend for a new model, and the one place that chooses it: WebAssembly SIMD where the
 * engine and the compiled kernels allow (relaxed SIMD first), the TypeScript backend otherwise.
 * The environment variable RXGRAD_KERNELS=typescript forces the TypeScript backend; `wasm` insists
 * on WebAssembly and throws where it is missing.
 *
 * @example
 * const net = createNetwork({ inputSize: 64, classes: 10, backend: createBackend() });
 */
export function createBackend(options: WasmBackendOptions = {}): Backend {
  const choice = process.env.RXGRAD_KERNELS || 'auto';
  if (!(KERNELS as readonly string[]).includes(choice)) {
    throw new UsageError(`RXGRAD_KERNELS must be one of ${KERNELS.join(', ')}, got '${choice}'`);
  }
  if (choice === 'typescript') return typescriptBackend;
  const wasm = createWasmBackend(options);
  if (wasm) return wasm;
  if (choice === 'wasm')
    throw new UsageError('RXGRAD_KERNELS=wasm, but this engine cannot run the WebAssembly SIMD kernels (or dist/wasm is missing)');
  return typescriptBackend;
}
