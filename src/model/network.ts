import { Activation, isActivationName } from './activation.js';
import type { Backend } from './backend.js';
import { BatchNorm } from './batchNorm.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import type { InitName } from './init.js';
import { type ActivationName, type Layer, type LayerSpec, type Param, type PassContext, Workspace } from './layer.js';
import type { FloatArray, Matrix } from './matrix.js';
import { createRandom } from './random.js';

/** The serializable architecture of a network: enough to rebuild it, weights aside. */
export interface NetworkSpec {
  readonly inputSize: number;
  readonly classes: number;
  readonly layers: readonly LayerSpec[];
}

/** Options of `createNetwork`. */
export interface NetworkOptions {
  readonly inputSize: number;
  readonly classes: number;
  /** Units of each hidden layer. Default [64, 32]. */
  readonly hidden?: readonly number[];
  /** Default 'relu'. */
  readonly activation?: ActivationName;
  /** Batch normalization after each hidden dense layer (whose bias is then dropped). Default true. */
  readonly batchNorm?: boolean;
  /**
   * Inverted dropout after each hidden activation: the share of its outputs zeroed in each
   * training pass, in [0, 1). Default 0 (no dropout layers).
   */
  readonly dropout?: number;
  /** Default 'he' for relu and linear, 'xavier' for tanh and sigmoid. */
  readonly init?: InitName;
  /** Seeds the initial weights. Default 0. */
  readonly seed?: number | string;
  /** β of batch norm's running averages. Default 0.9. */
  readonly batchNormMomentum?: number;
  readonly batchNormEpsilon?: number;
  readonly runningVariance?: 'biased' | 'unbiased';
  /**
   * Where the weights live and the math runs: `createBackend()` for a new model (WebAssembly SIMD
   * where available), `float64Backend` for gradient checks.
   */
  readonly backend: Backend;
}

/**
 * A stack of layers ending in class logits; the softmax lives in the loss. Holds the model's
 * parameters and running statistics; everything a pass needs besides those lives in the pass's
 * `Workspace`.
 *
 * @example
 * const net = createNetwork({ inputSize: 64, classes: 10, hidden: [64, 32], backend: createBackend() });
 * const x = { rows: 8, cols: 64, data: new Float32Array(8 * 64) };
 * const logits = net.forward(x, { mode: 'inference', workspace: net.acquireWorkspace() });
 */
export class Network {
  readonly params: readonly Param[];
  /** Running statistics and other saved non-learned state, by unique name. */
  readonly buffers: ReadonlyMap<string, FloatArray>;
  readonly inputSize: number;
  readonly classes: number;
  private readonly idleWorkspaces: Workspace[] = [];
  /** fusedRelu[i]: layer i is a batch norm and layer i + 1 a ReLU, run as one pass in training. */
  private readonly fusedRelu: readonly boolean[];

  /** @param backend the one the layers were built on. */
  constructor(
    readonly layers: readonly Layer[],
    readonly backend: Backend,
  ) {
    if (layers.length === 0) throw new RangeError('Network: needs at least one layer');
    for (let i = 1; i < layers.length; i++) {
      if (layers[i]!.inputSize !== layers[i - 1]!.outputSize) {
        throw new RangeError(
          `Network: layer ${i} expects ${layers[i]!.inputSize} inputs but layer ${i - 1} gives ${layers[i - 1]!.outputSize}`,
        );
      }
    }
    this.inputSize = layers[0]!.inputSize;
    this.classes = layers[layers.length - 1]!.outputSize;
    this.params = layers.flatMap((layer) => layer.params);
    const buffers = new Map<string, FloatArray>();
    layers.forEach((layer, i) => {
      for (const [name, buffer] of layer.buffers) buffers.set(`${i}.${name}`, buffer);
    });
    this.buffers = buffers;
    this.fusedRelu = layers.map(
      (layer, i) =>
        layer instanceof BatchNorm && layers[i + 1]?.spec.type === 'activation' && (layers[i + 1] as Activation).spec.fn === 'relu',
    );
  }

  /**
   * A workspace for one run over this network: a released one when there is one, else a new one.
   * Runs that overlap get different workspaces; runs that follow each other reuse buffers, which
   * matters when they live in a WebAssembly memory that cannot free them.
   */
  acquireWorkspace(): Workspace {
    return this.idleWorkspaces.pop() ?? new Workspace(this.backend);
  }

  /** Hands a workspace back when its run has ended. */
  releaseWorkspace(workspace: Workspace): void {
    if (!this.idleWorkspaces.includes(workspace)) this.idleWorkspaces.push(workspace);
  }

  /** The architecture, for saving. */
  get spec(): NetworkSpec {
    return { inputSize: this.inputSize, classes: this.classes, layers: this.layers.map((layer) => layer.spec) };
  }

  /** Whether any layer normalizes over the mini-batch (and so needs 2+ examples per training batch). */
  get usesBatchStatistics(): boolean {
    return this.layers.some((layer) => layer.spec.type === 'batchNorm');
  }

  /**
   * Runs every layer; returns the logits (rows × classes). In training a batch norm followed by a
   * ReLU runs as one pass (the same values as two).
   */
  forward(x: Matrix, ctx: PassContext): Matrix {
    const layers = this.layers;
    let a = x;
    for (let i = 0; i < layers.length; i++) {
      if (ctx.mode === 'train' && this.fusedRelu[i]) a = (layers[i] as BatchNorm).forwardWithRelu(a, ctx, layers[++i]!);
      else a = layers[i]!.forward(a, ctx);
    }
    return a;
  }

  /**
   * Backpropagates ∂J/∂logits, filling every parameter's `grad`. Returns ∂J/∂x when `inputGradient`
   * is true; by default the first layer skips that product, which training does not need.
   */
  backward(dLogits: Matrix, ctx: PassContext, inputGradient = false): Matrix | undefined {
    const layers = this.layers;
    let g: Matrix | undefined = dLogits;
    for (let i = layers.length - 1; i >= 0 && g; i--) {
      if (i > 0 && this.fusedRelu[i - 1]) {
        i--;
        g = (layers[i] as BatchNorm).backwardWithRelu(g, ctx, layers[i + 1]!);
      } else {
        g = layers[i]!.backward(g, ctx, i > 0 || inputGradient);
      }
    }
    return g;
  }
}

/**
 * Builds the usual classifier: for each hidden size, Dense → BatchNorm → activation → Dropout
 * (Dense with a bias and no BatchNorm when `batchNorm` is false, no Dropout when `dropout` is 0),
 * then a Dense layer to the class logits.
 *
 * @example
 * const net = createNetwork({ inputSize: 64, classes: 10, hidden: [64, 32], activation: 'relu', seed: 1, backend: createBackend() });
 */
export function createNetwork(options: NetworkOptions): Network {
  const { inputSize, classes, hidden = [64, 32], activation = 'relu', batchNorm = true, dropout = 0 } = options;
  if (!isActivationName(activation)) throw new RangeError(`createNetwork: unknown activation '${activation}'`);
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`createNetwork: dropout must be in [0, 1), got ${dropout}`);
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`createNetwork: classes must be an integer ≥ 2, got ${classes}`);
  const layers: LayerSpec[] = [];
  let size = inputSize;
  for (const units of hidden) {
    layers.push({ type: 'dense', inputSize: size, units, bias: !batchNorm });
    if (batchNorm) {
      layers.push({
        type: 'batchNorm',
        size: units,
        epsilon: options.batchNormEpsilon ?? 1e-5,
        momentum: options.batchNormMomentum ?? 0.9,
        runningVariance: options.runningVariance ?? 'biased',
      });
    }
    layers.push({ type: 'activation', size: units, fn: activation });
    if (dropout > 0) layers.push({ type: 'dropout', size: units, rate: dropout });
    size = units;
  }
  layers.push({ type: 'dense', inputSize: size, units: classes, bias: true });
  const init = options.init ?? (activation === 'tanh' || activation === 'sigmoid' ? 'xavier' : 'he');
  return buildNetwork({ inputSize, classes, layers }, { init, seed: options.seed ?? 0, backend: options.backend });
}

/**
 * Builds a network from its architecture, with freshly initialised weights, on `backend`.
 *
 * @example
 * const copy = buildNetwork(net.spec, { seed: 0, backend: net.backend });
 */
export function buildNetwork(
  spec: NetworkSpec,
  options: { readonly init?: InitName; readonly seed?: number | string; readonly backend: Backend },
): Network {
  const { backend } = options;
  const rng = createRandom(options.seed ?? 0);
  const layers = spec.layers.map((layer, i): Layer => {
    switch (layer.type) {
      case 'dense':
        return new Dense(
          { inputSize: layer.inputSize, units: layer.units, bias: layer.bias, init: options.init ?? 'he' },
          backend,
          rng,
          String(i),
        );
      case 'batchNorm':
        return new BatchNorm(layer, backend, String(i));
      case 'activation':
        return new Activation(layer, backend);
      case 'dropout':
        return new Dropout(layer, backend, i);
      default:
        throw new RangeError(`buildNetwork: unknown layer type '${(layer as { type: string }).type}'`);
    }
  });
  const network = new Network(layers, backend);
  if (network.inputSize !== spec.inputSize || network.classes !== spec.classes) {
    throw new RangeError(`buildNetwork: layers give ${network.inputSize}→${network.classes}, spec says ${spec.inputSize}→${spec.classes}`);
  }
  return network;
}
