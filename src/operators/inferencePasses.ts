import { defer, finalize, type OperatorFunction, pipe } from 'rxjs';
import type { Network } from '../model/network.js';
import type { Standardizer } from '../model/standardizer.js';
import type { Example, ExampleBlock } from '../streams/records/examples.js';
import { type ForwardPass, forward } from './forward.js';
import { miniBatches } from './miniBatches.js';
import { normalize } from './normalize.js';

/**
 * The shared front of `evaluate` and `predict`: examples in input order, cut into batches,
 * standardized, and run forward in inference mode, all in one workspace of the network's pool per
 * subscription. Buffers are recycled: each pass is consumed before the next.
 * @internal
 */
export function inferencePasses(
  network: Network,
  options: { readonly standardizer?: Standardizer | undefined; readonly batchSize?: number },
): OperatorFunction<ExampleBlock | Example, ForwardPass> {
  return (source) =>
    defer(() => {
      const workspace = network.acquireWorkspace();
      return source.pipe(
        miniBatches({ batchSize: options.batchSize ?? 256, shuffle: false, recycle: true }),
        options.standardizer ? normalize(options.standardizer, { recycle: true, workspace }) : pipe(),
        forward(network, { mode: 'inference', workspace }),
        finalize(() => network.releaseWorkspace(workspace)),
      );
    });
}
