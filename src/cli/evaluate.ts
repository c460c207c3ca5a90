import { lastValueFrom } from 'rxjs';
import { evaluate } from '../operators/evaluate.js';
import { type CliIo, formatNumber, writeLine } from './io.js';
import { modelAndData } from './modelData.js';

/** `rxgrad evaluate`: loss, accuracy and confusion matrix of a saved model on a labelled file. */
export async function evaluateCommand(options: { model: string; data: string; json: boolean; delimiter?: string; decimal?: '.' | ',' }, io: CliIo): Promise<void> {
  const { bundle, data$ } = await modelAndData(options.model, options.data, false, options, undefined, (line) => writeLine(io.stderr, `rxgrad: ${line}`));
  const result = await lastValueFrom(data$.pipe(evaluate(bundle.network, { standardizer: bundle.standardizer })));
  if (options.json) {
    writeLine(io.stdout, JSON.stringify({ examples: result.examples, loss: result.loss, accuracy: result.accuracy, confusion: result.confusion }));
    return;
  }
  writeLine(io.stdout, `${result.examples} examples  loss ${formatNumber(result.loss)}  accuracy ${formatNumber(result.accuracy)}`);
  writeLine(io.stdout, 'confusion matrix (rows: actual class, columns: predicted class)');
  const width = Math.max(3, ...result.confusion.flat().map((n) => String(n).length)) + 1;
  const pad = (text: string | number) => String(text).padStart(width);
  writeLine(io.stdout, `${pad('')}${result.confusion.map((_, j) => pad(j)).join('')}`);
  result.confusion.forEach((row, i) => writeLine(io.stdout, `${pad(i)}${row.map(pad).join('')}`));
}
