/**
 * The columns of a file that are pandas' row index rather than data: what `df.to_csv()` writes
 * as a first column with an empty header (read back by pandas as `Unnamed: 0`), what pyarrow
 * writes as `__index_level_0__`, and the columns pandas' own metadata (the `pandas` key of an
 * Arrow or Parquet schema) lists as the index. Training on a row number is training on noise, or,
 * on sorted data, on the label itself, so these are left out of the default features.
 *
 * @example
 * pandasIndexColumns(['', 'x', 'label']); // ['']
 * pandasIndexColumns(['id', 'x', 'label'], '{"index_columns": ["id"]}'); // ['id']
 */
export function pandasIndexColumns(names: readonly string[], pandasMetadata?: string): string[] {
  const listed = new Set(indexColumnsOf(pandasMetadata));
  return names.filter((name) => name === '' || /^Unnamed: \d+$/.test(name) || /^__index_level_\d+__$/.test(name) || listed.has(name));
}

/** The named index columns in pandas' schema metadata (a RangeIndex is stored as a description, not a column). */
function indexColumnsOf(metadata: string | undefined): string[] {
  if (metadata === undefined) return [];
  try {
    const parsed = JSON.parse(metadata) as { index_columns?: unknown };
    return Array.isArray(parsed.index_columns) ? parsed.index_columns.filter((c): c is string => typeof c === 'string') : [];
  } catch {
    return [];
  }
}

/** The schema metadata key under which pandas describes a DataFrame (its index among them). */
export const PANDAS_METADATA_KEY = 'pandas';
