import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { type Backend, defaultBackend } from './backend.js';
import { CONTROL_BYTES, type KernelExports, KernelThreads } from './kernelThreads.js';
import type { Kernels } from './kernels.js';
import type { Allocator, FloatArray } from './matrix.js';

/** Which WebAssembly build runs the products. */
export type WasmFlavour = 'relaxed-simd' | 'simd';

/** Options of `createWasmBackend`. */
export interface WasmBackendOptions {
  /**
   * Size of the backend's WebAssembly memory. Weights, activations and gradients live there for
   * the model's lifetime; the memory cannot grow (growing would detach every Float32Array view),
   * so an allocation past it throws. Pages are committed only when touched. Default 256 MiB.
   */
  readonly memoryBytes?: number;
  /** Force a build; default: relaxed SIMD where the engine accepts it, plain SIMD otherwise. */
  readonly flavour?: WasmFlavour;
  /**
   * Threads the matrix products and Adam run on: this one and `threads − 1` workers sharing the
   * memory, each taking a share of the rows. Results are bit for bit those of one thread. Worth it
   * only where the cores are really free (a tuning study already runs one trial per core). Default 1.
   */
  readonly threads?: number;
}

/** Products smaller than this many floating-point operations stay on one thread. */
const PARALLEL_FLOPS = 1e6;
/** Adam steps over fewer parameters than this stay on one thread. */
const PARALLEL_PARAMETERS = 65536;

const PAGE = 65536;
/** AssemblyScript's static data sits in the first page; allocations start after it. */
const HEAP_START = PAGE;

function wasmFile(flavour: WasmFlavour, shared: boolean): string | undefined {
  const name = `kernels-${flavour === 'relaxed-simd' ? 'relaxed' : 'simd'}${shared ? '-threads' : ''}.wasm`;
  for (const relative of [`../wasm/${name}`, `../../dist/wasm/${name}`]) {
    const file = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(file)) return file;
  }
  return undefined;
}

const modules = new Map<string, WebAssembly.Module | null>();

/**
 * Compiles (once) the build of `flavour`, with a shared memory or not, or returns null where the
 * engine or the build is missing.
 */
function compiled(flavour: WasmFlavour, shared: boolean): WebAssembly.Module | null {
  const key = `${flavour}${shared ? '-threads' : ''}`;
  if (modules.has(key)) return modules.get(key)!;
  let module: WebAssembly.Module | null = null;
  const file = wasmFile(flavour, shared);
  if (file) {
    // Node 20 ships relaxed SIMD behind a flag; it must be set before the module is compiled.
    if (flavour === 'relaxed-simd') setFlagsFromString('--experimental-wasm-relaxed-simd');
    const bytes = readFileSync(file);
    if (WebAssembly.validate(bytes)) module = new WebAssembly.Module(bytes);
  }
  modules.set(key, module);
  return module;
}

/**
 * A backend whose storage is one WebAssembly memory and whose matrix products run in WebAssembly
 * SIMD (fused multiply-adds with relaxed SIMD). Every buffer the allocator
 * hands out is a Float32Array view into that memory, so weights, activations and gradients stay
 * resident across steps; an operand from elsewhere (a mini-batch) is copied in. Create one per
 * model: its memory is freed with it (and its worker threads stopped, if it has any). Returns
 * undefined where WebAssembly SIMD or the compiled kernels are missing (use the TypeScript backend
 * then, as `createBackend` does).
 *
 * @example
 * const backend = createWasmBackend({ threads: 2 }) ?? defaultBackend;
 * const net = createNetwork({ inputSize: 784, classes: 10, hidden: [256, 128], backend });
 */
export function createWasmBackend(options: WasmBackendOptions = {}): WasmBackend | undefined {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`createWasmBackend: threads must be a positive integer, got ${threads}`);
  const shared = threads > 1;
  const flavours: WasmFlavour[] = options.flavour ? [options.flavour] : ['relaxed-simd', 'simd'];
  for (const flavour of flavours) {
    const module = compiled(flavour, shared);
    if (!module) continue;
    const pages = Math.ceil((options.memoryBytes ?? 256 * 1024 * 1024) / PAGE);
    const memory = new WebAssembly.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages });
    const instance = new WebAssembly.Instance(module, {
      env: {
        memory,
        abort: () => {
          throw new Error('rxgrad wasm kernels aborted');
        },
      },
    });
    return wasmBackend(memory, instance.exports as unknown as KernelExports, flavour, module, threads);
  }
  return undefined;
}

/** A backend on WebAssembly memory, as `createWasmBackend` makes it. */
export interface WasmBackend extends Backend {
  readonly flavour: WasmFlavour;
  /** Threads its kernels run on, this one included. */
  readonly threads: number;
  /** Stops its worker threads, if any (the kernels then run on the calling thread). */
  close(): void;
}

// Workers of a backend nobody holds any more are stopped.
const stopWhenCollected = new FinalizationRegistry<KernelThreads>((threads) => threads.close());

function wasmBackend(memory: WebAssembly.Memory, exports: KernelExports, flavour: WasmFlavour, module: WebAssembly.Module, threads: number): WasmBackend {
  const buffer = memory.buffer;
  let top = HEAP_START;
  const alloc = (length: number): Float32Array => {
    const start = top;
    const end = start + ((length * 4 + 15) & ~15);
    if (end > buffer.byteLength) {
      throw new RangeError(`wasm backend: out of memory (${buffer.byteLength} bytes); create it with a larger memoryBytes`);
    }
    top = end;
    return new Float32Array(buffer, start, length);
  };
  const allocator: Allocator = { name: `wasm-${flavour}`, alloc, bytesUsed: () => top - HEAP_START };
  const controls = Array.from({ length: threads - 1 }, () => alloc(CONTROL_BYTES / 4).byteOffset);
  const pool = threads > 1 ? new KernelThreads({ module, memory, exports, controls }) : undefined;

  /** A product kernel that splits large products by rows of A and C across the pool's threads. */
  const product = (op: 'gemm' | 'gemmTransposeB') => (a: number, b: number, c: number, m: number, k: number, n: number) => {
    if (pool && m >= 8 && 2 * m * k * n >= PARALLEL_FLOPS) pool.run(op, m, 4, (start, rows) => [a + start * k * 4, b, c + start * n * 4, rows, k, n]);
    else exports[op](a, b, c, m, k, n);
  };
  const gemm = product('gemm');
  const gemmTransposeB = product('gemmTransposeB');

  // Operands from outside the memory (a mini-batch from the JavaScript heap) are copied into
  // scratch space, kept per purpose and size, so repeated shapes allocate nothing.
  const scratch = new Map<string, Float32Array>();
  const scratchBuffer = (slot: string, length: number): Float32Array => {
    const key = `${slot}:${length}`;
    let buffer = scratch.get(key);
    if (buffer === undefined) scratch.set(key, (buffer = alloc(length)));
    return buffer;
  };
  const isResident = (array: FloatArray | Uint8Array): array is Float32Array => array.buffer === buffer && array instanceof Float32Array;
  const resident = (...arrays: FloatArray[]) => arrays.every(isResident);
  const scratchAt = (slot: string, length: number): number => scratchBuffer(slot, length).byteOffset;
  const inMemory = (array: FloatArray | Uint8Array, length: number, slot: string): number => {
    if (isResident(array)) return array.byteOffset;
    const copy = scratchBuffer(slot, length);
    copy.set(array.subarray(0, length));
    return copy.byteOffset;
  };
  const output = (array: FloatArray, length: number): [number, () => void] => {
    if (isResident(array)) return [array.byteOffset, () => undefined];
    const target = scratchBuffer('out', length);
    return [target.byteOffset, () => array.set(target)];
  };

  // A·Bᵀ runs as dot products along contiguous rows, Aᵀ·B as the same after transposing both
  // operands, A·B as broadcasts of A's values against rows of B.
  const kernels: Kernels = {
    name: `wasm-${flavour}`,
    matmul(a, b, out, m, k, n) {
      const [c, done] = output(out, m * n);
      gemm(inMemory(a, m * k, 'a'), inMemory(b, k * n, 'b'), c, m, k, n);
      done();
    },
    matmulTransposeA(a, b, out, m, k, n) {
      const [c, done] = output(out, m * n);
      const aT = scratchAt('aT', m * k);
      const bT = scratchAt('bT', n * k);
      exports.transpose(inMemory(a, k * m, 'a'), aT, k, m);
      exports.transpose(inMemory(b, k * n, 'b'), bT, k, n);
      gemmTransposeB(aT, bT, c, m, k, n);
      done();
    },
    matmulTransposeB(a, b, out, m, k, n) {
      const [c, done] = output(out, m * n);
      gemmTransposeB(inMemory(a, m * k, 'a'), inMemory(b, n * k, 'b'), c, m, k, n);
      done();
    },
    batchNormTrain(z, out, xhat, mean, variance, invStd, gamma, beta, rows, size, epsilon) {
      if (!resident(z, out, xhat, mean, variance, invStd, gamma, beta)) return false;
      exports.batchNormTrain(z.byteOffset, out.byteOffset, xhat.byteOffset, mean.byteOffset, variance.byteOffset, invStd.byteOffset, gamma.byteOffset, beta.byteOffset, rows, size, epsilon);
      return true;
    },
    batchNormBackward(dy, xhat, invStd, gamma, dx, dgamma, dbeta, rows, size) {
      if (!resident(dy, xhat, invStd, gamma, dx, dgamma, dbeta)) return false;
      exports.batchNormBackward(dy.byteOffset, xhat.byteOffset, invStd.byteOffset, gamma.byteOffset, dx.byteOffset, dgamma.byteOffset, dbeta.byteOffset, rows, size);
      return true;
    },
    standardize(x, out, mean, invStd, rows, cols) {
      if (!resident(out, mean, invStd)) return false;
      exports.standardize(inMemory(x, rows * cols, 'x'), out.byteOffset, mean.byteOffset, invStd.byteOffset, rows, cols);
      return true;
    },
    relu(x, out, n) {
      if (!resident(x, out)) return false;
      exports.relu(x.byteOffset, out.byteOffset, n);
      return true;
    },
    reluBackward(a, g, out, n) {
      if (!resident(a, g, out)) return false;
      exports.reluBackward(a.byteOffset, g.byteOffset, out.byteOffset, n);
      return true;
    },
    adamStep(w, g, m, v, h) {
      if (!resident(w, g, m, v)) return false;
      const floats = [h.learningRate, h.beta1, h.beta2, h.epsilon, h.correction1, h.correction2, h.weightDecay] as const;
      if (pool && w.length >= PARALLEL_PARAMETERS) {
        pool.run('adam', w.length, 4, (start, size) => [w.byteOffset + start * 4, g.byteOffset + start * 4, m.byteOffset + start * 4, v.byteOffset + start * 4, size], floats);
      } else {
        exports.adam(w.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, w.length, ...floats);
      }
      return true;
    },
  };
  const backend: WasmBackend = {
    allocator,
    kernels,
    flavour,
    get threads() {
      return pool?.count ?? 1;
    },
    close: () => pool?.close(),
  };
  if (pool) stopWhenCollected.register(backend, pool);
  return backend;
}

/**
 * The backend for a new model: WebAssembly SIMD where available, the TypeScript kernels otherwise
 * or when the environment variable RXGRAD_KERNELS=typescript forces them.
 *
 * @example
 * const net = createNetwork({ inputSize: 64, classes: 10, backend: createBackend() });
 */
export function createBackend(options: WasmBackendOptions = {}): Backend {
  if (process.env.RXGRAD_KERNELS === 'typescript') return defaultBackend;
  return createWasmBackend(options) ?? defaultBackend;
}
