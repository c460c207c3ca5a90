import { UsageError } from '../errors.js';
import { type ClassWeightSetting, classWeightsOf } from '../model/classWeights.js';

/**
 * The weight of each class `--class-weight` asks for, from the training rows' counts, said in one
 * line; a class the data does not have is a UsageError naming it.
 *
 * @example
 * const weights = resolveClassWeights('balanced', summary.classCounts, network.classes, ['ham', 'spam'], console.error);
 */
export function resolveClassWeights(
  setting: ClassWeightSetting,
  counts: readonly number[],
  classes: number,
  classNames: readonly string[] | undefined,
  notice: (line: string) => void,
): Float64Array {
  let weights: Float64Array;
  try {
    weights = classWeightsOf(
      setting,
      Array.from({ length: classes }, (_, i) => counts[i] ?? 0),
      classNames,
    );
  } catch (error) {
    throw new UsageError(`--class-weight: ${(error as Error).message}`);
  }
  const named = Array.from(weights, (w, i) => `${classNames?.[i] ?? i} ${Number(w.toPrecision(4))}`).join(', ');
  notice(
    `class weights (${setting === 'balanced' ? 'balanced' : 'given'}): ${named}; the training loss is weighted, validation and test metrics are not`,
  );
  return weights;
}
