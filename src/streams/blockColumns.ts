import { type Data, DataType, type Field, type RecordBatch } from 'apache-arrow';
import { DataError } from '../errors.js';
import { type ArrowLayout, featureWidth, isNumeric } from './columnLayout.js';
import type { FeatureArray } from './examples.js';
import { classIndexProblem, type LabelLimits, unknownClassProblem } from './labelPolicy.js';

/** Rows per tile of `copyNumberColumns`: a tile of a wide table's rows stays in cache while its columns are written. */
const TILE_ROWS = 16;

/**
 * The wide table's fast path (one column per feature, as pandas and DuckDB write): when every
 * feature is one chunk of plain numbers without nulls, copies them into the row-major block a
 * tile of rows at a time (column by column over the whole batch, each write would miss the
 * cache). False, having copied nothing, when a column needs the general path.
 */
export function copyNumberColumns(batch: RecordBatch, fields: readonly Field[], out: FeatureArray, rows: number, cols: number, file: string, firstRow: number): boolean {
  if (fields.length !== cols) return false;
  const columns: { values: Float64Array; start: number; float: boolean }[] = [];
  for (const field of fields) {
    const chunks = batch.getChild(field.name)!.data;
    const data = chunks[0];
    if (chunks.length !== 1 || !data || data.length !== rows || data.nullCount > 0 || !isNumeric(field.type)) return false;
    const values = data.values as unknown;
    if (!ArrayBuffer.isView(values) || values instanceof BigInt64Array || values instanceof BigUint64Array || (DataType.isFloat(field.type) && field.type.precision === 0)) return false;
    columns.push({ values: values as Float64Array, start: data.offset, float: values instanceof Float32Array || values instanceof Float64Array });
  }
  for (let r0 = 0; r0 < rows; r0 += TILE_ROWS) {
    const r1 = Math.min(rows, r0 + TILE_ROWS);
    for (let j = 0; j < cols; j++) {
      const { values, start, float } = columns[j]!;
      let at = r0 * cols + j;
      for (let r = r0; r < r1; r++, at += cols) {
        const v = values[start + r]!;
        if (float && !Number.isFinite(v)) throw new DataError('non-finite feature value', { file, column: fields[j]!.name, row: firstRow + r, expected: 'a finite number', actual: String(v) });
        out[at] = v;
      }
    }
  }
  return true;
}

/** Copies one column into the row-major features; returns how many values per row it filled. */
export function copyColumn(chunks: readonly Data[], field: Field, out: FeatureArray, colOffset: number, cols: number, rows: number, file: string, firstRow: number, fill?: readonly number[]): number {
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
        if (!Number.isFinite(v)) throw new DataError('non-finite feature value', { file, column: field.name, row: firstRow + row + i, expected: 'a finite number', actual: String(v) });
        out[at] = v;
      }
      row += data.length;
      continue;
    }
    if (data.nullCount > 0) throw new DataError('null value in a feature column', { file, column: field.name, row: firstRow + row + firstNull(data), expected: fill ? 'a number (a list column cannot be filled)' : 'a number (or --fill-missing mean|zero)' });
    let values: ArrayLike<number | bigint>;
    let start: number;
    if (width === 1) {
      values = data.values as ArrayLike<number | bigint>;
      start = data.offset;
    } else {
      const child = data.children[0]!;
      if (child.nullCount > 0) throw new DataError('null value inside a list column', { file, column: field.name, row: firstRow + row, expected: 'a number' });
      values = child.values as ArrayLike<number | bigint>;
      start = child.offset + data.offset * width;
    }
    const isFloat16 = DataType.isFloat(field.type) ? field.type.precision === 0 : DataType.isFixedSizeList(field.type) && DataType.isFloat(field.type.children[0]!.type) && field.type.children[0]!.type.precision === 0;
    // The common case of one list column of 8- to 32-bit integers (pixels): a typed-array copy,
    // and no finiteness check, since integers are always finite.
    if (width === cols && !isFloat16 && ArrayBuffer.isView(values) && !(values instanceof BigInt64Array || values instanceof BigUint64Array) && !(values instanceof Float32Array || values instanceof Float64Array)) {
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
        if (float && !Number.isFinite(v)) throw new DataError('non-finite feature value', { file, column: field.name, row: firstRow + row + i, expected: 'a finite number', actual: String(v) });
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
          throw new DataError('non-finite feature value', { file, column: width === 1 ? field.name : `${field.name}[${k}]`, row: firstRow + row + i, expected: 'a finite number', actual: String(v) });
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
export function copyTextLabels(column: { get(i: number): unknown; length: number }, out: Int32Array, layout: ArrowLayout, firstRow: number, classNames: readonly string[] | undefined): void {
  const file = layout.file;
  const columnName = layout.label!;
  if (!classNames) throw new DataError('the labels are text: give the class names (readArrow(file, { classNames }))', { file, column: columnName });
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
    if (data.nullCount > 0) throw new DataError('missing label', { file, column, row: firstRow + row + firstNull(data), expected: 'a class index' });
    const values = data.values as ArrayLike<number | bigint>;
    // Half floats arrive as their 16 raw bits.
    const half = DataType.isFloat(data.type) && data.type.precision === 0;
    for (let i = 0; i < data.length; i++) {
      const raw = values[data.offset + i]!;
      const v = half ? float16ToNumber(raw as number) : Number(raw);
      const problem = classIndexProblem(v, limits);
      if (problem) throw new DataError(problem.problem, { file, column, row: firstRow + row + i, actual: String(half ? v : raw), expected: problem.expected });
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
