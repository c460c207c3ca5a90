import { lastValueFrom, type OperatorFunction, pipe } from 'rxjs';
import { DataError } from '../errors.js';
import { type CategoricalColumn, columnLevels, DEFAULT_MAX_LEVELS } from './categories.js';
import { inspectData, type ReadDataOptions, readData } from './readData.js';
import type { ArrowLayout } from './records/columnLayout.js';
import type { ExampleBlock } from './records/examples.js';

/** What a new model reads from a file: its numeric features, its categorical columns, and what it leaves out. */
export interface ColumnChoice {
  /**
   * The layout of the numeric features (a column named categorical is no longer among them), its
   * `ignored` the columns still left out, with their kinds.
   */
  readonly layout: ArrowLayout;
  readonly categories: readonly CategoricalColumn[];
  /** One line each, for the user: which columns became one-hot inputs. */
  readonly notes: readonly string[];
}

/** Options of `chooseCategories`. */
export interface ChooseCategoriesOptions extends ReadDataOptions {
  /** Columns to read as categories besides the text and boolean ones (integer codes). */
  readonly categorical?: readonly string[] | undefined;
  /** A column with more levels than this stays out (an id). Default 64. */
  readonly maxLevels?: number | undefined;
  /** The training rows of the file, when a part of it is held out: levels come from these alone. */
  readonly part?: OperatorFunction<ExampleBlock, ExampleBlock> | undefined;
}

const CATEGORICAL_KINDS = ['text', 'True/False'];

/**
 * Which columns of a file a new model reads as categories: the text and boolean columns its
 * default features leave out (not dates, and none when the features were given), and the columns
 * named in `categorical`; each with its levels over the training rows, sorted. A column of more
 * than `maxLevels` levels stays out with its kind (an id), unless it was named, which is an error.
 *
 * @example
 * const inspected = await inspectData('shop.csv', { label: 'bought' });
 * const { layout, categories } = await chooseCategories('shop.csv', inspected, { label: 'bought' });
 */
export async function chooseCategories(file: string, layout: ArrowLayout, options: ChooseCategoriesOptions): Promise<ColumnChoice> {
  const { categorical = [], maxLevels = DEFAULT_MAX_LEVELS, part, ...read } = options;
  const named = new Set(categorical);
  const all = layout.columns ?? [];
  for (const column of named) {
    if (!all.includes(column)) throw new DataError('missing categorical column', { file, column, actual: `columns ${all.join(', ')}` });
    if (column === layout.label) throw new DataError('the label cannot be a categorical feature', { file, column });
  }
  const kinds = new Map(
    (layout.ignored ?? []).map((entry) => {
      const at = entry.lastIndexOf(' (');
      return [entry.slice(0, at), entry.slice(at + 2, -1)] as const;
    }),
  );
  const columns = all.filter((column) => named.has(column) || CATEGORICAL_KINDS.includes(kinds.get(column) ?? ''));
  if (columns.length === 0) return { layout, categories: [], notes: [] };
  const features = layout.features.filter((feature) => !named.has(feature));
  if (features.length === 0)
    throw new DataError('no numeric feature column besides the categorical ones', {
      file,
      expected: 'at least one column of numbers (rxgrad reads categorical columns beside numeric ones)',
    });
  const levels = await lastValueFrom(
    readData(file, { ...read, features, unlabelled: true, keep: columns }).pipe(part ?? pipe(), columnLevels(columns, maxLevels)),
  );
  const tooMany = levels.filter((l) => l.tooMany);
  const refused = tooMany.find((l) => named.has(l.column));
  if (refused)
    throw new DataError(`more than ${maxLevels} levels in a column named categorical`, {
      file,
      column: refused.column,
      expected: `at most ${maxLevels} distinct values (raise --max-levels)`,
    });
  const categories = levels.filter((l) => !l.tooMany).map(({ column, levels }) => ({ column, levels }));
  const ignored = [
    ...(layout.ignored ?? []).filter((entry) => !columns.some((column) => entry === `${column} (${kinds.get(column)})`)),
    ...tooMany.map((l) => `${l.column} (${kinds.get(l.column)}, more than ${maxLevels} level${maxLevels === 1 ? '' : 's'})`),
  ];
  const notes =
    categories.length > 0
      ? [
          `one-hot encoded, with the levels of the training rows: ${categories.map((c) => `${c.column} (${c.levels.length} level${c.levels.length === 1 ? '' : 's'})`).join(', ')} (--max-levels ${maxLevels}; --categorical names integer columns too)`,
        ]
      : [];
  const numeric = features.length === layout.features.length ? layout : await inspectData(file, { ...read, features });
  const { ignored: _, ...rest } = numeric;
  return { layout: ignored.length > 0 ? { ...rest, ignored } : rest, categories, notes };
}
