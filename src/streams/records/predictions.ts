/**
 * Predictions for a run of consecutive rows, as `predict` emits them and `writePredictions`
 * writes them. The arrays are the emission's own.
 *
 * @example
 * predictions.predicted[0]; // the class of the first row
 */
export interface Predictions {
  readonly rows: number;
  readonly classes: number;
  /** The hardmax class of each row. */
  readonly predicted: Int32Array;
  /** rows × classes softmax probabilities. */
  readonly probabilities: Float32Array;
  /** The columns the source kept (`keep`), each with one value per row. */
  readonly kept?: readonly (readonly string[])[];
}
