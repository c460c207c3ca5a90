import type { Backend } from './backend.js';
import type { ActivationName, Layer, LayerSpec, Param, PassContext } from './layer.js';
import type { FloatArray, Matrix } from './matrix.js';

/** Every activation's name (the settings' `--activation` choices). */
export const ACTIVATION_NAMES: readonly ActivationName[] = ['relu', 'tanh', 'sigmoid', 'linear'];

/**
 * An element-wise activation: relu max(0, z), tanh, sigmoid 1/(1 + e^−z), or linear (identity).
 * Backward uses the saved output: relu' = [a > 0], tanh' = 1 − a², sigmoid' = a(1 − a).
 *
 * @example
 * const act = new Activation({ size: 32, fn: 'relu' }, typescriptBackend);
 */
export class Activation implements Layer {
  readonly spec: LayerSpec & { type: 'activation' };
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: readonly Param[] = [];
  readonly buffers: ReadonlyMap<string, FloatArray> = new Map();

  constructor(
    options: { readonly size: number; readonly fn: ActivationName },
    private readonly backend: Backend,
  ) {
    if (!ACTIVATION_NAMES.includes(options.fn)) {
      throw new RangeError(`Activation: unknown activation '${options.fn}'; expected one of ${ACTIVATION_NAMES.join(', ')}`);
    }
    this.spec = { type: 'activation', size: options.size, fn: options.fn };
    this.inputSize = options.size;
    this.outputSize = options.size;
  }

  forward(x: Matrix, ctx: PassContext): Matrix {
    const n = x.data.length;
    const out = ctx.workspace.buffer(this, 'out', n);
    this.backend.activation(this.spec.fn, x.data, out, n);
    ctx.workspace.save(this, out);
    return { rows: x.rows, cols: x.cols, data: out };
  }

  backward(dy: Matrix, ctx: PassContext): Matrix | undefined {
    const a = ctx.workspace.load<FloatArray>(this);
    const n = dy.data.length;
    const dx = ctx.workspace.buffer(this, 'dx', n);
    this.backend.activationBackward(this.spec.fn, a, dy.data, dx, n);
    return { rows: dy.rows, cols: dy.cols, data: dx };
  }
}

/** @internal used by `Network` to validate names early. */
export function isActivationName(name: string): name is ActivationName {
  return (ACTIVATION_NAMES as readonly string[]).includes(name);
}
