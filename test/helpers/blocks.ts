import type { MiniBatch } from '../../src/operators/miniBatches.js';
import type { ExampleBlock } from '../../src/streams/records/examples.js';
import { miniBatchOf } from '../../src/testing/index.js';

/** A block of `rows` examples with `cols` features where feature j of row r is r·10 + j and label = r. */
export function block(firstRow: number, rows: number, cols = 2): ExampleBlock {
  const features = new Float32Array(rows * cols);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    labels[i] = firstRow + i;
    for (let j = 0; j < cols; j++) features[i * cols + j] = (firstRow + i) * 10 + j;
  }
  return { features, labels, rows, cols, firstRow };
}

/** A mini-batch from plain arrays: the test kit's `miniBatchOf`, positionally. */
export function batchOf(x: number[][], labels: number[], epoch = 1, index = 0): MiniBatch {
  return miniBatchOf(x, labels, { epoch, index });
}
