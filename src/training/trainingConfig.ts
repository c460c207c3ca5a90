import type { ClassWeightSetting } from '../model/classWeights.js';
import type { ActivationName } from '../model/layer.js';
import type { NetworkOptions } from '../model/network.js';
import type { OptimizerConfig, OptimizerName } from '../model/optimizers/optimizer.js';
import type { Schedule } from '../model/schedule.js';

/**
 * Everything that defines one training run: what `rxgrad train --config FILE` reads and what a
 * tuning study writes for its best trial.
 *
 * @example
 * const config: TrainingConfig = { ...DEFAULT_TRAINING_CONFIG, learningRate: 3e-3, hidden: [128] };
 */
export interface TrainingConfig {
  readonly hidden: readonly number[];
  readonly activation: ActivationName;
  readonly batchNorm: boolean;
  /** Inverted dropout after each hidden activation, in [0, 1); none when 0 or absent. */
  readonly dropout?: number | undefined;
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  /** β of momentum and RMSprop, or Adam's β₁; the optimizer's default when absent. */
  readonly momentum?: number | undefined;
  /** For the momentum optimizer: 'ewa' (default) or 'pytorch' (see `MomentumConvention`). */
  readonly momentumConvention?: 'ewa' | 'pytorch' | undefined;
  readonly beta2?: number | undefined;
  readonly epsilon?: number | undefined;
  readonly weightDecay: number;
  /** Weights of the classes in the training loss: 'balanced' (n / (k · count)) or a weight per class label; none when absent. */
  readonly classWeight?: ClassWeightSetting | undefined;
  /**
   * How the learning rate falls from epoch to epoch: a number is inverse-time decay,
   * α = α₀/(1 + lrDecay·epoch), 0 for none (what a study samples); or any `Schedule`.
   */
  readonly lrDecay: number | Schedule;
  readonly batchSize: number;
  readonly epochs: number;
  readonly seed: number;
}

export { DEFAULT_TRAINING_CONFIG } from './settings.js';

/**
 * The optimizer a configuration asks for.
 *
 * @example
 * optimizerConfigOf(DEFAULT_TRAINING_CONFIG) // { type: 'adam', learningRate: 0.001, weightDecay: 0 }
 */
export function optimizerConfigOf(config: TrainingConfig): OptimizerConfig {
  const base = { learningRate: config.learningRate, weightDecay: config.weightDecay };
  const beta = config.momentum;
  switch (config.optimizer) {
    case 'sgd':
      return { type: 'sgd', ...base };
    case 'momentum':
      return {
        type: 'momentum',
        ...base,
        ...(beta !== undefined ? { beta } : {}),
        ...(config.momentumConvention ? { convention: config.momentumConvention } : {}),
      };
    case 'rmsprop':
      return {
        type: 'rmsprop',
        ...base,
        ...(beta !== undefined ? { beta } : {}),
        ...(config.epsilon !== undefined ? { epsilon: config.epsilon } : {}),
      };
    case 'adam':
      return {
        type: 'adam',
        ...base,
        ...(beta !== undefined ? { beta1: beta } : {}),
        ...(config.beta2 !== undefined ? { beta2: config.beta2 } : {}),
        ...(config.epsilon !== undefined ? { epsilon: config.epsilon } : {}),
      };
    default:
      throw new RangeError(`unknown optimizer '${String(config.optimizer)}'`);
  }
}

/**
 * The learning-rate schedule of a configuration.
 *
 * @example
 * scheduleOf({ ...DEFAULT_TRAINING_CONFIG, lrDecay: 0.1 }) // { type: 'inverse', decay: 0.1 }
 * scheduleOf({ ...DEFAULT_TRAINING_CONFIG, lrDecay: { type: 'step', every: 1, gamma: 0.5 } }) // that schedule
 */
export function scheduleOf(config: TrainingConfig): Schedule {
  const decay = config.lrDecay;
  if (typeof decay === 'object') return decay.type === 'inverse' && decay.decay === 0 ? { type: 'constant' } : decay;
  return decay > 0 ? { type: 'inverse', decay } : { type: 'constant' };
}

export { lrDecayOf } from '../model/schedule.js';

/**
 * The architecture a configuration asks for, as `createNetwork` takes it (sizes and backend aside).
 *
 * @example
 * createNetwork({ inputSize: 64, classes: 10, ...networkOptionsOf(config), backend: createBackend() });
 */
export function networkOptionsOf(config: TrainingConfig): Omit<NetworkOptions, 'inputSize' | 'classes' | 'backend'> {
  return {
    hidden: config.hidden,
    activation: config.activation,
    batchNorm: config.batchNorm,
    dropout: config.dropout ?? 0,
    seed: config.seed,
  };
}
