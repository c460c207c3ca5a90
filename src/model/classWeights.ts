/**
 * How to weight the classes in the loss: `'balanced'`, or a weight per class named by its label
 * (classes left out weigh 1).
 */
export type ClassWeightSetting = 'balanced' | Readonly<Record<string, number>>;

/**
 * scikit-learn's and Keras's "balanced" weights, n / (k · countᵢ): each class then carries the
 * same total weight. A class with no examples gets 0 (it contributes nothing either way).
 *
 * @example
 * balancedClassWeights([90, 10]) // Float64Array [0.5555…, 5]
 */
export function balancedClassWeights(counts: readonly number[]): Float64Array {
  const n = counts.reduce((sum, c) => sum + c, 0);
  const k = counts.length;
  return Float64Array.from(counts, (count) => (count > 0 ? n / (k * count) : 0));
}

/**
 * The weight of each class a setting asks for, given the training rows' class counts and the
 * classes' names (their labels as the data holds them; the indices when absent). Throws a
 * RangeError naming a class the data does not have, or a weight that is not a finite number ≥ 0.
 *
 * @example
 * classWeightsOf({ spam: 4 }, [80, 20], ['ham', 'spam']) // Float64Array [1, 4]
 */
export function classWeightsOf(setting: ClassWeightSetting, counts: readonly number[], classNames?: readonly string[]): Float64Array {
  if (setting === 'balanced') return balancedClassWeights(counts);
  const names = counts.map((_, i) => classNames?.[i] ?? String(i));
  const weights = new Float64Array(counts.length).fill(1);
  for (const [name, weight] of Object.entries(setting)) {
    const index = names.indexOf(name);
    if (index < 0) throw new RangeError(`class '${name}' is not one of the data's classes (${names.join(', ')})`);
    if (!(typeof weight === 'number' && Number.isFinite(weight) && weight >= 0))
      throw new RangeError(`class '${name}' has weight ${JSON.stringify(weight)}; a weight is a number ≥ 0`);
    weights[index] = weight;
  }
  return weights;
}

/**
 * Whether a value is a class-weight setting: `'balanced'` or an object of numbers ≥ 0.
 *
 * @example
 * isClassWeightSetting({ a: 2 }) // true
 */
export function isClassWeightSetting(value: unknown): value is ClassWeightSetting {
  if (value === 'balanced') return true;
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((w) => typeof w === 'number' && Number.isFinite(w) && w >= 0)
  );
}
