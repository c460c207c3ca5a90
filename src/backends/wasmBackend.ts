import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import type { Backend } from '../model/backend.js';
import { ewaUpdate } from '../model/ewa.js';
import type { Allocator, FloatArray } from '../model/matrix.js';
import { typescriptBackend } from '../model/typescriptBackend.js';
import { CONTROL_BYTES, type KernelExports, KernelThreads } from './kernelThreads.js';

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
/** 32-bit words of one tensor in adamTensors' table: w, g, m, v, length, weight decay. */
const ADAM_ENTRY_WORDS = 6;

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
 * A backend whose storage is one WebAssembly memory and whose products, batch norm, ReLU, Adam
 * and standardize run in WebAssembly SIMD (fused multiply-adds with relaxed SIMD); its other ops
 * are the TypeScript ones, run on the same memory. Every buffer the allocator hands out is a
 * Float32Array view into that memory, so weights, activations and gradients stay resident across
 * steps; an operand from elsewhere (a mini-batch) is copied in, and an output from elsewhere
 * copied back. Create one per model: its memory is freed with it (and its worker threads stopped,
 * if it has any). Returns undefined where WebAssembly SIMD or the compiled kernels are missing
 * (use the TypeScript backend then, as `createBackend` does).
 *
 * @example
 * const backend = createWasmBackend({ threads: 2 }) ?? typescriptBackend;
 * const net = createNetwork({ inputSize: 784, classes: 10, hidden: [256, 128], backend });
 */
export function createWasmBackend(options: WasmBackendOptions = {}): WasmBackend | undefined {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`createWasmBackend: threads must be a positive integer, got ${threads}`);
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
}

// Workers of a backend nobody holds any more are stopped.
const stopWhenCollected = new FinalizationRegistry<KernelThreads>((threads) => threads.close());

function wasmBackend(
  memory: WebAssembly.Memory,
  exports: KernelExports,
  flavour: WasmFlavour,
  module: WebAssembly.Module,
  threads: number,
): WasmBackend {
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
    if (pool && m >= 8 && 2 * m * k * n >= PARALLEL_FLOPS)
      pool.run(op, m, 4, (start, rows) => [a + start * k * 4, b, c + start * n * 4, rows, k, n]);
    else exports[op](a, b, c, m, k, n);
  };
  const gemm = product('gemm');
  const gemmTransposeB = product('gemmTransposeB');
  /** Aᵀ·B split by rows of C, which are columns of A: a share starts `start` columns into A's rows. */
  const panels = Array.from({ length: threads }, () => alloc(exports.panelBytes() / 4).byteOffset);
  const gemmTransposeA = (a: number, b: number, c: number, m: number, k: number, n: number) => {
    if (pool && m >= 8 && 2 * m * k * n >= PARALLEL_FLOPS)
      pool.run('gemmTransposeA', m, 4, (start, rows, thread) => [a + start * 4, b, c + start * n * 4, rows, k, n, m, panels[thread]!]);
    else exports.gemmTransposeA(a, b, c, m, k, n, m, panels[0]!);
  };

  // Operands from outside the memory (a mini-batch from the JavaScript heap) are copied into
  // scratch space, kept per purpose and size, so repeated shapes allocate nothing; outputs from
  // outside are computed in scratch space and copied back.
  const scratch = new Map<string, Float32Array>();
  const scratchBuffer = (slot: string, length: number): Float32Array => {
    const key = `${slot}:${length}`;
    let buffer = scratch.get(key);
    if (buffer === undefined) scratch.set(key, (buffer = alloc(length)));
    return buffer;
  };
  const isResident = (array: FloatArray | Uint8Array): array is Float32Array => array.buffer === buffer && array instanceof Float32Array;
  /** The address of an input operand. */
  const input = (array: FloatArray | Uint8Array, length: number, slot: string): number => {
    if (isResident(array)) return array.byteOffset;
    const copy = scratchBuffer(slot, length);
    copy.set(array.subarray(0, length));
    return copy.byteOffset;
  };
  const copyBacks: (() => void)[] = [];
  /** The address of an output (or, with `read`, an in-place) operand; `done()` copies outside ones back. */
  const output = (array: FloatArray, length: number, slot: string, read = false): number => {
    if (isResident(array)) return array.byteOffset;
    const target = scratchBuffer(slot, length);
    if (read) target.set(array.subarray(0, length));
    copyBacks.push(() => array.set(target.subarray(0, length)));
    return target.byteOffset;
  };
  const done = () => {
    for (const copyBack of copyBacks) copyBack();
    copyBacks.length = 0;
  };
  const bnMean = (size: number) => scratchBuffer('bnMean', size);
  const bnVariance = (size: number) => scratchBuffer('bnVariance', size);

  /** Batch norm in training, with ReLU applied to the output when `relu` is 1. */
  const batchNormTrainKernel = (
    z: FloatArray,
    out: FloatArray,
    xhat: FloatArray,
    invStd: FloatArray,
    gamma: FloatArray,
    beta: FloatArray,
    runningMean: FloatArray,
    runningVar: FloatArray,
    rows: number,
    size: number,
    epsilon: number,
    momentum: number,
    unbiased: boolean,
    relu: number,
  ) => {
    const mean = bnMean(size);
    const variance = bnVariance(size);
    exports.batchNormTrain(
      input(z, rows * size, 'z'),
      output(out, rows * size, 'out'),
      output(xhat, rows * size, 'xhat'),
      mean.byteOffset,
      variance.byteOffset,
      output(invStd, size, 'invStd'),
      input(gamma, size, 'gamma'),
      input(beta, size, 'beta'),
      rows,
      size,
      epsilon,
      relu,
    );
    done();
    // The running averages are a few hundred values a step: not worth a kernel.
    for (let j = 0; j < size; j++) {
      runningMean[j] = ewaUpdate(runningMean[j]!, mean[j]!, momentum);
      runningVar[j] = ewaUpdate(runningVar[j]!, unbiased ? (variance[j]! * rows) / (rows - 1) : variance[j]!, momentum);
    }
  };

  /** adamSteps' table of tensors in the memory (ADAM_ENTRY_WORDS words each), kept per count. */
  const adamTables = new Map<number, { at: number; ints: Int32Array; floats: Float32Array }>();
  const adamTable = (count: number) => {
    let table = adamTables.get(count);
    if (!table) {
      const floats = scratchBuffer('adamTable', count * ADAM_ENTRY_WORDS);
      table = { at: floats.byteOffset, ints: new Int32Array(buffer, floats.byteOffset, floats.length), floats };
      adamTables.set(count, table);
    }
    return table;
  };

  // A·Bᵀ runs as dot products along contiguous rows; A·B and Aᵀ·B as broadcasts of A's values
  // against rows of B.
  const backend: WasmBackend = {
    ...typescriptBackend,
    name: `wasm-${flavour}`,
    allocator,
    flavour,
    get threads() {
      return pool?.count ?? 1;
    },
    matmul(a, b, out, m, k, n) {
      gemm(input(a, m * k, 'a'), input(b, k * n, 'b'), output(out, m * n, 'out'), m, k, n);
      done();
    },
    matmulTransposeA(a, b, out, m, k, n) {
      gemmTransposeA(input(a, k * m, 'a'), input(b, k * n, 'b'), output(out, m * n, 'out'), m, k, n);
      done();
    },
    matmulTransposeB(a, b, out, m, k, n) {
      gemmTransposeB(input(a, m * k, 'a'), input(b, n * k, 'b'), output(out, m * n, 'out'), m, k, n);
      done();
    },
    batchNormTrain(z, out, xhat, invStd, gamma, beta, runningMean, runningVar, rows, size, epsilon, momentum, unbiased) {
      batchNormTrainKernel(z, out, xhat, invStd, gamma, beta, runningMean, runningVar, rows, size, epsilon, momentum, unbiased, 0);
    },
    batchNormReluTrain(z, out, xhat, invStd, gamma, beta, runningMean, runningVar, rows, size, epsilon, momentum, unbiased) {
      batchNormTrainKernel(z, out, xhat, invStd, gamma, beta, runningMean, runningVar, rows, size, epsilon, momentum, unbiased, 1);
    },
    batchNormBackward(dy, xhat, invStd, gamma, dx, dgamma, dbeta, rows, size) {
      exports.batchNormBackward(
        input(dy, rows * size, 'dy'),
        input(xhat, rows * size, 'xhat'),
        input(invStd, size, 'invStd'),
        input(gamma, size, 'gamma'),
        output(dx, rows * size, 'dx'),
        output(dgamma, size, 'dgamma'),
        output(dbeta, size, 'dbeta'),
        rows,
        size,
        0,
      );
      done();
    },
    batchNormReluBackward(da, a, xhat, invStd, gamma, dx, dgamma, dbeta, rows, size) {
      exports.batchNormBackward(
        input(da, rows * size, 'dy'),
        input(xhat, rows * size, 'xhat'),
        input(invStd, size, 'invStd'),
        input(gamma, size, 'gamma'),
        output(dx, rows * size, 'dx'),
        output(dgamma, size, 'dgamma'),
        output(dbeta, size, 'dbeta'),
        rows,
        size,
        input(a, rows * size, 'a'),
      );
      done();
    },
    standardize(x, out, mean, invStd, rows, cols) {
      exports.standardize(
        input(x, rows * cols, 'x'),
        output(out, rows * cols, 'out'),
        input(mean, cols, 'mean'),
        input(invStd, cols, 'invStd'),
        rows,
        cols,
      );
      done();
    },
    activation(fn, x, out, n) {
      if (fn !== 'relu') return typescriptBackend.activation(fn, x, out, n);
      exports.relu(input(x, n, 'x'), output(out, n, 'out'), n);
      done();
    },
    activationBackward(fn, a, g, out, n) {
      if (fn !== 'relu') return typescriptBackend.activationBackward(fn, a, g, out, n);
      exports.reluBackward(input(a, n, 'a'), input(g, n, 'g'), output(out, n, 'out'), n);
      done();
    },
    adamStep(w, g, m, v, h) {
      const n = w.length;
      const [wAt, gAt, mAt, vAt] = [output(w, n, 'w', true), input(g, n, 'g'), output(m, n, 'm', true), output(v, n, 'v', true)];
      const floats = [h.learningRate, h.beta1, h.beta2, h.epsilon, h.correction1, h.correction2, h.weightDecay] as const;
      if (pool && n >= PARALLEL_PARAMETERS) {
        pool.run('adam', n, 4, (start, size) => [wAt + start * 4, gAt + start * 4, mAt + start * 4, vAt + start * 4, size], floats);
      } else {
        exports.adam(wAt, gAt, mAt, vAt, n, ...floats);
      }
      done();
    },
    adamSteps(tensors, h) {
      if (!tensors.every(({ w, g, m, v }) => isResident(w) && isResident(g) && isResident(m) && isResident(v))) {
        for (const { w, g, m, v, weightDecay } of tensors) backend.adamStep(w, g, m, v, { ...h, weightDecay });
        return;
      }
      const count = tensors.length;
      const table = adamTable(count);
      const { ints, floats: words } = table;
      let line = 0;
      for (let t = 0; t < count; t++) {
        const { w, g, m, v, weightDecay } = tensors[t]!;
        const at = t * ADAM_ENTRY_WORDS;
        ints[at] = w.byteOffset;
        ints[at + 1] = g.byteOffset;
        ints[at + 2] = m.byteOffset;
        ints[at + 3] = v.byteOffset;
        ints[at + 4] = w.length;
        words[at + 5] = weightDecay;
        line += (w.length + 3) & ~3;
      }
      const floats = pool ? [h.learningRate, h.beta1, h.beta2, h.epsilon, h.correction1, h.correction2] : [];
      if (pool && line >= PARALLEL_PARAMETERS) {
        pool.run('adamTensors', line, 4, (start, size) => [table.at, count, start, size], floats);
      } else {
        exports.adamTensors(table.at, count, 0, line, h.learningRate, h.beta1, h.beta2, h.epsilon, h.correction1, h.correction2);
      }
    },
    close: () => pool?.close(),
  };
  if (pool) stopWhenCollected.register(backend, pool);
  return backend;
}
