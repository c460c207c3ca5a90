import { lastValueFrom } from 'rxjs';
import { evaluate } from '../operators/evaluate.js';
import { type CliIo, formatNumber, writeLine } from './io.js';
import { modelAndData } from './modelData.js';

/** `rxgrad evaluate`: loss, accuracy and confusion matrix of a saved model on a labelled file. */
export async function evaluateCommand(
  options: { model: string; data: string; json: boolean; delimiter?: string; decimal?: '.' | ',' },
  io: CliIo,
): Promise<void> {
  const { bundle, data$ } = await modelAndData(options.model, options.data, false, options, undefined, (line) =>
    writeLine(io.stderr, `rxgrad: ${line}`),
  );
  const result = await lastValueFrom(data$.pipe(evaluate(bundle.network, { standardizer: bundle.standardizer })));
  const classNames = bundle.columns?.classNames;
  if (options.json) {
    writeLine(
      io.stdout,
      JSON.stringify({
        examples: result.examples,
        loss: result.loss,
        accuracy: result.accuracy,
        confusion: result.confusion,
        ...(classNames ? { classNames } : {}),
      }),
    );
    return;
  }
  writeLine(io.stdout, `${result.examples} examples  loss ${formatNumber(result.loss)}  accuracy ${formatNumber(result.accuracy)}`);
  for (const line of confusionLines(result.confusion, classNames)) writeLine(io.stdout, line);
}

/**
 * A confusion matrix as text, its rows and columns labelled by the classes' names (the labels
 * the data holds), or by their indices when the labels are the indices 0 to K−1.
 *
 * @example
 * confusionLines([[5, 1], [0, 4]], ['cat', 'dog']) // ['confusion matrix (…)', '     cat  dog', '  cat    5    1', …]
 */
export function confusionLines(confusion: readonly (readonly number[])[], classNames: readonly string[] | undefined): string[] {
  const names = confusion.map((_, i) => classNames?.[i] ?? String(i));
  const cellWidth = Math.max(3, ...confusion.flat().map((n) => String(n).length), ...names.map((name) => name.length)) + 1;
  const rowWidth = Math.max(3, ...names.map((name) => name.length)) + 1;
  const cell = (text: string | number) => String(text).padStart(cellWidth);
  const lines = [`confusion matrix (rows: actual class, columns: predicted class)`, `${''.padEnd(rowWidth)}${names.map(cell).join('')}`];
  confusion.forEach((row, i) => lines.push(`${names[i]!.padEnd(rowWidth)}${row.map(cell).join('')}`));
  return lines;
}
