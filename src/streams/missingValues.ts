import { lastValueFrom, type OperatorFunction, pipe, reduce } from 'rxjs';
import { type ReadDataOptions, readData } from './readData.js';
import type { ExampleBlock } from './records/examples.js';

/** How missing feature values are filled: each feature's mean over the rows that have it, or zero (scikit-learn's SimpleImputer strategies 'mean' and 'constant'). */
export type MissingValueStrategy = 'mean' | 'zero';

/**
 * The values that fill a file's missing features, one per feature value: zeros, or each
 * feature's mean over the rows where it is present (one streamed pass). A feature with no value at
 * all is filled with 0. What a model keeps, so that predictions fill the same way. `rows` chooses
 * the rows the means are taken over, as scikit-learn's imputer is fitted on the training part
 * only: `splitRows({ …, part: 'train' })` leaves the validation rows out.
 *
 * @example
 * const { features, cols } = await inspectData('train.csv', { label: 'label' });
 * const fillMissing = await missingValueFill('train.csv', { label: 'label', features }, 'mean', cols);
 * readData('train.csv', { label: 'label', fillMissing });
 */
export async function missingValueFill(
  file: string,
  options: ReadDataOptions,
  strategy: MissingValueStrategy,
  cols: number,
  rows: OperatorFunction<ExampleBlock, ExampleBlock> = pipe(),
): Promise<number[]> {
  if (strategy === 'zero') return new Array<number>(cols).fill(0);
  const nan = new Array<number>(cols).fill(Number.NaN);
  const { sums, counts } = await lastValueFrom(
    readData(file, { ...options, fillMissing: nan, keepBytes: false, recycle: true }).pipe(
      rows,
      reduce(
        (acc, block) => {
          for (let i = 0; i < block.rows; i++) {
            for (let j = 0; j < block.cols; j++) {
              const v = block.features[i * block.cols + j]!;
              if (Number.isNaN(v)) continue;
              acc.sums[j]! += v;
              acc.counts[j]!++;
            }
          }
          return acc;
        },
        { sums: new Float64Array(cols), counts: new Float64Array(cols) },
      ),
    ),
  );
  return Array.from(sums, (sum, j) => (counts[j]! > 0 ? sum / counts[j]! : 0));
}
