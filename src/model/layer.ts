import type { Backend } from './backend.js';
import type { FloatArray, Matrix } from './matrix.js';

/** Training normalizes with mini-batch statistics and updates running ones; inference uses the running ones. */
export type Mode = 'train' | 'inference';

/**
 * A learnable tensor and its gradient. Backward passes overwrite `grad` (they do not accumulate),
 * so no zeroing step is needed between mini-batches.
 *
 * @example
 * for (const p of network.params) console.log(p.name, p.shape, p.value.length);
 */
export interface Param {
  /** Unique within a network, e.g. `dense0.weight`. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly value: FloatArray;
  readonly grad: FloatArray;
  /** Whether L2 weight decay applies (weights yes; biases and batch-norm γ, β no). */
  readonly decay: boolean;
}

/**
 * Per-run scratch space: the buffers and saved values of one training or evaluation run. Layers
 * keep what backward needs here, never on themselves, so two runs over one model never share it.
 * Buffers are cached by owner, name and length, so the hot loop allocates nothing after its first
 * mini-batch of each shape.
 *
 * @example
 * import { typescriptBackend } from './typescriptBackend.js';
 * const ws = new Workspace(typescriptBackend);
 * const out = ws.buffer(layer, 'out', 64 * 32);
 */
export class Workspace {
  private readonly buffers = new Map<object, Map<string, FloatArray>>();
  private readonly saved = new Map<object, unknown>();

  /** @param backend where the buffers come from, and whose ops compute into them. */
  constructor(readonly backend: Backend) {}

  /** A buffer of exactly `length` elements, reused across calls with the same owner, name and length. */
  buffer(owner: object, name: string, length: number): FloatArray {
    let byName = this.buffers.get(owner);
    if (byName === undefined) this.buffers.set(owner, (byName = new Map()));
    const key = `${name}:${length}`;
    let buffer = byName.get(key);
    if (buffer === undefined) byName.set(key, (buffer = this.backend.allocator.alloc(length)));
    return buffer;
  }

  /** Keeps a value for the owner's backward pass. */
  save<T>(owner: object, value: T): void {
    this.saved.set(owner, value);
  }

  /** The value the owner saved in its forward pass. */
  load<T>(owner: object): T {
    if (!this.saved.has(owner)) throw new Error('backward called before forward in this workspace');
    return this.saved.get(owner) as T;
  }
}

/**
 * What fixes a training pass's random draws (its dropout masks): the run's seed and the batch's
 * place in the run.
 */
export interface PassKey {
  readonly seed: number;
  /** The batch's epoch, 1 for the first. */
  readonly epoch: number;
  /** The batch's zero-based index within its epoch. */
  readonly batch: number;
}

/** What a forward or backward pass needs besides its input. */
export interface PassContext {
  readonly mode: Mode;
  readonly workspace: Workspace;
  /** Needed by a training pass through dropout; `forward()` sets it from each batch. */
  readonly key?: PassKey | undefined;
}

/** The serializable description of a layer (its architecture, not its weights). */
export type LayerSpec =
  | { readonly type: 'dense'; readonly inputSize: number; readonly units: number; readonly bias: boolean }
  | {
      readonly type: 'batchNorm';
      readonly size: number;
      readonly epsilon: number;
      readonly momentum: number;
      readonly runningVariance: 'biased' | 'unbiased';
    }
  | { readonly type: 'activation'; readonly size: number; readonly fn: ActivationName }
  | { readonly type: 'dropout'; readonly size: number; readonly rate: number };

/** The activation functions a network can use between layers. */
export type ActivationName = 'relu' | 'tanh' | 'sigmoid' | 'linear';

/**
 * The protocol every layer follows, so that networks and optimizers never need to know layer types.
 *
 * @example
 * const y = layer.forward(x, { mode: 'train', workspace });
 * const dx = layer.backward(dy, { mode: 'train', workspace });
 */
export interface Layer {
  readonly spec: LayerSpec;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: readonly Param[];
  /** Named non-learned state saved with the model (batch norm's running statistics). */
  readonly buffers: ReadonlyMap<string, FloatArray>;
  forward(x: Matrix, ctx: PassContext): Matrix;
  /**
   * Fills the params' gradients and returns the gradient with respect to the input, unless
   * `inputGradient` is false (the first layer's is not needed for training): then it may skip
   * computing it and return undefined.
   */
  backward(dy: Matrix, ctx: PassContext, inputGradient?: boolean): Matrix | undefined;
}
