import type { Backend } from '../backend.js';
import { Adam } from './adam.js';
import { Momentum } from './momentum.js';
import type { Optimizer, OptimizerConfig, OptimizerName } from './optimizer.js';
import { RmsProp } from './rmsprop.js';
import { Sgd } from './sgd.js';

/** Every optimizer's name (the settings' `--optimizer` choices). */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'sgd', 'momentum', 'rmsprop'];

/**
 * Builds an optimizer from its configuration (as stored in a saved model or a config file). The
 * moments live on `backend` (the network's), whose ops take the steps.
 *
 * @example
 * const opt = createOptimizer({ type: 'momentum', learningRate: 0.05, beta: 0.9 }, network.backend);
 */
export function createOptimizer(config: OptimizerConfig, backend: Backend): Optimizer {
  switch (config.type) {
    case 'sgd':
      return new Sgd(config, backend);
    case 'momentum':
      return new Momentum(config, backend);
    case 'rmsprop':
      return new RmsProp(config, backend);
    case 'adam':
      return new Adam(config, backend);
    default:
      throw new RangeError(
        `createOptimizer: unknown optimizer '${(config as { type: string }).type}'; expected one of ${OPTIMIZER_NAMES.join(', ')}`,
      );
  }
}
