import type { Backend } from '../backend.js';
import type { Param } from '../layer.js';
import { checkBeta, type OptimizerBase, SlotOptimizer } from './optimizer.js';

/**
 * How the velocity accumulates gradients:
 * - `'ewa'` (default): v ← β·v + (1 − β)·dW, an exponentially weighted average of gradients
 *   (the form taught in deep-learning courses); the step size is α whatever β is.
 * - `'pytorch'`: v ← β·v + dW, PyTorch's `SGD(momentum=β)` (and Keras's up to where α is applied).
 *   In steady state the velocity is 1/(1 − β) times larger, so the same α takes steps 10× longer at
 *   β = 0.9: divide α by 10 when moving a configuration from 'ewa' to 'pytorch'.
 */
export type MomentumConvention = 'ewa' | 'pytorch';

/**
 * Gradient descent with momentum: W ← W − α·v, with the velocity v accumulated by `convention`
 * (default 'ewa', β default 0.9).
 *
 * @example
 * const ours = new Momentum({ learningRate: 0.1, beta: 0.9 }, network.backend);
 * const torchLike = new Momentum({ learningRate: 0.01, beta: 0.9, convention: 'pytorch' }, network.backend);
 */
export class Momentum extends SlotOptimizer {
  private readonly beta: number;
  private readonly gradientWeight: number;

  constructor(config: OptimizerBase & { readonly beta?: number; readonly convention?: MomentumConvention }, backend: Backend) {
    const beta = checkBeta('momentum', 'beta', config.beta ?? 0.9);
    const convention = config.convention ?? 'ewa';
    if (convention !== 'ewa' && convention !== 'pytorch')
      throw new RangeError(`momentum: convention must be 'ewa' or 'pytorch', got '${String(convention)}'`);
    super({ ...config, type: 'momentum', beta, convention }, backend);
    this.beta = beta;
    this.gradientWeight = convention === 'ewa' ? 1 - beta : 1;
  }

  protected update(param: Param, lr: number, wd: number): void {
    this.backend.momentumStep(param.value, param.grad, this.slot(param, 'velocity'), lr, wd, this.beta, this.gradientWeight);
  }
}
