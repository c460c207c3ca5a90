/**
 * The one policy for labels, whatever the file (Arrow, Parquet, CSV): a numeric label is a class
 * index, a whole number ≥ 0, below the model's class count when there is a model, and below
 * `maxClasses` when there is not (so that a stray 1e9 is an error naming its row, not a model with
 * a billion outputs); a text label is one of the class names.
 */

/** Labels imply at most this many classes unless the caller says otherwise (`maxClasses`). */
export const DEFAULT_MAX_CLASSES = 10_000;

/** What a numeric label is checked against. */
export interface LabelLimits {
  /** The model's class count: labels must be below it. */
  readonly classes?: number | undefined;
  /** Without `classes`, the most classes a label may imply. Default `DEFAULT_MAX_CLASSES`. */
  readonly maxClasses?: number | undefined;
}

/** What is wrong with a label, in `DataError`'s words. */
export interface LabelProblem {
  readonly problem: string;
  readonly expected: string;
}

/**
 * What is wrong with a numeric label, or undefined when it is a class index.
 *
 * @example
 * classIndexProblem(0.5, {}) // { problem: 'the label is not a whole number', expected: 'an integer class index' }
 * classIndexProblem(3, { classes: 10 }) // undefined
 */
export function classIndexProblem(value: number, limits: LabelLimits): LabelProblem | undefined {
  if (!Number.isInteger(value)) return { problem: 'the label is not a whole number', expected: 'an integer class index' };
  if (value < 0) return { problem: 'the label is negative', expected: 'a class index ≥ 0' };
  if (limits.classes !== undefined)
    return value >= limits.classes
      ? { problem: 'the label is out of range', expected: `a class index below ${limits.classes}` }
      : undefined;
  const maxClasses = limits.maxClasses ?? DEFAULT_MAX_CLASSES;
  if (value >= maxClasses)
    return {
      problem: `the label implies more than ${maxClasses} classes`,
      expected: `a class index below ${maxClasses} (raise maxClasses for more classes)`,
    };
  return undefined;
}

/**
 * The problem of a text label that is not among the class names.
 *
 * @example
 * unknownClassProblem(['cat', 'dog']) // { problem: 'the label is not one of the classes', expected: 'one of cat, dog' }
 */
export function unknownClassProblem(classNames: readonly string[]): LabelProblem {
  return {
    problem: 'the label is not one of the classes',
    expected: `one of ${classNames.slice(0, 10).join(', ')}${classNames.length > 10 ? ', …' : ''}`,
  };
}
