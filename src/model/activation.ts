import type { ActivationName, Layer, LayerSpec, Param, PassContext } from './layer.js';
import type { Kernels } from './kernels.js';
import type { FloatArray, Matrix } from './matrix.js';

const ACTIVATIONS: readonly ActivationName[] = ['relu', 'tanh', 'sigmoid', 'linear'];

/**
 * An element-wise activation: relu max(0, z), tanh, sigmoid 1/(1 + e^−z), or linear (identity).
 * Backward uses the saved output: relu' = [a > 0], tanh' = 1 − a², sigmoid' = a(1 − a).
 *
 * @example
 * const act = new Activation({ size: 32, fn: 'relu' });
 */
export class Activation implements Layer {
  readonly spec: LayerSpec & { type: 'activation' };
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: readonly Param[] = [];
  readonly buffers: ReadonlyMap<string, FloatArray> = new Map();

  /** @param kernels where ReLU can run faster (WebAssembly SIMD); the TypeScript loop otherwise. */
  constructor(
    options: { readonly size: number; readonly fn: ActivationName },
    private readonly kernels?: Kernels,
  ) {
    if (!ACTIVATIONS.includes(options.fn)) {
      throw new RangeError(`Activation: unknown activation '${options.fn}'; expected one of ${ACTIVATIONS.join(', ')}`);
    }
    this.spec = { type: 'activation', size: options.size, fn: options.fn };
    this.inputSize = options.size;
    this.outputSize = options.size;
  }

  forward(x: Matrix, ctx: PassContext): Matrix {
    const n = x.data.length;
    const out = ctx.workspace.buffer(this, 'out', n);
    const z = x.data;
    switch (this.spec.fn) {
      case 'relu':
        if (this.kernels?.relu?.(z, out, n)) break;
        // Written so that NaN passes through (as in PyTorch) instead of becoming 0.
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
    ctx.workspace.save(this, out);
    return { rows: x.rows, cols: x.cols, data: out };
  }

  backward(dy: Matrix, ctx: PassContext): Matrix | undefined {
    const a = ctx.workspace.load<FloatArray>(this);
    const n = dy.data.length;
    const dx = ctx.workspace.buffer(this, 'dx', n);
    const g = dy.data;
    switch (this.spec.fn) {
      case 'relu':
        if (this.kernels?.reluBackward?.(a, g, dx, n)) break;
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
    return { rows: dy.rows, cols: dy.cols, data: dx };
  }
}

/** A sigmoid that neither overflows nor loses precision for large |z|. */
function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** @internal used by `Network` to validate names early. */
export function isActivationName(name: string): name is ActivationName {
  return (ACTIVATIONS as readonly string[]).includes(name);
}
