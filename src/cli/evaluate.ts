import { lastValueFrom } from 'rxjs';
import { type ClassificationScores, classificationScores } from '../model/metrics.js';
import { evaluate } from '../operators/evaluate.js';
import { type CliIo, formatNumber, writeLine } from './io.js';
import { modelAndData } from './modelData.js';

/**
 * `rxgrad evaluate`: loss, accuracy, each class's precision, recall and F1 (with macro and
 * weighted averages), ROC-AUC for two classes, and the confusion matrix of a saved model on a
 * labelled file.
 */
export async function evaluateCommand(
  options: { model: string; data: string; json: boolean; delimiter?: string; decimal?: '.' | ',' },
  io: CliIo,
): Promise<void> {
  const { bundle, data$ } = await modelAndData(options.model, options.data, false, options, undefined, (line) =>
    writeLine(io.stderr, `rxgrad: ${line}`),
  );
  const result = await lastValueFrom(data$.pipe(evaluate(bundle.network, { standardizer: bundle.standardizer })));
  const classNames = bundle.columns?.classNames;
  const scores = classificationScores(result.confusion);
  const rocAuc = result.rocAuc === undefined ? {} : { rocAuc: Number.isNaN(result.rocAuc) ? null : result.rocAuc };
  if (options.json) {
    writeLine(
      io.stdout,
      JSON.stringify({
        examples: result.examples,
        loss: result.loss,
        accuracy: result.accuracy,
        ...rocAuc,
        perClass: scores.perClass.map((c, i) => ({ class: classNames?.[i] ?? String(i), ...c })),
        macro: scores.macro,
        weighted: scores.weighted,
        confusion: result.confusion,
        ...(classNames ? { classNames } : {}),
      }),
    );
    return;
  }
  const auc =
    result.rocAuc === undefined
      ? ''
      : `  ROC-AUC ${Number.isNaN(result.rocAuc) ? 'undefined (the data holds one class)' : formatNumber(result.rocAuc)}`;
  writeLine(io.stdout, `${result.examples} examples  loss ${formatNumber(result.loss)}  accuracy ${formatNumber(result.accuracy)}${auc}`);
  for (const line of scoreLines(scores, classNames)) writeLine(io.stdout, line);
  for (const line of confusionLines(result.confusion, classNames)) writeLine(io.stdout, line);
}

/**
 * Each class's precision, recall, F1 and support as a table, with the macro and weighted averages
 * below (scikit-learn's `classification_report`, to four places).
 *
 * @example
 * scoreLines(classificationScores([[5, 1], [0, 4]]), ['cat', 'dog']) // ['class  precision  recall  f1  support', …]
 */
export function scoreLines(scores: ClassificationScores, classNames: readonly string[] | undefined): string[] {
  const names = [...scores.perClass.map((_, i) => classNames?.[i] ?? String(i)), 'macro avg', 'weighted avg'];
  const width = Math.max(5, ...names.map((name) => name.length));
  const rows = [...scores.perClass, scores.macro, scores.weighted];
  const line = (name: string, cells: readonly string[]) => `${name.padStart(width)}${cells.map((c) => c.padStart(11)).join('')}`;
  return [
    line('class', ['precision', 'recall', 'f1', 'support']),
    ...rows.map((r, i) => line(names[i]!, [r.precision.toFixed(4), r.recall.toFixed(4), r.f1.toFixed(4), String(r.support)])),
  ];
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
