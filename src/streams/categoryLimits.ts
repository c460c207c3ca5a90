/** The default of `--max-levels`: a column with more levels than this is an id, not a category. */
export const DEFAULT_MAX_LEVELS = 64;
