/**
 * One step of an exponentially weighted average: v ← β·v + (1 − β)·x. With β = 0.9 it averages
 * over roughly the last 1/(1 − β) = 10 values. Batch normalization's running statistics and the
 * `ewma` learning-curve operator both use it.
 *
 * @example
 * let v = 0;
 * for (const x of [1, 2, 3]) v = ewaUpdate(v, x, 0.9);
 */
export function ewaUpdate(average: number, value: number, beta: number): number {
  return beta * average + (1 - beta) * value;
}
