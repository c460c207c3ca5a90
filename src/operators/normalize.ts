import { defer, finalize, map, type OperatorFunction } from 'rxjs';
import { Workspace } from '../model/layer.js';
import type { Network } from '../model/network.js';
import type { Standardizer } from '../model/standardizer.js';
import { typescriptBackend } from '../model/typescriptBackend.js';
import type { MiniBatch } from './miniBatches.js';

/** Options of `normalize`. */
export interface NormalizeOptions {
  /**
   * Reuse the output buffers: an emitted batch is then valid only until the next one, for
   * pipelines that consume each batch at once, as training does. Default false.
   */
  readonly recycle?: boolean;
  /** Standardize on this network's backend, into a workspace of its pool (its memory). Default: the TypeScript backend. */
  readonly network?: Network;
  /** The run's workspace to standardize into (fit passes one per run); it wins over `network`. */
  readonly workspace?: Workspace;
}

/**
 * Standardizes each mini-batch's inputs with statistics fitted on the training data,
 * x ← (x − mean)/std per feature, into a new array (the input batch is left untouched). Each
 * subscription gets its own buffers; with `recycle` they are reused from batch to batch.
 *
 * @example
 * batches$.pipe(normalize(standardizer, { network }), forward(network));
 */
export function normalize(standardizer: Standardizer, options: NormalizeOptions = {}): OperatorFunction<MiniBatch, MiniBatch> {
  const recycle = options.recycle ?? false;
  const cols = standardizer.size;
  return (source) =>
    defer(() => {
      const { network } = options;
      const borrowed = options.workspace === undefined && network !== undefined;
      const workspace = options.workspace ?? network?.acquireWorkspace() ?? new Workspace(typescriptBackend);
      const { backend } = workspace;
      const mean = workspace.buffer(standardizer, 'mean', cols);
      const invStd = workspace.buffer(standardizer, 'invStd', cols);
      for (let j = 0; j < cols; j++) {
        mean[j] = standardizer.mean[j]!;
        invStd[j] = 1 / standardizer.std[j]!;
      }
      return source.pipe(
        map((batch): MiniBatch => {
          if (batch.x.cols !== cols)
            throw new RangeError(`normalize: the standardizer was fitted on ${cols} features, the batch has ${batch.x.cols}`);
          const rows = batch.x.rows;
          const out = recycle ? workspace.buffer(standardizer, 'normalized', rows * cols) : new Float32Array(rows * cols);
          backend.standardize(batch.x.data, out, mean, invStd, rows, cols);
          return { ...batch, x: { rows, cols, data: out } };
        }),
        finalize(() => borrowed && network.releaseWorkspace(workspace)),
      );
    });
}
