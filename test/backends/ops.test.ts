// The oracle test of every backend op: each backend, on operands in its own memory and (for the
// WebAssembly ones) outside it, against the float64 TypeScript backend on the same inputs.
import { afterAll, describe, expect, it } from 'vitest';
import { createWasmBackend } from '../../src/backends/wasmBackend.js';
import type { AdamHyper, Backend } from '../../src/model/backend.js';
import type { ActivationName } from '../../src/model/layer.js';
import type { FloatArray } from '../../src/model/matrix.js';
import { float64Backend, typescriptBackend } from '../../src/model/typescriptBackend.js';
import { randomArray } from '../helpers/gradcheck.js';
import { productCases } from '../helpers/products.js';

const wasm = (name: string, options: Parameters<typeof createWasmBackend>[0]) => {
  const made = createWasmBackend({ memoryBytes: 64 * 1024 * 1024, ...options });
  if (!made) throw new Error(`${name}: the WebAssembly kernels are not available (run npm run build:wasm)`);
  return made;
};
const backends: [string, Backend][] = [
  ['typescript float32', typescriptBackend],
  ['typescript float64', float64Backend],
  ['wasm simd', wasm('simd', { flavour: 'simd' })],
  ['wasm relaxed-simd', wasm('relaxed', { flavour: 'relaxed-simd' })],
  ['wasm 2 threads', wasm('threads', { threads: 2 })],
];
afterAll(() => backends.forEach(([, b]) => b.close()));

/** Where the operands live: the backend's own memory, or a plain array beside it. */
type Place = 'resident' | 'outside';

/** Operand factory of one backend and place: copies of the values in that backend's float type. */
function operands(backend: Backend, place: Place) {
  const float64 = backend.allocator.alloc(1) instanceof Float64Array;
  return (values: ArrayLike<number>): FloatArray => {
    const array =
      place === 'resident'
        ? backend.allocator.alloc(values.length)
        : float64
          ? new Float64Array(values.length)
          : new Float32Array(values.length);
    array.set(values);
    return array;
  };
}

/** The same values as float64, rounded through float32 first so every backend sees the same inputs. */
const exact = (values: ArrayLike<number>) => Float64Array.from(Float32Array.from(values));

/** Largest |a − b| relative to max(|b|, floor·max|b|): a small floor keeps near-zero elements honest. */
function worst(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-3): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let w = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    w = Math.max(w, Number.isNaN(d) ? Infinity : d / Math.max(Math.abs(expected[i]!), floor * scale, 1e-30));
  }
  return w;
}

for (const [name, backend] of backends) {
  const places: Place[] = name.startsWith('wasm') ? ['resident', 'outside'] : ['resident'];
  for (const place of places) {
    describe(`${name} backend, operands ${place}`, () => {
      const make = operands(backend, place);
      const tolerance = name === 'typescript float64' ? 1e-12 : 1e-5;

      for (const [m, k, n] of [
        [1, 1, 1],
        [5, 9, 13],
        [17, 33, 10],
        [37, 300, 100],
        [128, 784, 256],
        [61, 130, 257],
        [102, 600, 70],
      ] as const) {
        it(`matmul, matmulTransposeA and matmulTransposeB on ${m}×${k}×${n} (to ${tolerance} of Σ|a·b|)`, () => {
          for (const [op, aLength, bLength] of productCases(m, k, n)) {
            const a = exact(randomArray(aLength, `${op}a${m}`));
            const b = exact(randomArray(bLength, `${op}b${n}`));
            const expected = new Float64Array(m * n);
            float64Backend[op](a, b, expected, m, k, n);
            const sums = new Float64Array(m * n);
            float64Backend[op](a.map(Math.abs), b.map(Math.abs), sums, m, k, n);
            const out = make(new Float64Array(m * n).fill(7));
            backend[op](make(a), make(b), out, m, k, n);
            let w = 0;
            for (let i = 0; i < expected.length; i++) w = Math.max(w, Math.abs(out[i]! - expected[i]!) / Math.max(sums[i]!, 1e-30));
            expect(w, op).toBeLessThan(tolerance);
          }
        });
      }

      it('addBias and sumRows', () => {
        const [rows, cols] = [7, 13];
        const x = exact(randomArray(rows * cols, 'bias-x'));
        const bias = exact(randomArray(cols, 'bias-b'));
        const expected = Float64Array.from(x);
        float64Backend.addBias(expected, bias, rows, cols);
        const out = make(x);
        backend.addBias(out, make(bias), rows, cols);
        expect(worst(out, expected)).toBeLessThan(tolerance);
        const sums = new Float64Array(cols);
        float64Backend.sumRows(x, sums, rows, cols);
        const actual = make(new Float64Array(cols).fill(9));
        backend.sumRows(make(x), actual, rows, cols);
        expect(worst(actual, sums)).toBeLessThan(tolerance);
      });

      for (const [rows, size] of [
        [7, 5],
        [128, 9],
        [5, 37],
        [64, 20],
        [128, 256],
      ] as const) {
        it(`batch norm with ReLU in one pass, ${rows}×${size}: the same values as batch norm, then ReLU`, () => {
          const z = exact(randomArray(rows * size, `fz${rows}`, 3));
          const gamma = exact(randomArray(size, 'fg', 1).map((v) => v + 1.5));
          // Shifted down, so that about half the outputs are cut to 0.
          const beta = exact(randomArray(size, 'fb').map((v) => v - 0.3));
          const da = exact(randomArray(rows * size, `fda${rows}`));
          const state = () =>
            [
              make(new Float64Array(rows * size)),
              make(new Float64Array(rows * size)),
              make(new Float64Array(size)),
              make(new Float64Array(size)),
              make(new Float64Array(size).fill(1)),
            ] as const;
          const grads = () => [make(new Float64Array(rows * size)), make(new Float64Array(size)), make(new Float64Array(size))] as const;
          const g = make(gamma);

          const [out, xhat, invStd, mean, variance] = state();
          backend.batchNormTrain(make(z), out, xhat, invStd, g, make(beta), mean, variance, rows, size, 1e-5, 0.9, false);
          const a = make(new Float64Array(rows * size));
          backend.activation('relu', out, a, rows * size);
          const masked = make(new Float64Array(rows * size));
          backend.activationBackward('relu', a, make(da), masked, rows * size);
          const [dx, dgamma, dbeta] = grads();
          backend.batchNormBackward(masked, xhat, invStd, g, dx, dgamma, dbeta, rows, size);

          const [fusedA, fusedXhat, fusedInvStd, fusedMean, fusedVariance] = state();
          backend.batchNormReluTrain(
            make(z),
            fusedA,
            fusedXhat,
            fusedInvStd,
            g,
            make(beta),
            fusedMean,
            fusedVariance,
            rows,
            size,
            1e-5,
            0.9,
            false,
          );
          const [fusedDx, fusedDgamma, fusedDbeta] = grads();
          backend.batchNormReluBackward(make(da), fusedA, fusedXhat, fusedInvStd, g, fusedDx, fusedDgamma, fusedDbeta, rows, size);

          const cut = Array.from(a).filter((v) => v === 0).length / (rows * size);
          expect(cut).toBeGreaterThan(0.2);
          expect(cut).toBeLessThan(0.8);
          for (const [key, fused, separate] of [
            ['a', fusedA, a],
            ['xhat', fusedXhat, xhat],
            ['invStd', fusedInvStd, invStd],
            ['mean', fusedMean, mean],
            ['variance', fusedVariance, variance],
            ['dx', fusedDx, dx],
            ['dgamma', fusedDgamma, dgamma],
            ['dbeta', fusedDbeta, dbeta],
          ] as const) {
            expect(Array.from(fused), key).toEqual(Array.from(separate));
          }
          // dx may be the gradient's own array.
          const inPlace = make(da);
          backend.batchNormReluBackward(inPlace, fusedA, fusedXhat, fusedInvStd, g, inPlace, fusedDgamma, fusedDbeta, rows, size);
          expect(Array.from(inPlace), 'dx in place').toEqual(Array.from(dx));
        });
      }

      for (const [rows, size] of [
        [2, 3],
        [7, 5],
        [128, 9],
        [5, 37],
        [64, 20],
        [128, 256],
      ] as const) {
        for (const unbiased of [false, true]) {
          it(`batch norm ${rows}×${size} (${unbiased ? 'unbiased' : 'biased'} running variance): training, inference and backward`, () => {
            const z = exact(randomArray(rows * size, `bnz${rows}`, 3));
            const gamma = exact(randomArray(size, 'bng', 1).map((v) => v + 1.5));
            const beta = exact(randomArray(size, 'bnb'));
            const dy = exact(randomArray(rows * size, `bndy${rows}`));
            const start = exact(randomArray(size, 'bnrm'));
            const startVar = exact(randomArray(size, 'bnrv').map((v) => v + 1.2));
            const run = (b: Backend, mk: (v: ArrayLike<number>) => FloatArray) => {
              const [out, xhat, invStd, mean, variance] = [
                mk(new Float64Array(rows * size)),
                mk(new Float64Array(rows * size)),
                mk(new Float64Array(size)),
                mk(start),
                mk(startVar),
              ];
              const g = mk(gamma);
              b.batchNormTrain(mk(z), out, xhat, invStd, g, mk(beta), mean, variance, rows, size, 1e-5, 0.9, unbiased);
              const inference = mk(new Float64Array(rows * size));
              b.batchNormInference(mk(z), inference, mean, variance, g, mk(beta), rows, size, 1e-5);
              const [dx, dgamma, dbeta] = [mk(new Float64Array(rows * size)), mk(new Float64Array(size)), mk(new Float64Array(size))];
              b.batchNormBackward(mk(dy), xhat, invStd, g, dx, dgamma, dbeta, rows, size);
              return { out, xhat, invStd, mean, variance, inference, dx, dgamma, dbeta };
            };
            const expected = run(float64Backend, (v) => Float64Array.from(v));
            const actual = run(backend, make);
            // WebAssembly sums over the batch in float32 where the TypeScript backend sums in float64.
            const bound = name === 'typescript float64' ? 1e-12 : 1e-4;
            for (const key of ['out', 'xhat', 'invStd', 'mean', 'variance', 'inference', 'dgamma', 'dbeta'] as const)
              expect(worst(actual[key], expected[key]), key).toBeLessThan(bound);
            if (rows > 2) expect(worst(actual.dx, expected.dx), 'dx').toBeLessThan(bound);
            else {
              // With two rows x̂ = ±1 and dx is 0 but for round-off: bound it on the scale of |dy|·γ/σ.
              let error = 0;
              let scale = 0;
              for (let i = 0; i < rows * size; i++) {
                error = Math.max(error, Math.abs(actual.dx[i]! - expected.dx[i]!));
                scale = Math.max(scale, Math.abs(dy[i]!) * Math.abs(gamma[i % size]! * expected.invStd[i % size]!));
              }
              expect(error / scale, 'dx').toBeLessThan(bound);
            }
          });
        }
      }

      for (const fn of ['relu', 'tanh', 'sigmoid', 'linear'] as ActivationName[]) {
        it(`${fn} forward and backward, NaN passing through`, () => {
          const x = [-2, 0, 3, Number.NaN, -0.5, 1e-30, 7, -7, 2, 0.25, -1, 5, 40, -800];
          const g = x.map((_, i) => i - 5);
          const expectedOut = new Float64Array(x.length);
          float64Backend.activation(fn, exact(x), expectedOut, x.length);
          const out = make(new Float64Array(x.length));
          backend.activation(fn, make(x), out, x.length);
          expect(out[3]).toBeNaN();
          const expectedDx = new Float64Array(x.length);
          float64Backend.activationBackward(fn, Float64Array.from(out), exact(g), expectedDx, x.length);
          const dx = make(new Float64Array(x.length));
          backend.activationBackward(fn, make(out), make(g), dx, x.length);
          const finite = (a: ArrayLike<number>) => Array.from(a).filter((_, i) => i !== 3);
          expect(worst(finite(out), finite(expectedOut))).toBeLessThan(1e-6);
          expect(worst(finite(dx), finite(expectedDx))).toBeLessThan(1e-6);
        });
      }

      it('losses of targets: squared error, Huber and sigmoid cross-entropy with their gradients', () => {
        const [rows, cols] = [6, 3];
        const n = rows * cols;
        const p = exact(randomArray(n, 'target-p', 3));
        const t = exact(randomArray(n, 't', 2));
        const y = Array.from(t, (v) => (v > 0 ? 1 : 0));
        const expected = new Float64Array(n);
        const grad = make(new Float64Array(n));
        const m = { rows, cols, data: make(p) };
        const check = (ours: number, theirs: number) => expect(Math.abs(ours - theirs)).toBeLessThan(1e-6 * Math.max(1, Math.abs(theirs)));
        check(backend.meanSquaredError(m, t, grad), float64Backend.meanSquaredError({ rows, cols, data: p }, t, expected));
        expect(worst(grad, expected)).toBeLessThan(1e-6);
        check(backend.huberLoss(m, t, 1.5, grad), float64Backend.huberLoss({ rows, cols, data: p }, t, 1.5, expected));
        expect(worst(grad, expected)).toBeLessThan(1e-6);
        const probabilities = make(new Float64Array(n));
        check(
          backend.sigmoidCrossEntropy(m, y, probabilities, grad),
          float64Backend.sigmoidCrossEntropy({ rows, cols, data: p }, y, new Float64Array(n), expected),
        );
        expect(worst(grad, expected)).toBeLessThan(1e-6);
      });

      it('dropout masks and the element-wise product: the same values as the reference, bit for bit', () => {
        const n = 1003;
        const expected = new Float64Array(n);
        float64Backend.dropoutMask(expected, n, 0.3, 0x1234abcd);
        const mask = make(new Float64Array(n));
        backend.dropoutMask(mask, n, 0.3, 0x1234abcd);
        expect(Array.from(mask)).toEqual(Array.from(expected, (v) => (v === 0 ? 0 : mask instanceof Float32Array ? Math.fround(v) : v)));
        const x = randomArray(n, 'multiply', 3);
        const out = make(new Float64Array(n));
        backend.multiply(make(x), mask, out, n);
        const product = new Float64Array(n);
        float64Backend.multiply(exact(x), Float64Array.from(mask), product, n);
        expect(worst(out, product)).toBeLessThan(1e-7);
      });

      it('softmax cross-entropy and softmax stay finite and right for logits of ±1e4', () => {
        const [rows, cols] = [4, 3];
        const logits = exact([1e4, -1e4, 0, -1e4, 1e4, 1e4 - 1, 0.5, -0.25, 2, -3, -3, -3]);
        const labels = Int32Array.of(0, 2, 2, 1);
        const probabilities = new Float64Array(rows * cols);
        const dLogits = new Float64Array(rows * cols);
        const expected = float64Backend.softmaxCrossEntropy({ rows, cols, data: logits }, labels, probabilities, dLogits);
        const [p, d] = [make(new Float64Array(rows * cols)), make(new Float64Array(rows * cols))];
        const actual = backend.softmaxCrossEntropy({ rows, cols, data: make(logits) }, labels, p, d);
        expect(actual.correct).toBe(expected.correct);
        expect(Math.abs(actual.loss - expected.loss) / expected.loss).toBeLessThan(1e-6);
        expect(worst(p, probabilities, 1e-6)).toBeLessThan(1e-6);
        expect(worst(d, dLogits, 1e-6)).toBeLessThan(1e-6);
        const softmax = make(new Float64Array(rows * cols));
        backend.softmax({ rows, cols, data: make(logits) }, softmax);
        expect(Array.from(softmax).every(Number.isFinite)).toBe(true);
        expect(worst(softmax, probabilities, 1e-6)).toBeLessThan(1e-6);
        expect(softmax[0]).toBe(1);
        expect(softmax[4]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
      });

      // Past 65,536 parameters the threaded backend splits Adam across its threads.
      for (const size of [1031, 70_001]) {
        it(`sgd, momentum, rmsprop and Adam steps over ${size} parameters with weight decay (to 1e-5 of the distance moved)`, () => {
          const w0 = exact(randomArray(size, 'opt-w'));
          const steps = 5;
          const run = (b: Backend, mk: (v: ArrayLike<number>) => FloatArray) => {
            const ws = [mk(w0), mk(w0), mk(w0), mk(w0)];
            const [velocity, meanSquare, m, v] = [
              mk(new Float64Array(size)),
              mk(new Float64Array(size)),
              mk(new Float64Array(size)),
              mk(new Float64Array(size)),
            ];
            for (let t = 1; t <= steps; t++) {
              const g = mk(exact(randomArray(size, `opt-g${t}`)));
              b.sgdStep(ws[0]!, g, 0.1, 0.01);
              b.momentumStep(ws[1]!, g, velocity, 0.1, 0.01, 0.9, 0.1);
              b.rmspropStep(ws[2]!, g, meanSquare, 0.01, 0.01, 0.9, 1e-8);
              const hyper: AdamHyper = {
                learningRate: 0.01,
                beta1: 0.9,
                beta2: 0.999,
                epsilon: 1e-8,
                correction1: 1 - 0.9 ** t,
                correction2: 1 - 0.999 ** t,
                weightDecay: 0.1,
              };
              b.adamStep(ws[3]!, g, m, v, hyper);
            }
            return ws;
          };
          const expected = run(float64Backend, (v) => Float64Array.from(v));
          const actual = run(backend, make);
          // How far each optimizer can move a weight in these steps: the scale of its round-off.
          const reach = [steps * 0.1 * 1.1, steps * 0.1 * 1.1, steps * 0.01 * 4, steps * 0.01];
          actual.forEach((w, which) => {
            let moved = 0;
            let error = 0;
            for (let i = 0; i < size; i++) {
              error = Math.max(error, Math.abs(w[i]! - expected[which]![i]!));
              moved = Math.max(moved, Math.abs(w[i]! - w0[i]!));
            }
            expect(moved, ['sgd', 'momentum', 'rmsprop', 'adam'][which]).toBeGreaterThan(0);
            expect(error / reach[which]!, ['sgd', 'momentum', 'rmsprop', 'adam'][which]).toBeLessThan(
              name === 'typescript float64' ? 1e-12 : 1e-5,
            );
          });
        });
      }

      it('Adam in one pass over many tensors: the same values as a step per tensor', () => {
        // Lengths off multiples of 4 and, together, past the 65,536 above which threads share the pass.
        const sizes = [5, 1030, 3, 70_001, 8, 1];
        const decays = [0.1, 0, 0.05, 0.1, 0, 0];
        const state = () =>
          sizes.map((size, k) => ({
            w: make(exact(randomArray(size, `many-w${k}`))),
            m: make(new Float64Array(size)),
            v: make(new Float64Array(size)),
          }));
        const [one, each] = [state(), state()];
        for (let t = 1; t <= 3; t++) {
          const grads = sizes.map((size, k) => make(exact(randomArray(size, `many-g${k}-${t}`))));
          const hyper: AdamHyper = {
            learningRate: 0.01,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            correction1: 1 - 0.9 ** t,
            correction2: 1 - 0.999 ** t,
            weightDecay: 99,
          };
          backend.adamSteps(
            one.map((s, k) => ({ ...s, g: grads[k]!, weightDecay: decays[k]! })),
            hyper,
          );
          each.forEach((s, k) => backend.adamStep(s.w, grads[k]!, s.m, s.v, { ...hyper, weightDecay: decays[k]! }));
        }
        one.forEach((s, k) => {
          for (const key of ['w', 'm', 'v'] as const) expect(Array.from(s[key]), `tensor ${k} ${key}`).toEqual(Array.from(each[k]![key]));
        });
        expect(one[0]!.w[0]).not.toBe(exact(randomArray(5, 'many-w0'))[0]);
      });

      it('standardize from bytes and from floats', () => {
        const [rows, cols] = [9, 20];
        const bytes = Uint8Array.from({ length: rows * cols }, (_, i) => (i * 37) % 256);
        const mean = exact(randomArray(cols, 'std-mean', 100).map((v) => v + 120));
        const invStd = exact(randomArray(cols, 'std-inv', 0.01).map((v) => v + 0.02));
        for (const x of [bytes, exact(randomArray(rows * cols, 'std-x', 50))]) {
          const expected = new Float64Array(rows * cols);
          float64Backend.standardize(x, expected, mean, invStd, rows, cols);
          const out = make(new Float64Array(rows * cols));
          backend.standardize(x instanceof Uint8Array ? x : make(x), out, make(mean), make(invStd), rows, cols);
          expect(worst(out, expected)).toBeLessThan(tolerance);
        }
      });
    });
  }
}
