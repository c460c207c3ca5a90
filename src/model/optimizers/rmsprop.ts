import type { Param } from '../layer.js';
import { type Allocator, float32Allocator } from '../matrix.js';
import { checkBeta, type OptimizerBase, SlotOptimizer } from './optimizer.js';

/**
 * RMSprop: s ← β·s + (1 − β)·dW², W ← W − α·dW/(√s + ε) (β default 0.9, ε default 1e-8, outside
 * the square root as in PyTorch).
 *
 * @example
 * const rmsprop = new RmsProp({ learningRate: 1e-3 });
 */
export class RmsProp extends SlotOptimizer {
  private readonly beta: number;
  private readonly epsilon: number;

  constructor(config: OptimizerBase & { readonly beta?: number; readonly epsilon?: number }, allocator: Allocator = float32Allocator) {
    const beta = checkBeta('rmsprop', 'beta', config.beta ?? 0.9);
    const epsilon = config.epsilon ?? 1e-8;
    super({ ...config, type: 'rmsprop', beta, epsilon }, allocator);
    this.beta = beta;
    this.epsilon = epsilon;
  }

  protected update(param: Param, lr: number, wd: number): void {
    const { value: w, grad } = param;
    const s = this.slot(param, 'meanSquare');
    const { beta, epsilon } = this;
    for (let i = 0; i < w.length; i++) {
      const g = grad[i]! + wd * w[i]!;
      s[i] = beta * s[i]! + (1 - beta) * g * g;
      w[i]! -= (lr * g) / (Math.sqrt(s[i]!) + epsilon);
    }
  }
}
