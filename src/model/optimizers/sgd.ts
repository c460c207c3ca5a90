import type { Backend } from '../backend.js';
import type { Param } from '../layer.js';
import { type OptimizerBase, SlotOptimizer } from './optimizer.js';

/**
 * Plain gradient descent: W ← W − α·dW.
 *
 * @example
 * const sgd = new Sgd({ learningRate: 0.1 }, network.backend);
 */
export class Sgd extends SlotOptimizer {
  constructor(config: OptimizerBase, backend: Backend) {
    super({ ...config, type: 'sgd' }, backend);
  }

  protected update(param: Param, lr: number, wd: number): void {
    this.backend.sgdStep(param.value, param.grad, lr, wd);
  }
}
