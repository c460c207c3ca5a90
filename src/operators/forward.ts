import { defer, finalize, map, type OperatorFunction } from 'rxjs';
import type { Mode, PassContext, Workspace } from '../model/layer.js';
import type { Matrix } from '../model/matrix.js';
import type { Network } from '../model/network.js';
import type { MiniBatch } from './miniBatches.js';

/**
 * A mini-batch after the forward pass: its logits, and the pass context that `backward` needs.
 * `logits` lives in the run's workspace and is overwritten by the next batch.
 */
export interface ForwardPass {
  readonly batch: MiniBatch;
  readonly logits: Matrix;
  readonly network: Network;
  readonly context: PassContext;
}

/** Options of `forward`. */
export interface ForwardOptions {
  /** 'train' uses mini-batch statistics and updates running ones; 'inference' uses the running ones. Default 'train'. */
  readonly mode?: Mode;
  /** With each batch's epoch and index, fixes the dropout masks of a training pass. Default 0. */
  readonly seed?: number;
  /** The workspace to run in (fit passes one per run). Default: one from the network's pool for each subscription, handed back when it ends. */
  readonly workspace?: Workspace;
}

/**
 * Runs the network forward on each mini-batch and emits the logits with the pass context. A
 * training pass's dropout masks come from `seed` and the batch's epoch and index. Each
 * subscription gets its own workspace (activations saved for backward, reused buffers), so two
 * runs at once never share one; it returns to the network's pool when the subscription ends.
 *
 * @example
 * batches$.pipe(forward(network, { mode: 'train' }), loss(), backward(), optimizerStep(adam));
 */
export function forward(network: Network, options: ForwardOptions = {}): OperatorFunction<MiniBatch, ForwardPass> {
  const mode = options.mode ?? 'train';
  if (mode !== 'train' && mode !== 'inference') throw new RangeError(`forward: mode must be 'train' or 'inference', got '${String(mode)}'`);
  return (source) =>
    defer(() => {
      const workspace = options.workspace ?? network.acquireWorkspace();
      const seed = options.seed ?? 0;
      const inference: PassContext = { mode, workspace };
      return source.pipe(
        map((batch): ForwardPass => {
          const context = mode === 'train' ? { mode, workspace, key: { seed, epoch: batch.epoch, batch: batch.index } } : inference;
          return { batch, logits: network.forward(asFloats(batch, workspace), context), network, context };
        }),
        finalize(() => options.workspace ?? network.releaseWorkspace(workspace)),
      );
    });
}

/** A batch's inputs as floats: bytes are converted into the run's workspace (the model's memory). */
function asFloats(batch: MiniBatch, workspace: Workspace): Matrix {
  const { rows, cols, data } = batch.x;
  if (!(data instanceof Uint8Array)) return { rows, cols, data };
  const floats = workspace.buffer(asFloats, 'x', rows * cols);
  floats.set(data);
  return { rows, cols, data: floats };
}
