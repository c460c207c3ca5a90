/**
 * Feature values as a source delivers them: float32, or the bytes of 8-bit images kept as they are
 * until they are standardized into a model's memory (`readArrow(file, { keepBytes: true })`).
 */
export type FeatureArray = Float32Array | Uint8Array;

/**
 * A block of labelled examples, row-major: what sources emit and what `miniBatches` cuts up.
 * An Arrow source emits one block per record batch.
 *
 * @example
 * const block: ExampleBlock = { features: Float32Array.of(0, 1, 1, 0), labels: Int32Array.of(1, 0), rows: 2, cols: 2, firstRow: 0 };
 */
export interface ExampleBlock {
  /** rows × cols features, one row per example. */
  readonly features: FeatureArray;
  /** One class index per row (−1 where a source was read without labels). */
  readonly labels: Int32Array;
  readonly rows: number;
  readonly cols: number;
  /** The dataset-wide index of the first row, for error messages and predictions. */
  readonly firstRow: number;
  /** Columns carried along as text (an id), one array of `rows` values per column asked for with `keep`. */
  readonly kept?: readonly (readonly string[])[];
}

/**
 * One labelled example, for live sources that produce examples one at a time.
 *
 * @example
 * const subject = new Subject<Example>();
 * subject.next({ features: [0.1, 0.7, 0.2], label: 1 });
 */
export interface Example {
  readonly features: ArrayLike<number>;
  readonly label: number;
}

/**
 * Tells a block from a single example.
 *
 * @example
 * if (isExampleBlock(item)) console.log(item.rows);
 */
export function isExampleBlock(item: ExampleBlock | Example): item is ExampleBlock {
  return (item as ExampleBlock).rows !== undefined;
}
