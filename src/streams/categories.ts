import { map, Observable, type OperatorFunction } from 'rxjs';
import type { ExampleBlock, FeatureArray } from './records/examples.js';

export { DEFAULT_MAX_LEVELS } from './categoryLimits.js';

/**
 * A feature column read as categories: each of its levels becomes an input of its own, 1 where a
 * row has that level and 0 elsewhere (one-hot). A level the list does not have gives all zeros.
 */
export interface CategoricalColumn {
  readonly column: string;
  /** The levels in input order (sorted, as scikit-learn's `OneHotEncoder` orders them). */
  readonly levels: readonly string[];
}

/**
 * The level a cell holds: its text, but a boolean is `true` or `false` and a whole number has no
 * decimals, whatever the writer (pandas writes `True` and `127.0` in CSV, where Arrow's values read
 * as `true` and `127`), so that every format gives the same levels.
 *
 * @example
 * levelOf('True') // 'true'
 * levelOf('127.0') // '127'
 */
export function levelOf(text: string): string {
  if (/^(true|false)$/i.test(text)) return text.toLowerCase();
  if (/^[+-]?\d+\.0+$/.test(text)) return String(Number(text));
  return text;
}

/**
 * How many inputs some categorical columns add: one per level.
 *
 * @example
 * oneHotWidth([{ column: 'color', levels: ['blue', 'red'] }]) // 2
 */
export function oneHotWidth(categories: readonly CategoricalColumn[]): number {
  return categories.reduce((sum, c) => sum + c.levels.length, 0);
}

/** Options of `oneHotBlocks`. */
export interface OneHotOptions {
  /** How many of each block's kept columns are the caller's own: the categorical columns follow them. */
  readonly kept: number;
  /** Reuse one array for every block's features (a block then lives until the next). Default false. */
  readonly recycle?: boolean;
  /** Told of every cell whose level the column's list does not have (its inputs stay 0). */
  readonly onUnseenLevel?: ((column: string, level: string) => void) | undefined;
}

/**
 * Appends one-hot inputs to each block, read with the categorical columns carried as text after
 * the caller's own kept columns (`readData` with `categories` reads them so): the block's numeric
 * features first, then each column's levels in order. The kept columns go back to the caller's.
 *
 * @example
 * readArrow('shop.arrow', { keep: ['color'] }).pipe(oneHotBlocks([{ column: 'color', levels: ['blue', 'red'] }], { kept: 0 }));
 */
export function oneHotBlocks(
  categories: readonly CategoricalColumn[],
  options: OneHotOptions,
): OperatorFunction<ExampleBlock, ExampleBlock> {
  const width = oneHotWidth(categories);
  const indices = categories.map((c) => new Map(c.levels.map((level, i) => [level, i])));
  const offsets = categories.map((_, j) => categories.slice(0, j).reduce((sum, c) => sum + c.levels.length, 0));
  let reused: FeatureArray | undefined;
  return (source: Observable<ExampleBlock>) =>
    source.pipe(
      map((block): ExampleBlock => {
        const { rows, cols, features } = block;
        const wide = cols + width;
        const bytes = features instanceof Uint8Array;
        const length = rows * wide;
        let out: FeatureArray;
        if (options.recycle) {
          if (!reused || reused.length < length || reused instanceof Uint8Array !== bytes)
            reused = bytes ? new Uint8Array(length) : new Float32Array(length);
          out = reused.subarray(0, length);
          out.fill(0);
        } else {
          out = bytes ? new Uint8Array(length) : new Float32Array(length);
        }
        for (let i = 0; i < rows; i++) out.set(features.subarray(i * cols, (i + 1) * cols), i * wide);
        const kept = block.kept ?? [];
        categories.forEach((category, j) => {
          const cells = kept[options.kept + j]!;
          const index = indices[j]!;
          const at = cols + offsets[j]!;
          for (let i = 0; i < rows; i++) {
            const level = levelOf(cells[i]!);
            const k = index.get(level);
            if (k === undefined) options.onUnseenLevel?.(category.column, level);
            else out[i * wide + at + k] = 1;
          }
        });
        const { kept: _all, ...rest } = block;
        return { ...rest, features: out, cols: wide, ...(options.kept > 0 ? { kept: kept.slice(0, options.kept) } : {}) };
      }),
    );
}

/** The levels a column holds, and whether it holds more than were counted. */
export interface ColumnLevels {
  readonly column: string;
  /** Sorted; at most `maxLevels + 1` of them. */
  readonly levels: readonly string[];
  /** The column holds more than `maxLevels` levels (an id, a free text): it is not a category. */
  readonly tooMany: boolean;
}

/**
 * The distinct levels of some columns over a stream of blocks that carry them as their kept
 * columns, in order (`readData(file, { keep: columns })`), counting at most `maxLevels + 1` per
 * column so that an id column costs little. Emits once, when the blocks complete.
 *
 * @example
 * readData('shop.csv', { keep: ['color'] }).pipe(columnLevels(['color'], 64)); // [{ column: 'color', levels: ['blue', 'red'], tooMany: false }]
 */
export function columnLevels(columns: readonly string[], maxLevels: number): OperatorFunction<ExampleBlock, readonly ColumnLevels[]> {
  return (source) =>
    new Observable<readonly ColumnLevels[]>((subscriber) => {
      const seen = columns.map(() => new Set<string>());
      return source.subscribe({
        next(block) {
          columns.forEach((_, j) => {
            const set = seen[j]!;
            if (set.size > maxLevels) return;
            for (const cell of block.kept![j]!) {
              set.add(levelOf(cell));
              if (set.size > maxLevels) break;
            }
          });
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          subscriber.next(columns.map((column, j) => ({ column, levels: [...seen[j]!].sort(), tooMany: seen[j]!.size > maxLevels })));
          subscriber.complete();
        },
      });
    });
}

/**
 * Collects the cells of categorical columns whose levels the model's lists do not have (give its
 * `note` as `onUnseenLevel`), to say once, after a pass, what was read as all zeros.
 *
 * @example
 * const unseen = new UnseenLevels();
 * const categories = [{ column: 'color', levels: ['blue', 'red'] }];
 * readData('shop.csv', { categories, onUnseenLevel: unseen.note }).subscribe({ complete: () => unseen.lines().forEach((l) => console.error(l)) });
 */
export class UnseenLevels {
  private readonly byColumn = new Map<string, Map<string, number>>();

  readonly note = (column: string, level: string): void => {
    let levels = this.byColumn.get(column);
    if (!levels) this.byColumn.set(column, (levels = new Map()));
    levels.set(level, (levels.get(level) ?? 0) + 1);
  };

  /** One line per column that had unseen levels: how many cells, and some of the levels. */
  lines(): string[] {
    return [...this.byColumn].map(([column, levels]) => {
      const cells = [...levels.values()].reduce((a, b) => a + b, 0);
      const shown = [...levels.keys()].slice(0, 5).map((level) => `'${level}'`);
      return `column '${column}': ${cells} cell${cells === 1 ? '' : 's'} held ${levels.size === 1 ? 'a level' : `${levels.size} levels`} not seen in training (${shown.join(', ')}${levels.size > 5 ? ', …' : ''}), read as all zeros`;
    });
  }
}
