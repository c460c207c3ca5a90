// Apart from columnLayout, which needs apache-arrow, so that the CLI can print these without loading it.
/**
 * What a file's default features leave out, and why, one sentence each: columns that are not
 * numbers, and pandas' row index. Empty when every column is a feature or the label.
 *
 * @example
 * leftOutColumns(await inspectData('train.csv', { label: 'label' })) // ['not numeric, so not used as features: id (…)']
 */
export function leftOutColumns(layout: {
  readonly ignored?: readonly string[] | undefined;
  readonly indexColumns?: readonly string[] | undefined;
}): string[] {
  const lines: string[] = [];
  if (layout.indexColumns)
    lines.push(
      `pandas' row index, so not used as features: ${layout.indexColumns.map((n) => (n === '' ? '"" (the unnamed first column)' : n)).join(', ')} (choose the features with --features)`,
    );
  if (layout.ignored) {
    const decimalComma = layout.ignored.some((column) => column.endsWith('(decimal comma)'));
    lines.push(
      `not numeric, so not used as features: ${layout.ignored.join(', ')} (choose the features with --features${decimalComma ? `; --decimal ',' reads 3,14 as a number` : ''})`,
    );
  }
  return lines;
}
