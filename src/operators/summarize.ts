import { Observable, type OperatorFunction } from 'rxjs';
import { type Standardizer, StandardizerAccumulator } from '../model/standardizer.js';
import { type Example, type ExampleBlock, isExampleBlock } from '../streams/records/examples.js';

/** What one pass over a dataset learned about it. */
export interface DatasetSummary {
  readonly rows: number;
  readonly cols: number;
  /** 1 + the largest label seen. */
  readonly classes: number;
  /** Examples per class. */
  readonly classCounts: readonly number[];
  /** Per-feature mean and standard deviation, ready for `normalize`. */
  readonly standardizer: Standardizer;
}

/**
 * Reduces a dataset, in one streaming pass, to its size, class count and per-feature statistics:
 * what training needs to know before its first epoch. Emits once, on completion.
 *
 * @example
 * const summary = await lastValueFrom(readArrow('train.arrow').pipe(summarize()));
 */
export function summarize(): OperatorFunction<ExampleBlock | Example, DatasetSummary> {
  return (source) =>
    new Observable<DatasetSummary>((subscriber) => {
      let accumulator: StandardizerAccumulator | undefined;
      const counts: number[] = [];
      const count = (label: number) => {
        while (counts.length <= label) counts.push(0);
        counts[label]!++;
      };
      return source.subscribe({
        next(item) {
          if (isExampleBlock(item)) {
            accumulator ??= new StandardizerAccumulator(item.cols);
            accumulator.add(item.features, item.rows);
            for (let i = 0; i < item.rows; i++) count(item.labels[i]!);
          } else {
            accumulator ??= new StandardizerAccumulator(item.features.length);
            accumulator.add(item.features, 1);
            count(item.label);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          if (!accumulator) return subscriber.error(new RangeError('summarize: the dataset is empty'));
          subscriber.next({
            rows: accumulator.rows,
            cols: accumulator.size,
            classes: counts.length,
            classCounts: counts,
            standardizer: accumulator.finish(),
          });
          subscriber.complete();
        },
      });
    });
}
