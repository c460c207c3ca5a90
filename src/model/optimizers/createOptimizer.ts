import type { Allocator } from '../matrix.js';
import { Adam } from './adam.js';
import { Momentum } from './momentum.js';
import type { Optimizer, OptimizerConfig } from './optimizer.js';
import { RmsProp } from './rmsprop.js';
import { Sgd } from './sgd.js';

/**
 * Builds an optimizer from its configuration (as stored in a saved model or a config file).
 *
 * @example
 * const opt = createOptimizer({ type: 'momentum', learningRate: 0.05, beta: 0.9 });
 */
export function createOptimizer(config: OptimizerConfig, allocator?: Allocator): Optimizer {
  switch (config.type) {
    case 'sgd':
      return new Sgd(config, allocator);
    case 'momentum':
      return new Momentum(config, allocator);
    case 'rmsprop':
      return new RmsProp(config, allocator);
    case 'adam':
      return new Adam(config, allocator);
    default:
      throw new RangeError(`createOptimizer: unknown optimizer '${(config as { type: string }).type}'; expected sgd, momentum, rmsprop or adam`);
  }
}
