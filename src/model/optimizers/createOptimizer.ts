import type { Backend } from '../backend.js';
import type { Allocator } from '../matrix.js';
import { Adam } from './adam.js';
import { Momentum } from './momentum.js';
import type { Optimizer, OptimizerConfig } from './optimizer.js';
import { RmsProp } from './rmsprop.js';
import { Sgd } from './sgd.js';

/**
 * Builds an optimizer from its configuration (as stored in a saved model or a config file). Pass
 * the network's backend to keep the moments in its memory and let its kernels take the steps.
 *
 * @example
 * const opt = createOptimizer({ type: 'momentum', learningRate: 0.05, beta: 0.9 });
 */
export function createOptimizer(config: OptimizerConfig, storage?: Allocator | Backend): Optimizer {
  const allocator = storage === undefined || 'alloc' in storage ? storage : storage.allocator;
  switch (config.type) {
    case 'sgd':
      return new Sgd(config, allocator);
    case 'momentum':
      return new Momentum(config, allocator);
    case 'rmsprop':
      return new RmsProp(config, allocator);
    case 'adam':
      return new Adam(config, storage);
    default:
      throw new RangeError(`createOptimizer: unknown optimizer '${(config as { type: string }).type}'; expected sgd, momentum, rmsprop or adam`);
  }
}
