import { defer, map, type OperatorFunction } from 'rxjs';
import type { FloatArray } from '../model/matrix.js';
import type { Standardizer } from '../model/standardizer.js';
import type { MiniBatch } from '../streams/miniBatches.js';

/**
 * Standardizes each mini-batch's inputs with statistics fitted on the training data,
 * x ← (x − mean)/std per feature, into a new array (the input batch is left untouched). With
 * `recycle`, the output buffers belong to the subscription and are reused, so an emitted batch is
 * valid only until the next one: for pipelines that consume each batch at once, as training does.
 *
 * @example
 * batches$.pipe(normalize(standardizer), forward(network));
 */
export function normalize(standardizer: Standardizer, options: { readonly recycle?: boolean } = {}): OperatorFunction<MiniBatch, MiniBatch> {
  const recycle = options.recycle ?? false;
  return (source) =>
    defer(() => {
      const buffers = new Map<number, FloatArray>();
      return source.pipe(
        map((batch): MiniBatch => {
          if (batch.x.cols !== standardizer.size) {
            throw new RangeError(`normalize: the standardizer was fitted on ${standardizer.size} features, the batch has ${batch.x.cols}`);
          }
          const length = batch.x.rows * batch.x.cols;
          let out = recycle ? buffers.get(length) : undefined;
          if (out === undefined) {
            out = new Float32Array(length);
            if (recycle) buffers.set(length, out);
          }
          standardizer.apply(batch.x.data, batch.x.rows, out);
          return { ...batch, x: { rows: batch.x.rows, cols: batch.x.cols, data: out } };
        }),
      );
    });
}
