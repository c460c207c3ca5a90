import type { Backend } from '../backend.js';
import type { Param } from '../layer.js';
import type { FloatArray } from '../matrix.js';

/** Settings shared by every optimizer. */
export interface OptimizerBase {
  /** The initial learning rate α₀; a schedule scales it per epoch. */
  readonly learningRate: number;
  /**
   * L2 weight decay λ, added to the gradient of each weight matrix as λ·W (the gradient of
   * (λ/2)·‖W‖²; PyTorch's `weight_decay`). Biases and batch norm's γ and β are not decayed. Default 0.
   */
  readonly weightDecay?: number;
}

/** Which optimizer and its hyperparameters. */
export type OptimizerConfig =
  | (OptimizerBase & { readonly type: 'sgd' })
  | (OptimizerBase & { readonly type: 'momentum'; readonly beta?: number; readonly convention?: 'ewa' | 'pytorch' })
  | (OptimizerBase & { readonly type: 'rmsprop'; readonly beta?: number; readonly epsilon?: number })
  | (OptimizerBase & { readonly type: 'adam'; readonly beta1?: number; readonly beta2?: number; readonly epsilon?: number });

/** The optimizer names the CLI and config files accept. */
export type OptimizerName = OptimizerConfig['type'];

/** An optimizer's moments and step count, by parameter name: saved with a model so training resumes exactly. */
export interface OptimizerState {
  readonly steps: number;
  readonly slots: ReadonlyMap<string, FloatArray>;
}

/**
 * Updates parameters from their gradients. Each optimizer owns its moments and step count, so two
 * runs with two optimizers never share state.
 *
 * @example
 * const adam = createOptimizer({ type: 'adam', learningRate: 1e-3 }, network.backend);
 * adam.step(network.params, 1e-3);
 */
export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Steps taken so far (Adam's t). */
  readonly steps: number;
  /** One update of every parameter with learning rate `learningRate`. */
  step(params: readonly Param[], learningRate: number): void;
  /** A snapshot of the moments, keyed `${param.name}.${slot}`. */
  state(): OptimizerState;
  /** Restores a snapshot taken by `state()` (the shapes must match). */
  restore(state: OptimizerState): void;
}

/**
 * The shared machinery: lazily allocated per-parameter moments and the step count.
 * @internal
 */
export abstract class SlotOptimizer implements Optimizer {
  private readonly slots = new Map<string, FloatArray>();
  private stepCount = 0;
  private restores = 0;

  /** @param backend where the moments live and whose ops take the steps (the network's). */
  constructor(
    readonly config: OptimizerConfig,
    protected readonly backend: Backend,
  ) {
    if (!(config.learningRate > 0)) throw new RangeError(`${config.type}: learningRate must be positive, got ${config.learningRate}`);
    if (!((config.weightDecay ?? 0) >= 0)) throw new RangeError(`${config.type}: weightDecay must be ≥ 0, got ${config.weightDecay}`);
  }

  get steps(): number {
    return this.stepCount;
  }

  step(params: readonly Param[], learningRate: number): void {
    this.countStep();
    const decay = this.config.weightDecay ?? 0;
    for (const param of params) this.update(param, learningRate, param.decay ? decay : 0, this.stepCount);
  }

  /** Updates one parameter; the gradient to use is grad + weightDecay·value. */
  protected abstract update(param: Param, learningRate: number, weightDecay: number, step: number): void;

  /** Counts one more step (Adam's t). */
  protected countStep(): void {
    this.stepCount++;
  }

  /** Changes whenever the moments are replaced (`restore`), so that views of them can be rebuilt. */
  protected get slotsVersion(): number {
    return this.restores;
  }

  protected slot(param: Param, name: string): FloatArray {
    const key = `${param.name}.${name}`;
    let slot = this.slots.get(key);
    if (slot === undefined) this.slots.set(key, (slot = this.backend.allocator.alloc(param.value.length)));
    return slot;
  }

  state(): OptimizerState {
    return { steps: this.stepCount, slots: new Map([...this.slots].map(([k, v]) => [k, v.slice()])) };
  }

  restore(state: OptimizerState): void {
    this.restores++;
    this.stepCount = state.steps;
    this.slots.clear();
    for (const [key, values] of state.slots) {
      const slot = this.backend.allocator.alloc(values.length);
      slot.set(values);
      this.slots.set(key, slot);
    }
  }
}

export function checkBeta(owner: string, name: string, beta: number): number {
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`${owner}: ${name} must be in [0, 1), got ${beta}`);
  return beta;
}
