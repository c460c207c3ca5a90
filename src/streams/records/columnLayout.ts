import { DataType, type Field, type Schema } from 'apache-arrow';
import { DataError } from '../../errors.js';
import { columnPositions } from './columnPositions.js';
import { PANDAS_METADATA_KEY, pandasIndexColumns } from './indexColumns.js';

/** Which columns to read. */
export interface ArrowColumnOptions {
  /** The label column. Default 'label'. */
  readonly label?: string;
  /** Feature columns, in order. Default: every numeric or fixed-size-list-of-numbers column but the label. */
  readonly features?: readonly string[] | undefined;
  /** Read without labels (for prediction): blocks carry −1 labels and a label column is not required. */
  readonly unlabelled?: boolean;
  /** Columns to carry along with each block as text (`ExampleBlock.kept`), e.g. an id for predictions. */
  readonly keep?: readonly string[] | undefined;
  /** The classes by name, for a label column of text: index = class. */
  readonly classNames?: readonly string[] | undefined;
}

/** The columns a file resolved to. */
export interface ArrowLayout {
  readonly file: string;
  readonly label: string | undefined;
  readonly features: readonly string[];
  /** Total number of feature values per row (a fixed-size list of 64 counts 64). */
  readonly cols: number;
  /** Each feature column's type, e.g. `Float64` or `FixedSizeList[64]<Uint8>`, for messages. */
  readonly types: readonly string[];
  /** Columns left out of the default features because they are not numeric (an id, a name), with their kinds: `id (text)`, `flag (True/False)`, `day (dates)`. */
  readonly ignored?: readonly string[];
  /** Columns left out of the default features because they are pandas' row index (see `pandasIndexColumns`). */
  readonly indexColumns?: readonly string[];
  /** Every column of the file, in its order (features, label and the rest). */
  readonly columns?: readonly string[];
  /** The classes by name, as the file's schema metadata (`rxgrad.classNames`) gives them. */
  readonly classNames?: readonly string[];
  /** The label column holds text (Utf8, or a dictionary of it): reading it needs `classNames`. */
  readonly textLabels?: boolean;
}

/** The schema metadata key under which class names travel with an Arrow file. */
export const CLASS_NAMES_KEY = 'rxgrad.classNames';

/**
 * Which columns of a schema hold the label and the features, as every reader resolves them (an
 * Arrow file's, a Parquet file's): the label by name (numbers or text), the features as given or,
 * by default, every numeric or fixed-size-list-of-numbers column but the label and pandas' index,
 * the other columns named as left out.
 *
 * @example
 * const layout = resolveLayout('digits.arrow', table.schema, { label: 'label' }); // { features: ['pixels'], cols: 64, … }
 */
export function resolveLayout(file: string, schema: Schema, options: ArrowColumnOptions): ArrowLayout {
  const labelName = options.label ?? 'label';
  const names = schema.fields.map((f) => f.name);
  columnPositions(file, names, 'every column named once');
  const labelField = schema.fields.find((f) => f.name === labelName);
  if (!options.unlabelled) {
    if (!labelField) {
      throw new DataError('missing label column', {
        file,
        column: labelName,
        expected: `a column named '${labelName}'`,
        actual: `columns ${names.join(', ')}`,
      });
    }
    if (!isNumeric(labelField.type) && !isText(labelField.type)) {
      throw new DataError('the label column is neither numbers nor text', {
        file,
        column: labelName,
        expected: 'integer class indices or class names',
        actual: describeType(labelField.type),
      });
    }
  }
  let features: Field[];
  let ignored: string[] = [];
  let index: string[] = [];
  if (options.features && options.features.length > 0) {
    features = options.features.map((name) => {
      const field = schema.fields.find((f) => f.name === name);
      if (!field) throw new DataError('missing feature column', { file, column: name, actual: `columns ${names.join(', ')}` });
      if (featureWidth(field) === undefined) {
        throw new DataError('a feature column is not numeric', {
          file,
          column: name,
          expected: 'numbers or a fixed-size list of numbers',
          actual: describeType(field.type),
        });
      }
      return field;
    });
  } else {
    index = pandasIndexColumns(
      names.filter((n) => n !== labelName),
      schema.metadata.get(PANDAS_METADATA_KEY),
    );
    features = schema.fields.filter((f) => f.name !== labelName && featureWidth(f) !== undefined && !index.includes(f.name));
    ignored = schema.fields
      .filter((f) => f.name !== labelName && featureWidth(f) === undefined)
      .map((f) => `${f.name} (${kindOf(f.type)})`);
  }
  if (features.length === 0) {
    throw new DataError('no numeric feature columns', {
      file,
      expected: 'numeric columns or a fixed-size list of numbers besides the label',
      actual: `columns ${names.join(', ')}`,
    });
  }
  return {
    file,
    label: options.unlabelled && !labelField ? undefined : labelName,
    features: features.map((f) => f.name),
    cols: features.reduce((n, f) => n + featureWidth(f)!, 0),
    types: features.map((f) => describeType(f.type)),
    ...(ignored.length > 0 ? { ignored } : {}),
    ...(index.length > 0 ? { indexColumns: index } : {}),
    columns: names,
    ...(labelField && isText(labelField.type) ? { textLabels: true } : {}),
    ...classNamesOf(file, schema),
  };
}

function classNamesOf(file: string, schema: Schema): { classNames?: readonly string[] } {
  const text = schema.metadata.get(CLASS_NAMES_KEY);
  if (text === undefined) return {};
  let names: unknown;
  try {
    names = JSON.parse(text);
  } catch {
    names = undefined;
  }
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))
    throw new DataError(`the schema metadata '${CLASS_NAMES_KEY}' is not a list of class names`, { file });
  return { classNames: names as string[] };
}

/** What a column that is not a feature holds, in the words a CSV file's note uses (see `inspectCsv`): text, True/False, dates, or its Arrow type. */
function kindOf(type: DataType): string {
  if (isText(type)) return 'text';
  if (DataType.isBool(type)) return 'True/False';
  if (DataType.isDate(type) || DataType.isTimestamp(type)) return 'dates';
  return describeType(type);
}

function describeType(type: DataType): string {
  return String(type);
}

/** Integers or floats. */
export function isNumeric(type: DataType): boolean {
  return DataType.isInt(type) || DataType.isFloat(type);
}

/** Values per row a feature column gives (a fixed-size list of 64 gives 64), or undefined when it cannot be a feature. */
export function featureWidth(field: Field): number | undefined {
  if (isNumeric(field.type)) return 1;
  if (DataType.isFixedSizeList(field.type) && isNumeric(field.type.children[0]!.type)) return field.type.listSize;
  return undefined;
}

/**
 * Text (Utf8, LargeUtf8, or Utf8View as polars 1.x writes it), or a dictionary whose values are
 * text (pandas' and polars' categoricals): what a label column of class names holds.
 */
export function isText(type: DataType): boolean {
  return isPlainText(type) || (DataType.isDictionary(type) && isPlainText(type.dictionary));
}

function isPlainText(type: DataType): boolean {
  return DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isUtf8View(type);
}
