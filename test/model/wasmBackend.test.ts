import { describe, expect, it } from 'vitest';
import { Activation } from '../../src/model/activation.js';
import { defaultBackend } from '../../src/model/backend.js';
import { BatchNorm } from '../../src/model/batchNorm.js';
import { Workspace } from '../../src/model/layer.js';
import type { FloatArray } from '../../src/model/matrix.js';
import { typescriptKernels } from '../../src/model/kernels.js';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import { createBackend, createWasmBackend, type WasmFlavour } from '../../src/model/wasmBackend.js';
import { randomArray } from '../helpers/gradcheck.js';
import { productCases } from '../helpers/products.js';

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 8],
  [5, 9, 13],
  [17, 33, 10],
  [128, 64, 10],
  [33, 784, 31],
  [64, 130, 257],
];

/**
 * The largest difference between two results of the same product, each element relative to
 * Σₚ |aᵢₚ·bₚⱼ|: the scale of the float32 rounding in a dot product, whatever the order of its sums
 * (an element that cancels to near 0 is not held to a tighter bound than its terms allow).
 */
function maxRelative(actual: Float32Array, expected: Float32Array, absoluteSums: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(absoluteSums[i]!, 1e-30));
  return worst;
}

/** Σₚ |A(i, p)·B(p, j)| for the three layouts. */
function absoluteSums(name: string, a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const x = name === 'matmulTransposeA' ? a[p * m + i]! : a[i * k + p]!;
        const y = name === 'matmulTransposeB' ? b[j * k + p]! : b[p * n + j]!;
        s += Math.abs(x * y);
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

for (const flavour of ['relaxed-simd', 'simd'] as WasmFlavour[]) {
  describe(`WebAssembly ${flavour} kernels`, () => {
    const backend = createWasmBackend({ flavour, memoryBytes: 16 * 1024 * 1024 });

    it('are available on this machine (the build ran and the engine accepts them)', () => {
      expect(backend?.kernels.name).toBe(`wasm-${flavour}`);
    });

    for (const [m, k, n] of shapes) {
      it(`agree with the TypeScript kernels to 1e-5 on ${m}×${k}×${n}, every transpose case, operands inside and outside wasm memory`, () => {
        const { allocator, kernels } = backend!;
        const inMemory = (values: Float64Array) => {
          const array = allocator.alloc(values.length);
          array.set(values);
          return array;
        };
        for (const [name, aLength, bLength] of productCases(m, k, n)) {
          const a = randomArray(aLength, `${name}a${m}`);
          const b = randomArray(bLength, `${name}b${n}`);
          const expected = new Float32Array(m * n);
          typescriptKernels[name](Float32Array.from(a), Float32Array.from(b), expected, m, k, n);
          const sums = absoluteSums(name, Float64Array.from(Float32Array.from(a)), Float64Array.from(Float32Array.from(b)), m, k, n);
          const resident = inMemory(new Float64Array(m * n).fill(7));
          kernels[name](inMemory(a), inMemory(b), resident, m, k, n);
          expect(maxRelative(resident as Float32Array, expected, sums)).toBeLessThan(1e-5);
          const outside = new Float32Array(m * n).fill(7);
          kernels[name](Float32Array.from(a), Float32Array.from(b), outside, m, k, n);
          expect(maxRelative(outside, expected, sums)).toBeLessThan(1e-5);
        }
      });
    }

    it('hands out views into one memory and refuses to overflow it', () => {
      const small = createWasmBackend({ flavour, memoryBytes: 2 * 65536 })!;
      const first = small.allocator.alloc(100);
      const second = small.allocator.alloc(100);
      expect(first.buffer).toBe(second.buffer);
      expect(second.byteOffset - first.byteOffset).toBe(400);
      expect(() => small.allocator.alloc(20_000)).toThrow(/out of memory \(131072 bytes\); create it with a larger memoryBytes/);
    });
  });
}

describe('createBackend', () => {
  it('picks WebAssembly, or the TypeScript kernels when RXGRAD_KERNELS=typescript', () => {
    const saved = process.env.RXGRAD_KERNELS;
    try {
      delete process.env.RXGRAD_KERNELS;
      expect(createBackend().kernels.name).toMatch(/^wasm-/);
      process.env.RXGRAD_KERNELS = 'typescript';
      expect(createBackend().kernels.name).toBe('typescript');
    } finally {
      if (saved === undefined) delete process.env.RXGRAD_KERNELS;
      else process.env.RXGRAD_KERNELS = saved;
    }
  });
});

describe('Adam on the WebAssembly backend', () => {
  it('takes the same 20 steps as the TypeScript Adam, with weight decay, to 1e-5 of the distance it can move', () => {
    const backend = createWasmBackend({ memoryBytes: 4 * 1024 * 1024 })!;
    const n = 1031;
    const initial = randomArray(n, 'adam-w');
    const make = (storage: Parameters<typeof createOptimizer>[1]) => {
      const value = storage && 'kernels' in storage ? storage.allocator.alloc(n) : new Float32Array(n);
      const grad = storage && 'kernels' in storage ? storage.allocator.alloc(n) : new Float32Array(n);
      value.set(initial);
      return { param: { name: 'w', shape: [n], value, grad, decay: true }, optimizer: createOptimizer({ type: 'adam', learningRate: 0.01, weightDecay: 0.1 }, storage) };
    };
    const wasm = make(backend);
    const ts = make(undefined);
    for (let t = 0; t < 20; t++) {
      const g = randomArray(n, `adam-g${t}`);
      wasm.param.grad.set(g);
      ts.param.grad.set(g);
      wasm.optimizer.step([wasm.param], 0.01);
      ts.optimizer.step([ts.param], 0.01);
    }
    // Adam moves a weight by at most about α a step; float32 arithmetic here against float64 there
    // differs by round-off of that: compared to the 20·α the weights could have moved.
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(wasm.param.value[i]! - ts.param.value[i]!) / (20 * 0.01));
    expect(worst).toBeLessThan(1e-5);
    expect(Array.from(wasm.param.value)).not.toEqual(Array.from(initial).map(Math.fround));
  });
});

describe('batch norm and ReLU on the WebAssembly backend', () => {
  const backend = createWasmBackend({ memoryBytes: 8 * 1024 * 1024 })!;
  const resident = (values: ArrayLike<number>) => {
    const array = backend.allocator.alloc(values.length);
    array.set(values);
    return array;
  };
  const worst = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let scale = 0;
    for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
    let w = 0;
    for (let i = 0; i < b.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-3 * scale));
    return w;
  };

  for (const [rows, size] of [[2, 3], [7, 5], [128, 9], [5, 37], [64, 20], [128, 256]] as const) {
    // The kernel sums over the batch in float32 where the TypeScript layer sums in float64: 1e-4.
    it(`BatchNorm ${rows}×${size}: training forward, backward and running statistics match the TypeScript layer to 1e-4`, () => {
      const layers = [new BatchNorm({ size, runningVariance: 'unbiased' }, backend), new BatchNorm({ size, runningVariance: 'unbiased' }, defaultBackend)];
      const x = randomArray(rows * size, `bnx${rows}`, 3);
      const dy = randomArray(rows * size, `bndy${rows}`);
      const gamma = randomArray(size, 'bng', 1).map((v) => v + 1.5);
      const results = layers.map((layer, which) => {
        layer.gamma.value.set(gamma);
        const ctx = { mode: 'train' as const, workspace: new Workspace(which === 0 ? backend.allocator : defaultBackend.allocator) };
        const input = which === 0 ? resident(x) : Float32Array.from(x);
        const out = Float32Array.from(layer.forward({ rows, cols: size, data: input }, ctx).data);
        const gradient = which === 0 ? resident(dy) : Float32Array.from(dy);
        const dx = Float32Array.from(layer.backward({ rows, cols: size, data: gradient }, ctx)!.data);
        return { out, dx, dgamma: Float32Array.from(layer.gamma.grad), dbeta: Float32Array.from(layer.beta.grad), mean: Float32Array.from(layer.runningMean), variance: Float32Array.from(layer.runningVar) };
      });
      const [wasm, ts] = results as [(typeof results)[0], (typeof results)[0]];
      for (const key of ['out', 'dgamma', 'dbeta', 'mean', 'variance'] as const) expect(worst(wasm[key], ts[key]), key).toBeLessThan(1e-4);
      // With two rows dx is round-off-sized: compare it on the scale of the output gradient instead.
      expect(worst(wasm.dx, ts.dx), 'dx').toBeLessThan(rows === 2 ? 1e-2 : 1e-4);
    });
  }

  it('ReLU forward and backward equal the TypeScript ones exactly, and pass NaN on', () => {
    const wasmRelu = new Activation({ size: 6, fn: 'relu' }, backend.kernels);
    const tsRelu = new Activation({ size: 6, fn: 'relu' });
    const x = [-2, 0, 3, Number.NaN, -0.5, 1e-30, 7, -7, 2, 0.25, -1, 5];
    const g = x.map((_, i) => i - 5);
    const run = (layer: Activation, alloc: (n: number) => FloatArray) => {
      const ctx = { mode: 'train' as const, workspace: new Workspace({ name: 'test', alloc }) };
      const input = alloc(12);
      input.set(x);
      const out = Array.from(layer.forward({ rows: 2, cols: 6, data: input }, ctx).data);
      const grad = alloc(12);
      grad.set(g);
      return { out, dx: Array.from(layer.backward({ rows: 2, cols: 6, data: grad }, ctx)!.data) };
    };
    const wasm = run(wasmRelu, backend.allocator.alloc);
    expect(wasm).toEqual(run(tsRelu, (n) => new Float32Array(n)));
    expect(wasm.out[3]).toBeNaN();
  });
});
