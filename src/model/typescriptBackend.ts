import type { AdamHyper, AdamTensor, Backend, LossResult } from './backend.js';
import { fillDropoutMask } from './dropout.js';
import { ewaUpdate } from './ewa.js';
import type { ActivationName } from './layer.js';
import { type Allocator, type FloatArray, float32Allocator, float64Allocator, type Matrix } from './matrix.js';
import { softmaxCrossEntropy, softmaxRows } from './softmaxCrossEntropy.js';
import { huberLoss, meanSquaredError, sigmoidCrossEntropy } from './targetLosses.js';

/**
 * out (m×n) = A·B with A(i, p) = a[i·ai + p·ap] and B(p, j) = b[p·bp + j·bj]: one loop nest for
 * all three layouts, in 4×4 register tiles (sixteen running sums in locals, eight loads per
 * sixteen multiply-adds), with plain loops for the edges. Sums run in float64.
 */
function stridedProduct(
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
  m: number,
  k: number,
  n: number,
  ai: number,
  ap: number,
  bp: number,
  bj: number,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const r0 = i * ai;
    const r1 = r0 + ai;
    const r2 = r1 + ai;
    const r3 = r2 + ai;
    for (let j = 0; j < n4; j += 4) {
      const c0 = j * bj;
      const c1 = c0 + bj;
      const c2 = c1 + bj;
      const c3 = c2 + bj;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0;
      let s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      let s20 = 0,
        s21 = 0,
        s22 = 0,
        s23 = 0;
      let s30 = 0,
        s31 = 0,
        s32 = 0,
        s33 = 0;
      for (let p = 0; p < k; p++) {
        const pa = p * ap;
        const pb = p * bp;
        const a0 = a[r0 + pa]!,
          a1 = a[r1 + pa]!,
          a2 = a[r2 + pa]!,
          a3 = a[r3 + pa]!;
        const b0 = b[pb + c0]!,
          b1 = b[pb + c1]!,
          b2 = b[pb + c2]!,
          b3 = b[pb + c3]!;
        s00 += a0 * b0;
        s01 += a0 * b1;
        s02 += a0 * b2;
        s03 += a0 * b3;
        s10 += a1 * b0;
        s11 += a1 * b1;
        s12 += a1 * b2;
        s13 += a1 * b3;
        s20 += a2 * b0;
        s21 += a2 * b1;
        s22 += a2 * b2;
        s23 += a2 * b3;
        s30 += a3 * b0;
        s31 += a3 * b1;
        s32 += a3 * b2;
        s33 += a3 * b3;
      }
      let o = i * n + j;
      out[o] = s00;
      out[o + 1] = s01;
      out[o + 2] = s02;
      out[o + 3] = s03;
      o += n;
      out[o] = s10;
      out[o + 1] = s11;
      out[o + 2] = s12;
      out[o + 3] = s13;
      o += n;
      out[o] = s20;
      out[o + 1] = s21;
      out[o + 2] = s22;
      out[o + 3] = s23;
      o += n;
      out[o] = s30;
      out[o + 1] = s31;
      out[o + 2] = s32;
      out[o + 3] = s33;
    }
  }
  // The edges: rows below the last full tile, and columns right of it.
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[i * ai + p * ap]! * b[p * bp + j * bj]!;
      out[i * n + j] = sum;
    }
  }
}

/** A sigmoid that neither overflows nor loses precision for large |z|. */
function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** The ops of the TypeScript backend, on any allocator: the reference implementation of every op. */
function typescriptOps(allocator: Allocator, name: string): Backend {
  return {
    name,
    allocator,
    matmul: (a, b, out, m, k, n) => stridedProduct(a, b, out, m, k, n, k, 1, n, 1),
    matmulTransposeA: (a, b, out, m, k, n) => stridedProduct(a, b, out, m, k, n, 1, m, n, 1),
    matmulTransposeB: (a, b, out, m, k, n) => stridedProduct(a, b, out, m, k, n, k, 1, 1, k),
    addBias,
    sumRows,
    batchNormTrain,
    batchNormInference,
    batchNormBackward,
    batchNormReluTrain(z, out, xhat, invStd, gamma, beta, runningMean, runningVar, rows, size, epsilon, momentum, unbiased) {
      batchNormTrain(z, out, xhat, invStd, gamma, beta, runningMean, runningVar, rows, size, epsilon, momentum, unbiased);
      activation('relu', out, out, rows * size);
    },
    batchNormReluBackward(da, a, xhat, invStd, gamma, dx, dgamma, dbeta, rows, size) {
      // batchNormBackward reads each dy before it writes that dx: the masked gradient can live in dx.
      activationBackward('relu', a, da, dx, rows * size);
      batchNormBackward(dx, xhat, invStd, gamma, dx, dgamma, dbeta, rows, size);
    },
    activation,
    activationBackward,
    multiply,
    dropoutMask: fillDropoutMask,
    softmaxCrossEntropy: (
      logits: Matrix,
      labels: ArrayLike<number>,
      probabilities: FloatArray,
      dLogits?: FloatArray,
      classWeights?: ArrayLike<number>,
    ): LossResult => softmaxCrossEntropy(logits, labels, probabilities, dLogits, classWeights),
    softmax: softmaxRows,
    meanSquaredError,
    huberLoss,
    sigmoidCrossEntropy,
    sgdStep,
    momentumStep,
    rmspropStep,
    adamStep,
    adamSteps,
    standardize,
    close: () => undefined,
  };
}

export function addBias(out: FloatArray, bias: FloatArray, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let j = 0; j < cols; j++) out[row + j]! += bias[j]!;
  }
}

export function sumRows(g: FloatArray, out: FloatArray, rows: number, cols: number): void {
  out.fill(0, 0, cols);
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let j = 0; j < cols; j++) out[j]! += g[row + j]!;
  }
}

export function batchNormTrain(
  z: FloatArray,
  out: FloatArray,
  xhat: FloatArray,
  invStd: FloatArray,
  gamma: FloatArray,
  beta: FloatArray,
  runningMean: FloatArray,
  runningVar: FloatArray,
  n: number,
  size: number,
  epsilon: number,
  momentum: number,
  unbiased: boolean,
): void {
  for (let j = 0; j < size; j++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += z[i * size + j]!;
    const mean = sum / n;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const d = z[i * size + j]! - mean;
      squares += d * d;
    }
    const variance = squares / n;
    const inv = 1 / Math.sqrt(variance + epsilon);
    invStd[j] = inv;
    const g = gamma[j]!;
    const b = beta[j]!;
    for (let i = 0; i < n; i++) {
      const k = i * size + j;
      const h = (z[k]! - mean) * inv;
      xhat[k] = h;
      out[k] = g * h + b;
    }
    runningMean[j] = ewaUpdate(runningMean[j]!, mean, momentum);
    runningVar[j] = ewaUpdate(runningVar[j]!, unbiased ? squares / (n - 1) : variance, momentum);
  }
}

export function batchNormInference(
  z: FloatArray,
  out: FloatArray,
  runningMean: FloatArray,
  runningVar: FloatArray,
  gamma: FloatArray,
  beta: FloatArray,
  n: number,
  size: number,
  epsilon: number,
): void {
  for (let j = 0; j < size; j++) {
    const scale = gamma[j]! / Math.sqrt(runningVar[j]! + epsilon);
    const shift = beta[j]! - runningMean[j]! * scale;
    for (let i = 0; i < n; i++) out[i * size + j] = z[i * size + j]! * scale + shift;
  }
}

export function batchNormBackward(
  g: FloatArray,
  xhat: FloatArray,
  invStd: FloatArray,
  gamma: FloatArray,
  dx: FloatArray,
  dgamma: FloatArray,
  dbeta: FloatArray,
  n: number,
  size: number,
): void {
  for (let j = 0; j < size; j++) {
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let i = 0; i < n; i++) {
      const k = i * size + j;
      sumDy += g[k]!;
      sumDyXhat += g[k]! * xhat[k]!;
    }
    dbeta[j] = sumDy;
    dgamma[j] = sumDyXhat;
    // dx = γ/(n·σ) · (n·dy − Σdy − x̂·Σ(dy·x̂)), the gradient through μ and σ² included.
    const scale = (gamma[j]! * invStd[j]!) / n;
    for (let i = 0; i < n; i++) {
      const k = i * size + j;
      dx[k] = scale * (n * g[k]! - sumDy - xhat[k]! * sumDyXhat);
    }
  }
}

export function activation(fn: ActivationName, z: FloatArray, out: FloatArray, n: number): void {
  switch (fn) {
    case 'relu':
      // Written so that NaN passes through (as in PyTorch) instead of becoming 0.
      // biome-ignore lint/complexity/useMathMinMax: the reference maps NaN to NaN and -0 to 0 exactly as the kernels do
      for (let i = 0; i < n; i++) out[i] = z[i]! <= 0 ? 0 : z[i]!;
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(z[i]!);
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) out[i] = sigmoid(z[i]!);
      break;
    case 'linear':
      out.set(z.subarray(0, n));
      break;
  }
}

export function activationBackward(fn: ActivationName, a: FloatArray, g: FloatArray, dx: FloatArray, n: number): void {
  switch (fn) {
    case 'relu':
      for (let i = 0; i < n; i++) dx[i] = a[i]! > 0 ? g[i]! : 0;
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) dx[i] = g[i]! * (1 - a[i]! * a[i]!);
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dx[i] = g[i]! * a[i]! * (1 - a[i]!);
      break;
    case 'linear':
      dx.set(g.subarray(0, n));
      break;
  }
}

export function multiply(a: FloatArray, b: FloatArray, out: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
}

export function sgdStep(w: FloatArray, g: FloatArray, lr: number, wd: number): void {
  for (let i = 0; i < w.length; i++) w[i]! -= lr * (g[i]! + wd * w[i]!);
}

export function momentumStep(
  w: FloatArray,
  g: FloatArray,
  v: FloatArray,
  lr: number,
  wd: number,
  beta: number,
  gradientWeight: number,
): void {
  for (let i = 0; i < w.length; i++) {
    v[i] = beta * v[i]! + gradientWeight * (g[i]! + wd * w[i]!);
    w[i]! -= lr * v[i]!;
  }
}

export function rmspropStep(w: FloatArray, grad: FloatArray, s: FloatArray, lr: number, wd: number, beta: number, epsilon: number): void {
  for (let i = 0; i < w.length; i++) {
    const g = grad[i]! + wd * w[i]!;
    s[i] = beta * s[i]! + (1 - beta) * g * g;
    w[i]! -= (lr * g) / (Math.sqrt(s[i]!) + epsilon);
  }
}

export function adamStep(w: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, hyper: AdamHyper): void {
  adamValues(w, grad, m, v, hyper, hyper.weightDecay);
}

export function adamSteps(tensors: readonly AdamTensor[], hyper: AdamHyper): void {
  for (const { w, g, m, v, weightDecay } of tensors) adamValues(w, g, m, v, hyper, weightDecay);
}

function adamValues(w: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, hyper: AdamHyper, wd: number): void {
  const { learningRate: lr, beta1, beta2, epsilon, correction1, correction2 } = hyper;
  for (let i = 0; i < w.length; i++) {
    const g = grad[i]! + wd * w[i]!;
    m[i] = beta1 * m[i]! + (1 - beta1) * g;
    v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
    w[i]! -= (lr * (m[i]! / correction1)) / (Math.sqrt(v[i]! / correction2) + epsilon);
  }
}

export function standardize(
  x: FloatArray | Uint8Array,
  out: FloatArray,
  mean: FloatArray,
  invStd: FloatArray,
  rows: number,
  cols: number,
): void {
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let j = 0; j < cols; j++) out[row + j] = (x[row + j]! - mean[j]!) * invStd[j]!;
  }
}

/**
 * Float32 storage on the JavaScript heap with plain TypeScript ops: the reference implementation
 * of every op, and the fallback where WebAssembly SIMD is missing. Its products are register-tiled
 * so the fallback stays usable.
 *
 * @example
 * const net = createNetwork({ inputSize: 64, classes: 10, backend: typescriptBackend });
 */
export const typescriptBackend: Backend = typescriptOps(float32Allocator, 'typescript');

/**
 * Float64 storage with the TypeScript ops: for finite-difference gradient checks, where float32
 * round-off would hide errors.
 *
 * @example
 * const net = createNetwork({ inputSize: 4, classes: 3, backend: float64Backend });
 */
export const float64Backend: Backend = typescriptOps(float64Allocator, 'typescript-float64');
