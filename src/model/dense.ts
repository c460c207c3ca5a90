import type { Backend } from './backend.js';
import { type InitName, initWeights } from './init.js';
import type { Layer, LayerSpec, Param, PassContext } from './layer.js';
import type { FloatArray, Matrix } from './matrix.js';
import type { Random } from './random.js';

/** Options of a dense layer. */
export interface DenseOptions {
  readonly inputSize: number;
  readonly units: number;
  /** Drop it when batch norm follows: BN's β takes its place. Default true. */
  readonly bias?: boolean;
  readonly init?: InitName;
}

/**
 * A fully connected layer, Z = X·Wᵀ + b, with W of shape (units × inputs) as in PyTorch's
 * nn.Linear: each unit's weights are one contiguous row, so the forward product and the weight
 * gradient need no transposed copy of W.
 *
 * @example
 * import { createRandom } from './random.js';
 * const dense = new Dense({ inputSize: 64, units: 32, bias: false }, typescriptBackend, createRandom(0));
 */
export class Dense implements Layer {
  readonly spec: LayerSpec & { type: 'dense' };
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: readonly Param[];
  readonly buffers: ReadonlyMap<string, FloatArray> = new Map();
  readonly weight: Param;
  readonly bias: Param | undefined;

  constructor(
    options: DenseOptions,
    private readonly backend: Backend,
    rng: Random,
    name = 'dense',
  ) {
    const { inputSize, units, bias = true, init = 'he' } = options;
    if (!Number.isInteger(inputSize) || inputSize < 1)
      throw new RangeError(`Dense: inputSize must be a positive integer, got ${inputSize}`);
    if (!Number.isInteger(units) || units < 1) throw new RangeError(`Dense: units must be a positive integer, got ${units}`);
    this.spec = { type: 'dense', inputSize, units, bias };
    this.inputSize = inputSize;
    this.outputSize = units;
    const { allocator } = backend;
    this.weight = {
      name: `${name}.weight`,
      shape: [units, inputSize],
      value: allocator.alloc(inputSize * units),
      grad: allocator.alloc(inputSize * units),
      decay: true,
    };
    initWeights(this.weight.value, inputSize, init, rng, units);
    this.bias = bias
      ? { name: `${name}.bias`, shape: [units], value: allocator.alloc(units), grad: allocator.alloc(units), decay: false }
      : undefined;
    this.params = this.bias ? [this.weight, this.bias] : [this.weight];
  }

  forward(x: Matrix, ctx: PassContext): Matrix {
    if (x.cols !== this.inputSize) throw new RangeError(`Dense: expected ${this.inputSize} input columns, got ${x.cols}`);
    const n = x.rows;
    const units = this.outputSize;
    const out = ctx.workspace.buffer(this, 'out', n * units);
    this.backend.matmulTransposeB(x.data, this.weight.value, out, n, this.inputSize, units);
    if (this.bias) this.backend.addBias(out, this.bias.value, n, units);
    ctx.workspace.save(this, x);
    return { rows: n, cols: units, data: out };
  }

  backward(dy: Matrix, ctx: PassContext, inputGradient = true): Matrix | undefined {
    const x = ctx.workspace.load<Matrix>(this);
    const n = x.rows;
    const units = this.outputSize;
    const { backend } = this;
    backend.matmulTransposeA(dy.data, x.data, this.weight.grad, units, n, this.inputSize);
    if (this.bias) backend.sumRows(dy.data, this.bias.grad, n, units);
    // For the first layer this product (batch × units × inputs) would be thrown away.
    if (!inputGradient) return undefined;
    const dx = ctx.workspace.buffer(this, 'dx', n * this.inputSize);
    backend.matmul(dy.data, this.weight.value, dx, n, units, this.inputSize);
    return { rows: n, cols: this.inputSize, data: dx };
  }
}
