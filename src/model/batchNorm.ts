import type { Backend } from './backend.js';
import type { Layer, LayerSpec, Param, PassContext } from './layer.js';
import type { FloatArray, Matrix } from './matrix.js';

/** Options of a batch normalization layer. */
export interface BatchNormOptions {
  readonly size: number;
  /** Added to the variance before the square root. Default 1e-5 (as PyTorch and Keras). */
  readonly epsilon?: number;
  /**
   * β of the exponentially weighted running averages: v ← β·v + (1 − β)·x. Default 0.9, which is
   * PyTorch's `momentum=0.1` and Keras's `momentum=0.9`.
   */
  readonly momentum?: number;
  /**
   * Which batch variance feeds the running variance. Normalization in training always uses the
   * biased variance mean((z − μ)²). Default 'biased' (the textbook EWA of σ², as Keras); PyTorch
   * uses 'unbiased' (n/(n − 1) times larger).
   */
  readonly runningVariance?: 'biased' | 'unbiased';
}

interface Saved {
  readonly xhat: FloatArray;
  readonly invStd: FloatArray;
  readonly rows: number;
}

/**
 * Batch normalization over the mini-batch, per feature: z_norm = (z − μ)/√(σ² + ε), out = γ·z_norm + β.
 * In training μ and σ² are the mini-batch's own (the biased variance) and the running mean and
 * variance are updated; in inference the running statistics are used. Backward is the full
 * gradient, through μ and σ² as well.
 *
 * @example
 * import { Workspace } from './layer.js';
 * const bn = new BatchNorm({ size: 32 }, typescriptBackend);
 * const z = { rows: 4, cols: 32, data: new Float32Array(4 * 32) };
 * const y = bn.forward(z, { mode: 'train', workspace: new Workspace(typescriptBackend) });
 */
export class BatchNorm implements Layer {
  readonly spec: LayerSpec & { type: 'batchNorm' };
  readonly inputSize: number;
  readonly outputSize: number;
  readonly gamma: Param;
  readonly beta: Param;
  readonly params: readonly Param[];
  readonly runningMean: FloatArray;
  readonly runningVar: FloatArray;
  readonly buffers: ReadonlyMap<string, FloatArray>;
  private readonly backend: Backend;

  constructor(options: BatchNormOptions, backend: Backend, name = 'batchNorm') {
    const { size, epsilon = 1e-5, momentum = 0.9, runningVariance = 'biased' } = options;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`BatchNorm: size must be a positive integer, got ${size}`);
    if (!(epsilon > 0)) throw new RangeError(`BatchNorm: epsilon must be positive, got ${epsilon}`);
    if (!(momentum >= 0 && momentum < 1)) throw new RangeError(`BatchNorm: momentum must be in [0, 1), got ${momentum}`);
    this.spec = { type: 'batchNorm', size, epsilon, momentum, runningVariance };
    this.inputSize = size;
    this.outputSize = size;
    const { allocator } = backend;
    this.gamma = { name: `${name}.gamma`, shape: [size], value: allocator.alloc(size).fill(1), grad: allocator.alloc(size), decay: false };
    this.beta = { name: `${name}.beta`, shape: [size], value: allocator.alloc(size), grad: allocator.alloc(size), decay: false };
    this.params = [this.gamma, this.beta];
    this.backend = backend;
    this.runningMean = allocator.alloc(size);
    this.runningVar = allocator.alloc(size).fill(1);
    this.buffers = new Map([
      ['runningMean', this.runningMean],
      ['runningVar', this.runningVar],
    ]);
  }

  forward(x: Matrix, ctx: PassContext): Matrix {
    const size = this.inputSize;
    if (x.cols !== size) throw new RangeError(`BatchNorm: expected ${size} columns, got ${x.cols}`);
    const n = x.rows;
    const { epsilon, momentum, runningVariance } = this.spec;
    const ws = ctx.workspace;
    const out = ws.buffer(this, 'out', n * size);
    if (ctx.mode === 'inference') {
      this.backend.batchNormInference(x.data, out, this.runningMean, this.runningVar, this.gamma.value, this.beta.value, n, size, epsilon);
      return { rows: n, cols: size, data: out };
    }
    if (n < 2) {
      throw new RangeError('BatchNorm: training needs at least 2 examples per mini-batch (the variance of one example is 0)');
    }
    const xhat = ws.buffer(this, 'xhat', n * size);
    const invStd = ws.buffer(this, 'invStd', size);
    this.backend.batchNormTrain(
      x.data,
      out,
      xhat,
      invStd,
      this.gamma.value,
      this.beta.value,
      this.runningMean,
      this.runningVar,
      n,
      size,
      epsilon,
      momentum,
      runningVariance === 'unbiased',
    );
    ws.save<Saved>(this, { xhat, invStd, rows: n });
    return { rows: n, cols: size, data: out };
  }

  /**
   * Training's forward pass of this layer and the ReLU after it (`relu`), in one pass over the
   * batch: the ReLU's output lands in its own buffer and is saved for its backward pass, as if
   * each layer had run its own forward.
   */
  forwardWithRelu(x: Matrix, ctx: PassContext, relu: Layer): Matrix {
    const size = this.inputSize;
    if (x.cols !== size) throw new RangeError(`BatchNorm: expected ${size} columns, got ${x.cols}`);
    if (ctx.mode !== 'train') return relu.forward(this.forward(x, ctx), ctx);
    const n = x.rows;
    if (n < 2) {
      throw new RangeError('BatchNorm: training needs at least 2 examples per mini-batch (the variance of one example is 0)');
    }
    const { epsilon, momentum, runningVariance } = this.spec;
    const ws = ctx.workspace;
    const out = ws.buffer(relu, 'out', n * size);
    const xhat = ws.buffer(this, 'xhat', n * size);
    const invStd = ws.buffer(this, 'invStd', size);
    this.backend.batchNormReluTrain(
      x.data,
      out,
      xhat,
      invStd,
      this.gamma.value,
      this.beta.value,
      this.runningMean,
      this.runningVar,
      n,
      size,
      epsilon,
      momentum,
      runningVariance === 'unbiased',
    );
    ws.save<Saved>(this, { xhat, invStd, rows: n });
    ws.save(relu, out);
    return { rows: n, cols: size, data: out };
  }

  /** The backward pass of the ReLU after this layer (`relu`, whose output gradient is `da`) and of this layer, in one. */
  backwardWithRelu(da: Matrix, ctx: PassContext, relu: Layer): Matrix | undefined {
    if (ctx.mode !== 'train') throw new Error('BatchNorm: backward needs a forward pass in train mode');
    const { xhat, invStd, rows: n } = ctx.workspace.load<Saved>(this);
    const a = ctx.workspace.load<FloatArray>(relu);
    const size = this.inputSize;
    const dx = ctx.workspace.buffer(this, 'dx', n * size);
    this.backend.batchNormReluBackward(da.data, a, xhat, invStd, this.gamma.value, dx, this.gamma.grad, this.beta.grad, n, size);
    return { rows: n, cols: size, data: dx };
  }

  backward(dy: Matrix, ctx: PassContext): Matrix | undefined {
    if (ctx.mode !== 'train') throw new Error('BatchNorm: backward needs a forward pass in train mode');
    const { xhat, invStd, rows: n } = ctx.workspace.load<Saved>(this);
    const size = this.inputSize;
    const dx = ctx.workspace.buffer(this, 'dx', n * size);
    this.backend.batchNormBackward(dy.data, xhat, invStd, this.gamma.value, dx, this.gamma.grad, this.beta.grad, n, size);
    return { rows: n, cols: size, data: dx };
  }
}
