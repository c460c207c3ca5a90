import { defer, map, type OperatorFunction } from 'rxjs';
import type { FloatArray } from '../model/matrix.js';
import type { Workspace } from '../model/layer.js';
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
export function normalize(standardizer: Standardizer, options: { readonly recycle?: boolean; readonly workspace?: Workspace } = {}): OperatorFunction<MiniBatch, MiniBatch> {
  const recycle = options.recycle ?? false;
  const { workspace } = options;
  if (workspace && recycle) return normalizeInto(standardizer, workspace);
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

/**
 * Standardizes into the run's workspace (a model's WebAssembly memory, with its SIMD kernel),
 * so the first dense layer reads the batch where it already is.
 */
function normalizeInto(standardizer: Standardizer, workspace: Workspace): OperatorFunction<MiniBatch, MiniBatch> {
  const cols = standardizer.size;
  const mean = workspace.buffer(standardizer, 'mean', cols);
  const invStd = workspace.buffer(standardizer, 'invStd', cols);
  for (let j = 0; j < cols; j++) {
    mean[j] = standardizer.mean[j]!;
    invStd[j] = 1 / standardizer.std[j]!;
  }
  return map((batch): MiniBatch => {
    if (batch.x.cols !== cols) throw new RangeError(`normalize: the standardizer was fitted on ${cols} features, the batch has ${batch.x.cols}`);
    const rows = batch.x.rows;
    const out = workspace.buffer(standardizer, 'normalized', rows * cols);
    if (!workspace.kernels?.standardize?.(batch.x.data, out, mean, invStd, rows, cols)) standardizer.apply(batch.x.data, rows, out);
    return { ...batch, x: { rows, cols, data: out } };
  });
}
