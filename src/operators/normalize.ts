import { defer, map, type OperatorFunction } from 'rxjs';
import type { FloatArray } from '../model/matrix.js';
import type { Standardizer } from '../model/standardizer.js';
import type { MiniBatch } from '../streams/miniBatches.js';

/**
 * Standardizes each mini-batch's inputs with statistics fitted on the training data,
 * x ← (x − mean)/std per feature. The output buffers belong to the subscription and are reused, so
 * an emitted batch is valid until the next one; the input batch is left untouched.
 *
 * @example
 * batches$.pipe(normalize(standardizer), forward(network));
 */
export function normalize(standardizer: Standardizer): OperatorFunction<MiniBatch, MiniBatch> {
  return (source) =>
    defer(() => {
      const buffers = new Map<number, FloatArray>();
      return source.pipe(
        map((batch): MiniBatch => {
          if (batch.x.cols !== standardizer.size) {
            throw new RangeError(`normalize: the standardizer was fitted on ${standardizer.size} features, the batch has ${batch.x.cols}`);
          }
          const length = batch.x.rows * batch.x.cols;
          let out = buffers.get(length);
          if (out === undefined) buffers.set(length, (out = new Float32Array(length)));
          standardizer.apply(batch.x.data, batch.x.rows, out);
          return { ...batch, x: { rows: batch.x.rows, cols: batch.x.cols, data: out } };
        }),
      );
    });
}
