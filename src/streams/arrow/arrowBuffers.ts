import { DataType, type Field } from 'apache-arrow';

/** A text or binary column's values in one batch: what 32-bit offsets can address, and at most 1 MiB a row. */
const variableLimit = (rows: number) => Math.min(2 ** 31 - 1, Math.max(64, rows * 2 ** 20));
/** Writers round buffers up to their alignment (pyarrow to 64 bytes). */
const SLACK = 64;

/** Bytes per value of a fixed-width type; undefined for others. */
function byteWidth(type: DataType): number | undefined {
  const t = type as DataType & { bitWidth?: number; precision?: number; unit?: number; byteWidth?: number };
  if (DataType.isInt(type) || DataType.isTime(type) || DataType.isDecimal(type)) return (t.bitWidth ?? 64) / 8;
  if (DataType.isFloat(type)) return [2, 4, 8][t.precision ?? 2];
  if (DataType.isDate(type)) return t.unit === 0 ? 4 : 8;
  if (DataType.isTimestamp(type) || DataType.isDuration(type)) return 8;
  if (DataType.isInterval(type)) return [4, 8, 16][t.unit ?? 2];
  if (DataType.isFixedSizeBinary(type)) return t.byteWidth;
  return undefined;
}

/**
 * The most bytes each buffer of a record (or dictionary) batch may hold, in the order the IPC
 * format lays buffers out, from the columns' types and the batch's field nodes (one per column
 * and child, depth first): exact for validity bitmaps, numbers, offsets and fixed-size lists;
 * bounded for text and binary values (a view column's data buffers as many as the batch's
 * `variadicBufferCounts` give it). Undefined for a layout it does not model (unions), or when the
 * nodes or buffers do not match the types (a damaged message).
 *
 * @example
 * import { Float64 } from 'apache-arrow';
 * bufferLimits([new Float64()], [{ length: 100 }]) // [77, 864]: validity and values, with slack
 */
export function bufferLimits(
  types: readonly DataType[],
  nodes: readonly { readonly length: number }[],
  variadicBufferCounts: readonly number[] = [],
): number[] | undefined {
  const limits: number[] = [];
  let node = 0;
  let variadic = 0;
  const bitmap = (n: number) => Math.ceil(n / 8) + SLACK;
  const visit = (type: DataType): boolean => {
    const at = nodes[node++];
    if (!at || !Number.isSafeInteger(at.length) || at.length < 0) return false;
    const n = at.length;
    if (DataType.isDictionary(type)) {
      const width = byteWidth((type as DataType & { indices: DataType }).indices);
      if (width === undefined) return false;
      limits.push(bitmap(n), n * width + SLACK);
      return true;
    }
    if (DataType.isNull(type)) return true;
    const width = byteWidth(type);
    if (width !== undefined) {
      limits.push(bitmap(n), n * width + SLACK);
      return true;
    }
    if (DataType.isBool(type)) {
      limits.push(bitmap(n), bitmap(n));
      return true;
    }
    const id = type.typeId as number;
    if (DataType.isUtf8(type) || DataType.isBinary(type) || DataType.isLargeUtf8(type) || DataType.isLargeBinary(type)) {
      const large = id === 19 || id === 20;
      limits.push(bitmap(n), (n + 1) * (large ? 8 : 4) + SLACK, variableLimit(n));
      return true;
    }
    if (DataType.isUtf8View(type) || DataType.isBinaryView(type)) {
      const buffers = variadicBufferCounts[variadic++];
      if (buffers === undefined || !Number.isSafeInteger(buffers) || buffers < 0) return false;
      limits.push(bitmap(n), n * 16 + SLACK, ...Array<number>(buffers).fill(variableLimit(n)));
      return true;
    }
    const children = (type.children ?? []) as Field[];
    if (DataType.isList(type) || DataType.isMap(type) || id === 21) {
      limits.push(bitmap(n), (n + 1) * (id === 21 ? 8 : 4) + SLACK);
      return children.every((c) => visit(c.type));
    }
    if (DataType.isFixedSizeList(type) || DataType.isStruct(type)) {
      limits.push(bitmap(n));
      return children.every((c) => visit(c.type));
    }
    return false;
  };
  for (const type of types) if (!visit(type)) return undefined;
  return limits;
}
