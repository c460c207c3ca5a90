import type { AdamTensor, Backend } from '../backend.js';
import type { Param } from '../layer.js';
import { checkBeta, type OptimizerBase, SlotOptimizer } from './optimizer.js';

/**
 * Adam with bias correction: m ← β₁·m + (1 − β₁)·dW, v ← β₂·v + (1 − β₂)·dW²,
 * m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), W ← W − α·m̂/(√v̂ + ε). Defaults β₁ 0.9, β₂ 0.999, ε 1e-8.
 *
 * @example
 * const adam = new Adam({ learningRate: 1e-3 }, network.backend);
 */
export class Adam extends SlotOptimizer {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(config: OptimizerBase & { readonly beta1?: number; readonly beta2?: number; readonly epsilon?: number }, backend: Backend) {
    const beta1 = checkBeta('adam', 'beta1', config.beta1 ?? 0.9);
    const beta2 = checkBeta('adam', 'beta2', config.beta2 ?? 0.999);
    const epsilon = config.epsilon ?? 1e-8;
    super({ ...config, type: 'adam', beta1, beta2, epsilon }, backend);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  /** The tensors of the last step, rebuilt when the parameters or the moments change. */
  private tensors: AdamTensor[] = [];
  private tensorsOf: readonly Param[] | undefined;
  private tensorsVersion = -1;

  /** One pass over every parameter (`adamSteps`): the same values as a step per parameter. */
  override step(params: readonly Param[], learningRate: number): void {
    this.countStep();
    const t = this.steps;
    if (params !== this.tensorsOf || this.slotsVersion !== this.tensorsVersion) {
      const decay = this.config.weightDecay ?? 0;
      this.tensors = params.map((param) => ({
        w: param.value,
        g: param.grad,
        m: this.slot(param, 'm'),
        v: this.slot(param, 'v'),
        weightDecay: param.decay ? decay : 0,
      }));
      this.tensorsOf = params;
      this.tensorsVersion = this.slotsVersion;
    }
    const { beta1, beta2, epsilon } = this;
    this.backend.adamSteps(this.tensors, {
      learningRate,
      beta1,
      beta2,
      epsilon,
      correction1: 1 - beta1 ** t,
      correction2: 1 - beta2 ** t,
      weightDecay: 0,
    });
  }

  protected update(param: Param, lr: number, wd: number, t: number): void {
    const { value: w, grad } = param;
    const m = this.slot(param, 'm');
    const v = this.slot(param, 'v');
    const { beta1, beta2, epsilon } = this;
    const correction1 = 1 - beta1 ** t;
    const correction2 = 1 - beta2 ** t;
    const hyper = { learningRate: lr, beta1, beta2, epsilon, correction1, correction2, weightDecay: wd };
    this.backend.adamStep(w, grad, m, v, hyper);
  }
}
