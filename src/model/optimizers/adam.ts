import type { Param } from '../layer.js';
import type { Backend } from '../backend.js';
import type { Kernels } from '../kernels.js';
import { type Allocator, float32Allocator } from '../matrix.js';
import { checkBeta, type OptimizerBase, SlotOptimizer } from './optimizer.js';

/**
 * Adam with bias correction: m ← β₁·m + (1 − β₁)·dW, v ← β₂·v + (1 − β₂)·dW²,
 * m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), W ← W − α·m̂/(√v̂ + ε). Defaults β₁ 0.9, β₂ 0.999, ε 1e-8.
 *
 * @example
 * const adam = new Adam({ learningRate: 1e-3 });
 */
export class Adam extends SlotOptimizer {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly kernels: Kernels | undefined;

  /**
   * @param allocator where the moments live; pass a backend to keep them beside the weights and
   *   let its kernels take the step (WebAssembly SIMD).
   */
  constructor(
    config: OptimizerBase & { readonly beta1?: number; readonly beta2?: number; readonly epsilon?: number },
    allocator: Allocator | Backend = float32Allocator,
  ) {
    const beta1 = checkBeta('adam', 'beta1', config.beta1 ?? 0.9);
    const beta2 = checkBeta('adam', 'beta2', config.beta2 ?? 0.999);
    const epsilon = config.epsilon ?? 1e-8;
    super({ ...config, type: 'adam', beta1, beta2, epsilon }, 'alloc' in allocator ? allocator : allocator.allocator);
    this.kernels = 'kernels' in allocator ? allocator.kernels : undefined;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  protected update(param: Param, lr: number, wd: number, t: number): void {
    const { value: w, grad } = param;
    const m = this.slot(param, 'm');
    const v = this.slot(param, 'v');
    const { beta1, beta2, epsilon } = this;
    const correction1 = 1 - beta1 ** t;
    const correction2 = 1 - beta2 ** t;
    const hyper = { learningRate: lr, beta1, beta2, epsilon, correction1, correction2, weightDecay: wd };
    if (this.kernels?.adamStep?.(w, grad, m, v, hyper)) return;
    for (let i = 0; i < w.length; i++) {
      const g = grad[i]! + wd * w[i]!;
      m[i] = beta1 * m[i]! + (1 - beta1) * g;
      v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
      w[i]! -= (lr * (m[i]! / correction1)) / (Math.sqrt(v[i]! / correction2) + epsilon);
    }
  }
}
