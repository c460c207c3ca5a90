import { Worker } from 'node:worker_threads';
import { workerScript } from '../workerScript.js';

/** The functions exported by the compiled kernels (arguments are byte addresses and sizes). */
export interface KernelExports {
  standardize(x: number, out: number, mean: number, invStd: number, rows: number, cols: number): void;
  /** `relu` 1 applies ReLU to the output. */
  batchNormTrain(
    z: number,
    out: number,
    xhat: number,
    mean: number,
    variance: number,
    invStd: number,
    gamma: number,
    beta: number,
    rows: number,
    size: number,
    epsilon: number,
    relu: number,
  ): void;
  /** `a`, when not 0, is the address of a following ReLU's output: dy is masked by a > 0. */
  batchNormBackward(
    dy: number,
    xhat: number,
    invStd: number,
    gamma: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    size: number,
    a: number,
  ): void;
  relu(x: number, out: number, n: number): void;
  reluBackward(a: number, g: number, out: number, n: number): void;
  adam(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    c1: number,
    c2: number,
    wd: number,
  ): void;
  /** Adam over the tensors of a table (see assembly/kernels.ts), elements [start, start + size) of their line. */
  adamTensors(
    table: number,
    count: number,
    start: number,
    size: number,
    lr: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    c1: number,
    c2: number,
  ): void;
  gemmTransposeB(a: number, b: number, c: number, m: number, k: number, n: number): void;
  gemm(a: number, b: number, c: number, m: number, k: number, n: number): void;
  /** C = Aᵀ·B for A (k × stride, of which m columns are used) and B (k×n); `panel` is `panelBytes()` of the thread's own scratch memory. */
  gemmTransposeA(a: number, b: number, c: number, m: number, k: number, n: number, stride: number, panel: number): void;
  /** Bytes of the scratch panel `gemmTransposeA` needs. */
  panelBytes(): number;
}

/** The kernels a share of the work can go to another thread for. */
export type SharedOp = 'gemmTransposeB' | 'gemm' | 'gemmTransposeA' | 'adam' | 'adamTensors';
const OPS: readonly SharedOp[] = ['gemmTransposeB', 'gemm', 'gemmTransposeA', 'adam', 'adamTensors'];

// One control block per worker, in the shared memory: Int32 slots, with Float32 arguments after the
// integer ones.
const SEQUENCE = 0;
const DONE = 1;
const OP = 2;
const FAILED = 3;
const INTS = 4;
const MAX_INTS = 8;
const FLOATS = INTS + MAX_INTS;
const MAX_FLOATS = 7;
/** Bytes of one control block. */
export const CONTROL_BYTES = 4 * (FLOATS + MAX_FLOATS);

/** Runs `op` on these arguments: the one dispatch shared by the calling thread and the workers. */
export function runOp(exports: KernelExports, op: SharedOp, ints: ArrayLike<number>, floats: ArrayLike<number>): void {
  if (op === 'adam') {
    exports.adam(
      ints[0]!,
      ints[1]!,
      ints[2]!,
      ints[3]!,
      ints[4]!,
      floats[0]!,
      floats[1]!,
      floats[2]!,
      floats[3]!,
      floats[4]!,
      floats[5]!,
      floats[6]!,
    );
  } else if (op === 'gemmTransposeA') {
    exports.gemmTransposeA(ints[0]!, ints[1]!, ints[2]!, ints[3]!, ints[4]!, ints[5]!, ints[6]!, ints[7]!);
  } else if (op === 'adamTensors') {
    exports.adamTensors(ints[0]!, ints[1]!, ints[2]!, ints[3]!, floats[0]!, floats[1]!, floats[2]!, floats[3]!, floats[4]!, floats[5]!);
  } else {
    exports[op](ints[0]!, ints[1]!, ints[2]!, ints[3]!, ints[4]!, ints[5]!);
  }
}

/**
 * Serves one control block forever, on a worker thread: waits for a new sequence number, runs the
 * kernel it names on the shared memory, publishes the number as done. It spins a while before
 * sleeping, since the next request usually follows within a fraction of a millisecond and a wake
 * from sleep costs tens of microseconds.
 */
export function serveKernels(exports: KernelExports, memory: WebAssembly.Memory, control: number, spinMilliseconds: number): never {
  const slots = new Int32Array(memory.buffer, control, CONTROL_BYTES / 4);
  const floats = new Float32Array(memory.buffer, control, CONTROL_BYTES / 4);
  let seen = Atomics.load(slots, DONE);
  for (;;) {
    const spinUntil = performance.now() + spinMilliseconds;
    for (let spins = 1; Atomics.load(slots, SEQUENCE) === seen; spins++) {
      if ((spins & 1023) === 0 && performance.now() > spinUntil) Atomics.wait(slots, SEQUENCE, seen);
    }
    seen = Atomics.load(slots, SEQUENCE);
    try {
      runOp(exports, OPS[slots[OP]!]!, slots.subarray(INTS, INTS + MAX_INTS), floats.subarray(FLOATS, FLOATS + MAX_FLOATS));
    } catch {
      slots[FAILED] = 1;
    }
    Atomics.store(slots, DONE, seen);
    Atomics.notify(slots, DONE);
  }
}

/** Options of `KernelThreads`. */
/** What a kernel worker thread starts with (its `workerData`): the kernels' module, the shared memory, and its control block. */
export interface KernelWorkerData {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Byte offset of the worker's control block in `memory`. */
  readonly control: number;
  readonly spinMilliseconds: number;
}

export interface KernelThreadsOptions {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly exports: KernelExports;
  /** Byte offsets of one control block (CONTROL_BYTES) per worker, inside `memory`. */
  readonly controls: readonly number[];
  /** How long a worker spins for the next request before it sleeps. Default 2 ms. */
  readonly spinMilliseconds?: number;
}

/**
 * Worker threads that take shares of a kernel's rows over one shared WebAssembly memory. The
 * calling thread runs the first share itself, then waits for the others (spinning first, then
 * sleeping), so a call returns with all the work done. Shares start at multiples of a grain (4
 * rows, the kernels' tile height), so every element is computed by the same instructions as on one
 * thread: results are bit for bit the same whatever the thread count.
 *
 * @example
 * // C (128×256) = A (128×784) · Bᵀ at byte offsets a, b and c of the shared memory, 4 rows a share:
 * const [a, b, c, k, n] = [0, 401_408, 1_204_224, 784, 256];
 * threads.run('gemmTransposeB', 128, 4, (start, rows) => [a + start * k * 4, b, c + start * n * 4, rows, k, n]);
 */
export class KernelThreads {
  private readonly workers: Worker[];
  private readonly slots: Int32Array[];
  private readonly floats: Float32Array[];
  private readonly exports: KernelExports;
  private sequence = 0;

  constructor(options: KernelThreadsOptions) {
    const { module, memory, exports, controls, spinMilliseconds = 2 } = options;
    this.exports = exports;
    this.slots = controls.map((at) => new Int32Array(memory.buffer, at, CONTROL_BYTES / 4));
    this.floats = controls.map((at) => new Float32Array(memory.buffer, at, CONTROL_BYTES / 4));
    this.workers = controls.map((control) => {
      const workerData: KernelWorkerData = { module, memory, control, spinMilliseconds };
      const worker = new Worker(workerScript('kernelWorker.js', import.meta.url), { workerData });
      // A worker blocked in Atomics.wait must not keep the process alive.
      worker.unref();
      return worker;
    });
  }

  /** Threads in all, this one included. */
  get count(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs `op` over `total` rows (or elements) split into one share per thread; `args(start, size,
   * thread)` gives the integer arguments of a share (`thread` 0 is the calling thread, the workers
   * 1 and up, for kernels that need scratch memory of their own), `floats` the float arguments common to all.
   */
  run(
    op: SharedOp,
    total: number,
    grain: number,
    args: (start: number, size: number, thread: number) => readonly number[],
    floats: readonly number[] = [],
  ): void {
    const share = Math.ceil(total / this.count / grain) * grain;
    const sequence = ++this.sequence;
    const posted: number[] = [];
    this.workers.forEach((_, w) => {
      const start = share * (w + 1);
      const size = Math.min(share, total - start);
      if (size <= 0) return;
      const slots = this.slots[w]!;
      slots[OP] = OPS.indexOf(op);
      slots[FAILED] = 0;
      slots.set(args(start, size, w + 1), INTS);
      this.floats[w]!.set(floats, FLOATS);
      Atomics.store(slots, SEQUENCE, sequence);
      Atomics.notify(slots, SEQUENCE);
      posted.push(w);
    });
    runOp(this.exports, op, args(0, Math.min(share, total), 0), floats);
    for (const w of posted) this.await(w, sequence);
  }

  private await(w: number, sequence: number): void {
    const slots = this.slots[w]!;
    const deadline = performance.now() + 60_000;
    for (let spins = 1; Atomics.load(slots, DONE) !== sequence; spins++) {
      if (spins < 100_000) continue;
      Atomics.wait(slots, DONE, Atomics.load(slots, DONE), 50);
      if (performance.now() > deadline) throw new Error(`rxgrad kernel thread ${w + 1} did not answer within 60 s`);
    }
    if (slots[FAILED]) throw new Error(`rxgrad kernel thread ${w + 1} failed running a kernel`);
  }

  /** Stops the workers; the kernels then run on the calling thread alone. */
  close(): void {
    for (const worker of this.workers) void worker.terminate();
    this.workers.length = 0;
  }
}
