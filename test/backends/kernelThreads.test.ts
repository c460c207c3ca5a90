import { afterAll, describe, expect, it } from 'vitest';
import { createWasmBackend, type WasmBackend } from '../../src/backends/wasmBackend.js';
import { createNetwork } from '../../src/model/network.js';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import { softmaxCrossEntropy } from '../../src/model/softmaxCrossEntropy.js';
import { randomArray } from '../helpers/gradcheck.js';
import { productCases } from '../helpers/products.js';

/** Where two arrays first differ (−1 if nowhere): a failure names one element instead of diffing 100k. */
function firstDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Math.min(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) if (!Object.is(actual[i], expected[i])) return i;
  return -1;
}

describe('kernels split across threads', () => {
  const backends: WasmBackend[] = [];
  const backend = (threads: number) => {
    const made = createWasmBackend({ threads, memoryBytes: 32 * 1024 * 1024 })!;
    backends.push(made);
    return made;
  };
  afterAll(() => backends.forEach((b) => b.close()));

  it('reports its thread count and refuses a bad one', () => {
    expect(backend(1).threads).toBe(1);
    expect(backend(3).threads).toBe(3);
    expect(() => createWasmBackend({ threads: 0 })).toThrow(/threads must be a positive integer, got 0/);
  });

  // Row counts that are not multiples of the threads × 4-row tiles, and large enough to be split.
  for (const [threads, m, k, n] of [
    [2, 37, 300, 100],
    [2, 128, 784, 256],
    [3, 61, 130, 257],
  ] as const) {
    it(`${threads} threads compute ${m}×${k}×${n} bit for bit as one thread does, in all three transpose cases`, () => {
      const one = backend(1);
      const many = backend(threads);
      for (const [name, aLength, bLength] of productCases(m, k, n)) {
        const [a1, b1, c1] = [one.allocator.alloc(aLength), one.allocator.alloc(bLength), one.allocator.alloc(m * n)];
        const [a2, b2, c2] = [many.allocator.alloc(aLength), many.allocator.alloc(bLength), many.allocator.alloc(m * n)];
        a1.set(randomArray(aLength, `${name}a`));
        a2.set(a1);
        b1.set(randomArray(bLength, `${name}b`));
        b2.set(b1);
        one[name](a1, b1, c1, m, k, n);
        many[name](a2, b2, c2, m, k, n);
        expect(firstDifference(c2, c1), name).toBe(-1);
        expect(c1.some((v) => v !== 0)).toBe(true);
      }
    });
  }

  it('trains a network with Adam bit for bit as one thread does, and still does after close(); with dropout too', async () => {
    const train = async (threads: number, closeFirst = false, dropout = 0) => {
      const made = backend(threads);
      if (closeFirst) made.close();
      const network = createNetwork({ inputSize: 300, classes: 10, hidden: [256, 128], seed: 4, dropout, backend: made });
      const optimizer = createOptimizer({ type: 'adam', learningRate: 1e-3 }, made);
      const workspace = network.acquireWorkspace();
      const x = made.allocator.alloc(64 * 300);
      x.set(randomArray(64 * 300, 'threads-x'));
      const labels = Int32Array.from({ length: 64 }, (_, i) => (i * 7) % 10);
      const probabilities = new Float32Array(64 * 10);
      const dLogits = made.allocator.alloc(64 * 10);
      for (let step = 0; step < 5; step++) {
        const ctx = { mode: 'train' as const, workspace, key: { seed: 4, epoch: 1, batch: step } };
        softmaxCrossEntropy(network.forward({ rows: 64, cols: 300, data: x }, ctx), labels, probabilities, dLogits);
        network.backward({ rows: 64, cols: 10, data: dLogits }, ctx);
        optimizer.step(network.params, 1e-3);
      }
      return Float32Array.from(network.params.flatMap((p) => Array.from(p.value)));
    };
    const single = await train(1);
    expect(firstDifference(await train(2), single)).toBe(-1);
    expect(firstDifference(await train(2, true), single)).toBe(-1);
    const dropped = await train(1, false, 0.3);
    expect(firstDifference(dropped, single)).not.toBe(-1);
    expect(firstDifference(await train(2, false, 0.3), dropped)).toBe(-1);
  });
});
