import { map, type OperatorFunction } from 'rxjs';
import type { ScoredPass } from './loss.js';

/**
 * Backpropagates each scored pass through its network, filling every parameter's gradient, and
 * re-emits the pass. Needs a pass made in train mode.
 *
 * @example
 * batches$.pipe(forward(network), loss(), backward(), optimizerStep(adam));
 */
export function backward(): OperatorFunction<ScoredPass, ScoredPass> {
  return map((pass) => {
    if (!pass.dLogits) throw new Error('backward: the pass has no gradient; run forward in train mode');
    pass.network.backward(pass.dLogits, pass.context);
    return pass;
  });
}
