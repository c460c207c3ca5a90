import { DataError } from '../errors.js';
import type { DatasetSummary } from '../operators/summarize.js';

/**
 * Refuses training data no classifier can learn from, before the first epoch: fewer than two rows
 * (a training batch of one has no batch statistics and its loss is NaN; PyTorch's BatchNorm refuses
 * it too) or rows of a single class (the model would always answer that class, and `evaluate` and
 * `predict` could not use it). `what` says which rows were counted, when not the whole file.
 *
 * @example
 * checkTrainable(summary, { file: 'train.csv', column: 'species' }); // throws DataError on one class
 */
export function checkTrainable(
  summary: DatasetSummary,
  where: { readonly file: string; readonly column: string; readonly what?: string },
  classNames?: readonly string[],
): void {
  const rows = where.what ? `${where.what} have` : 'the file has';
  if (summary.rows < 2) {
    throw new DataError(
      `${rows} ${summary.rows === 0 ? 'no rows' : 'one row'}: training needs at least two (a mini-batch of one has no batch statistics)`,
      { file: where.file },
    );
  }
  const present = summary.classCounts.flatMap((count, label) => (count > 0 ? [label] : []));
  if (present.length < 2) {
    const only =
      present[0] === undefined ? '' : ` (${classNames?.[present[0]] !== undefined ? JSON.stringify(classNames[present[0]]) : present[0]})`;
    throw new DataError(`every row has the same label${only}: a classifier needs rows of at least two classes to learn from`, {
      file: where.file,
      column: where.column,
    });
  }
}
