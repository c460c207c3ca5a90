import type { Param } from '../layer.js';
import { type Allocator, float32Allocator } from '../matrix.js';
import { type OptimizerBase, SlotOptimizer } from './optimizer.js';

/**
 * Plain gradient descent: W ← W − α·dW.
 *
 * @example
 * const sgd = new Sgd({ learningRate: 0.1 });
 */
export class Sgd extends SlotOptimizer {
  constructor(config: OptimizerBase, allocator: Allocator = float32Allocator) {
    super({ ...config, type: 'sgd' }, allocator);
  }

  protected update(param: Param, lr: number, wd: number): void {
    const { value: w, grad: g } = param;
    for (let i = 0; i < w.length; i++) w[i]! -= lr * (g[i]! + wd * w[i]!);
  }
}
