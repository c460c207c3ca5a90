import type { Param } from '../layer.js';
import { type Allocator, float32Allocator } from '../matrix.js';
import { checkBeta, type OptimizerBase, SlotOptimizer } from './optimizer.js';

/**
 * Gradient descent with momentum as an exponentially weighted average of gradients:
 * v ← β·v + (1 − β)·dW, W ← W − α·v (β default 0.9). PyTorch's SGD momentum (v ← μ·v + g) is the
 * same direction scaled by 1/(1 − β): multiply α by (1 − β) to match it.
 *
 * @example
 * const momentum = new Momentum({ learningRate: 0.1, beta: 0.9 });
 */
export class Momentum extends SlotOptimizer {
  private readonly beta: number;

  constructor(config: OptimizerBase & { readonly beta?: number }, allocator: Allocator = float32Allocator) {
    const beta = checkBeta('momentum', 'beta', config.beta ?? 0.9);
    super({ ...config, type: 'momentum', beta }, allocator);
    this.beta = beta;
  }

  protected update(param: Param, lr: number, wd: number): void {
    const { value: w, grad: g } = param;
    const v = this.slot(param, 'velocity');
    const beta = this.beta;
    for (let i = 0; i < w.length; i++) {
      v[i] = beta * v[i]! + (1 - beta) * (g[i]! + wd * w[i]!);
      w[i]! -= lr * v[i]!;
    }
  }
}
