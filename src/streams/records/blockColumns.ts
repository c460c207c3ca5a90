import { type Data, DataType, type Field, type RecordBatch } from 'apache-arrow';
import { DataError } from '../../errors.js';
import { type ArrowLayout, featureWidth, isNumeric } from './columnLayout.js';
import type { FeatureArray } from './examples.js';
import { classIndexProblem, type LabelLimits, unknownClassProblem } from './labelPolicy.js';

/** Rows per tile of `copyNumberColumns` (a multiple of 8). */
const TILE_ROWS = 256;

/**
 * The wide table's fast path (one column per feature, as pandas and DuckDB write): when every
 * feature is one chunk of plain numbers without nulls, copies them into the row-major block.
 * False, having copied nothing, when a column needs the general path.
 *
 * A tile of 256 rows at a time, so that the tile's rows stay in cache while every column is
 * written into them (column by column over the whole batch, every write would miss), eight values
 * of a column per step. Measured on Fashion-MNIST's 60,000 × 784 bytes as pyarrow writes them:
 * 46 ms, against 170 ms for tiles of 16 rows copied one value at a time; tiles of 8 to 128 rows
 * took 72-90 ms.
 */
export function copyNumberColumns(
  batch: RecordBatch,
  fields: readonly Field[],
  out: FeatureArray,
  rows: number,
  cols: number,
  file: string,
  firstRow: number,
): boolean {
  if (fields.length !== cols) return false;
  const columns: Float64Array[] = [];
  const floats: boolean[] = [];
  // By position: batch.getChild searches the schema by name, which for 785 columns is most of the
  // time this takes outside the copy.
  const position = new Map<string, number>();
  batch.schema.fields.forEach((f, i) => position.has(f.name) || position.set(f.name, i));
  for (const field of fields) {
    const data = batch.data.children[position.get(field.name) ?? -1];
    if (!data || data.length !== rows || data.nullCount > 0 || !isNumeric(field.type)) return false;
    const values = data.values as unknown;
    if (
      !ArrayBuffer.isView(values) ||
      values instanceof BigInt64Array ||
      values instanceof BigUint64Array ||
      (DataType.isFloat(field.type) && field.type.precision === 0)
    )
      return false;
    columns.push((values as Float64Array).subarray(data.offset, data.offset + rows));
    floats.push(values instanceof Float32Array || values instanceof Float64Array);
  }
  const seen = transposeColumns(columns, floats, out, rows, cols);
  // The first bad value in row order, as the row-by-row copy would have met it.
  let bad: { row: number; column: number } | undefined;
  for (let j = 0; j < cols; j++) {
    if (!Number.isNaN(seen[j])) continue;
    const c = columns[j]!;
    const end = bad ? bad.row : rows;
    for (let r = 0; r < end; r++) {
      if (!Number.isFinite(c[r])) {
        bad = { row: r, column: j };
        break;
      }
    }
  }
  if (bad) {
    const value = columns[bad.column]![bad.row];
    throw new DataError('non-finite feature value', {
      file,
      column: fields[bad.column]!.name,
      row: firstRow + bad.row,
      expected: 'a finite number',
      actual: String(value),
    });
  }
  return true;
}

/**
 * The copy of `copyNumberColumns`, its own function so that V8 optimizes the loop whole (inside
 * the caller, on-stack replacement kept deoptimizing it). Returns, per column, a sum that is NaN
 * where the column may hold a non-finite value.
 */
function transposeColumns(
  columns: readonly Float64Array[],
  floats: readonly boolean[],
  out: FeatureArray,
  rows: number,
  cols: number,
): Float64Array {
  // v * 0 is NaN exactly when v is NaN or ±Infinity: one sum per column says whether to look.
  const seen = new Float64Array(cols);
  const c2 = 2 * cols;
  const c3 = 3 * cols;
  const c4 = 4 * cols;
  const c5 = 5 * cols;
  const c6 = 6 * cols;
  const c7 = 7 * cols;
  const whole = rows - (rows % 8);
  for (let r0 = 0; r0 < whole; r0 += TILE_ROWS) {
    const r1 = Math.min(whole, r0 + TILE_ROWS);
    for (let j = 0; j < cols; j++) {
      const c = columns[j]!;
      const float = floats[j]!;
      for (let r = r0; r < r1; r += 8) {
        const v0 = c[r]!;
        const v1 = c[r + 1]!;
        const v2 = c[r + 2]!;
        const v3 = c[r + 3]!;
        const v4 = c[r + 4]!;
        const v5 = c[r + 5]!;
        const v6 = c[r + 6]!;
        const v7 = c[r + 7]!;
        if (float) seen[j]! += (v0 + v1 + v2 + v3 + v4 + v5 + v6 + v7) * 0;
        const at = r * cols + j;
        out[at] = v0;
        out[at + cols] = v1;
        out[at + c2] = v2;
        out[at + c3] = v3;
        out[at + c4] = v4;
        out[at + c5] = v5;
        out[at + c6] = v6;
        out[at + c7] = v7;
      }
    }
  }
  for (let r = whole; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const v = columns[j]![r]!;
      if (floats[j]) seen[j]! += v * 0;
      out[r * cols + j] = v;
    }
  }
  return seen;
}

/** Copies one column into the row-major features; returns how many values per row it filled. */
export function copyColumn(
  chunks: readonly Data[],
  field: Field,
  out: FeatureArray,
  colOffset: number,
  cols: number,
  rows: number,
  file: string,
  firstRow: number,
  fill?: readonly number[],
): number {
  const width = featureWidth(field)!;
  let row = 0;
  for (const data of chunks) {
    if (data.nullCount > 0 && fill && width === 1) {
      // A column with nulls, and values to fill them with: value by value.
      const values = data.values as ArrayLike<number | bigint>;
      const isHalf = DataType.isFloat(field.type) && field.type.precision === 0;
      for (let i = 0; i < data.length; i++) {
        const at = (row + i) * cols + colOffset;
        if (!data.getValid(i)) {
          out[at] = fill[colOffset]!;
          continue;
        }
        const raw = values[data.offset + i]!;
        const v = isHalf ? float16ToNumber(raw as number) : Number(raw);
        if (!Number.isFinite(v))
          throw new DataError('non-finite feature value', {
            file,
            column: field.name,
            row: firstRow + row + i,
            expected: 'a finite number',
            actual: String(v),
          });
        out[at] = v;
      }
      row += data.length;
      continue;
    }
    if (data.nullCount > 0)
      throw new DataError('null value in a feature column', {
        file,
        column: field.name,
        row: firstRow + row + firstNull(data),
        expected: fill ? 'a number (a list column cannot be filled)' : 'a number (or --fill-missing mean|zero)',
      });
    let values: ArrayLike<number | bigint>;
    let start: number;
    if (width === 1) {
      values = data.values as ArrayLike<number | bigint>;
      start = data.offset;
    } else {
      const child = data.children[0]!;
      if (child.nullCount > 0)
        throw new DataError('null value inside a list column', { file, column: field.name, row: firstRow + row, expected: 'a number' });
      values = child.values as ArrayLike<number | bigint>;
      start = child.offset + data.offset * width;
    }
    const isFloat16 = DataType.isFloat(field.type)
      ? field.type.precision === 0
      : DataType.isFixedSizeList(field.type) &&
        DataType.isFloat(field.type.children[0]!.type) &&
        field.type.children[0]!.type.precision === 0;
    // The common case of one list column of 8- to 32-bit integers (pixels): a typed-array copy,
    // and no finiteness check, since integers are always finite.
    if (
      width === cols &&
      !isFloat16 &&
      ArrayBuffer.isView(values) &&
      !(values instanceof BigInt64Array || values instanceof BigUint64Array) &&
      !(values instanceof Float32Array || values instanceof Float64Array)
    ) {
      out.set((values as Uint8Array).subarray(start, start + data.length * width), row * cols);
      row += data.length;
      continue;
    }
    // One column of numbers (a wide table, as pandas writes it): a strided copy, checked for
    // finiteness only where it can fail (floats), without the general loop's per-value branches.
    if (width === 1 && !isFloat16 && ArrayBuffer.isView(values) && !(values instanceof BigInt64Array || values instanceof BigUint64Array)) {
      const typed = values as Float64Array;
      const float = typed instanceof Float32Array || typed instanceof Float64Array;
      let at = row * cols + colOffset;
      for (let i = 0; i < data.length; i++, at += cols) {
        const v = typed[start + i]!;
        if (float && !Number.isFinite(v))
          throw new DataError('non-finite feature value', {
            file,
            column: field.name,
            row: firstRow + row + i,
            expected: 'a finite number',
            actual: String(v),
          });
        out[at] = v;
      }
      row += data.length;
      continue;
    }
    for (let i = 0; i < data.length; i++) {
      const base = (row + i) * cols + colOffset;
      const source = start + i * width;
      for (let k = 0; k < width; k++) {
        const raw = values[source + k]!;
        const v = isFloat16 ? float16ToNumber(raw as number) : Number(raw);
        if (!Number.isFinite(v)) {
          throw new DataError('non-finite feature value', {
            file,
            column: width === 1 ? field.name : `${field.name}[${k}]`,
            row: firstRow + row + i,
            expected: 'a finite number',
            actual: String(v),
          });
        }
        out[base + k] = v;
      }
    }
    row += data.length;
  }
  if (row !== rows) throw new DataError('column length differs from the record batch', { file, column: field.name });
  return width;
}

/** Class names to class indices, by `classNames`; a name not among them is a DataError naming its row. */
export function copyTextLabels(
  column: { get(i: number): unknown; length: number },
  out: Int32Array,
  layout: ArrowLayout,
  firstRow: number,
  classNames: readonly string[] | undefined,
): void {
  const file = layout.file;
  const columnName = layout.label!;
  if (!classNames)
    throw new DataError('the labels are text: give the class names (readArrow(file, { classNames }))', { file, column: columnName });
  const index = new Map(classNames.map((name, i) => [name, i]));
  for (let i = 0; i < column.length; i++) {
    const value = column.get(i);
    const at = { file, column: columnName, row: firstRow + i };
    if (value === null || value === undefined) throw new DataError('missing label', { ...at, expected: 'a class name' });
    const cls = index.get(String(value));
    if (cls === undefined) {
      const { problem, expected } = unknownClassProblem(classNames);
      throw new DataError(problem, { ...at, actual: `'${String(value)}'`, expected });
    }
    out[i] = cls;
  }
}

/** Class indices from a numeric label column, each checked by the label policy (`classIndexProblem`). */
export function copyLabels(chunks: readonly Data[], out: Int32Array, layout: ArrowLayout, firstRow: number, limits: LabelLimits): void {
  const column = layout.label!;
  const file = layout.file;
  let row = 0;
  for (const data of chunks) {
    if (data.nullCount > 0)
      throw new DataError('missing label', { file, column, row: firstRow + row + firstNull(data), expected: 'a class index' });
    const values = data.values as ArrayLike<number | bigint>;
    // Half floats arrive as their 16 raw bits.
    const half = DataType.isFloat(data.type) && data.type.precision === 0;
    for (let i = 0; i < data.length; i++) {
      const raw = values[data.offset + i]!;
      const v = half ? float16ToNumber(raw as number) : Number(raw);
      const problem = classIndexProblem(v, limits);
      if (problem)
        throw new DataError(problem.problem, {
          file,
          column,
          row: firstRow + row + i,
          actual: String(half ? v : raw),
          expected: problem.expected,
        });
      out[row + i] = v;
    }
    row += data.length;
  }
}

/** A column of bytes, plain or as a fixed-size list (image pixels). */
export function isByteColumn(field: Field): boolean {
  const type = DataType.isFixedSizeList(field.type) ? field.type.children[0]!.type : field.type;
  return DataType.isInt(type) && type.bitWidth === 8 && !type.isSigned;
}

function firstNull(data: Data): number {
  for (let i = 0; i < data.length; i++) if (!data.getValid(i)) return i;
  return 0;
}

function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
