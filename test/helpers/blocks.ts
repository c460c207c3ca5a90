import type { ExampleBlock } from '../../src/streams/examples.js';
import type { MiniBatch } from '../../src/operators/miniBatches.js';

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

/** A mini-batch from plain arrays. */
export function batchOf(x: number[][], labels: number[], epoch = 1, index = 0): MiniBatch {
  const cols = x[0]!.length;
  return { x: { rows: x.length, cols, data: Float32Array.from(x.flat()) }, labels: Int32Array.from(labels), size: x.length, epoch, index };
}
