import { DataError } from '../../errors.js';

/**
 * Each column name's position; two columns of one name are refused, naming both (reading the
 * first twice and never the second would be silently wrong data). `expected` is what the error
 * says a file should have.
 *
 * @example
 * columnPositions('x.csv', ['a', 'b', 'a'], 'every column named once'); // throws DataError: columns 1 and 3
 */
export function columnPositions(file: string, names: readonly string[], expected: string): Map<string, number> {
  const positions = new Map<string, number>();
  names.forEach((name, i) => {
    const first = positions.get(name);
    if (first !== undefined)
      throw new DataError('two columns have the same name', { file, column: name, expected, actual: `columns ${first + 1} and ${i + 1}` });
    positions.set(name, i);
  });
  return positions;
}
