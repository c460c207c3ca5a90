import type { Backend } from '../backend.js';
import type { Param } from '../layer.js';
import { checkBeta, type OptimizerBase, SlotOptimizer } from './optimizer.js';

/**
 * RMSprop: s ← β·s + (1 − β)·dW², W ← W − α·dW/(√s + ε) (β default 0.9, ε default 1e-8, outside
 * the square root as in PyTorch).
 *
 * @example
 * const rmsprop = new RmsProp({ learningRate: 1e-3 }, network.backend);
 */
export class RmsProp extends SlotOptimizer {
  private readonly beta: number;
  private readonly epsilon: number;

  constructor(config: OptimizerBase & { readonly beta?: number; readonly epsilon?: number }, backend: Backend) {
    const beta = checkBeta('rmsprop', 'beta', config.beta ?? 0.9);
    const epsilon = config.epsilon ?? 1e-8;
    super({ ...config, type: 'rmsprop', beta, epsilon }, backend);
    this.beta = beta;
    this.epsilon = epsilon;
  }

  protected update(param: Param, lr: number, wd: number): void {
    this.backend.rmspropStep(param.value, param.grad, this.slot(param, 'meanSquare'), lr, wd, this.beta, this.epsilon);
  }
}
