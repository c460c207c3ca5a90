import { stat } from 'node:fs/promises';
import path from 'node:path';
import { lastValueFrom } from 'rxjs';
import { predict } from '../operators/predict.js';
import { writePredictions } from '../streams/writePredictions.js';
import type { ArrowCompression } from '../streams/arrowCodecs.js';
import { type CliIo, UsageError, writeLine } from './io.js';
import { modelAndData } from './modelData.js';

/** `rxgrad predict`: writes each row's predicted class and class probabilities to an Arrow file. */
export async function predictCommand(options: { model: string; data: string; out: string; json: boolean; delimiter?: string; decimal?: '.' | ','; keep?: string[]; compression?: ArrowCompression }, io: CliIo): Promise<void> {
  if (options.compression && /\.csv$/i.test(options.out)) throw new UsageError(`--compression ${options.compression}: --out ${options.out} is CSV; compression is for Arrow files`);
  // The output is checked before any work: one clear line, nothing written.
  const target = await stat(options.out).catch(() => undefined);
  if (target?.isDirectory()) throw new UsageError(`--out ${options.out}: is a directory; give the path of a file to write`);
  const folder = path.dirname(path.resolve(options.out));
  if (!(await stat(folder).catch(() => undefined))?.isDirectory()) throw new UsageError(`--out ${options.out}: the folder ${folder} does not exist`);
  const { bundle, data$ } = await modelAndData(options.model, options.data, true, options, options.keep);
  const written = await lastValueFrom(data$.pipe(predict(bundle.network, { standardizer: bundle.standardizer }), writePredictions(options.out, { classNames: bundle.columns?.classNames, model: options.model, keep: options.keep, compression: options.compression })));
  if (options.json) writeLine(io.stdout, JSON.stringify({ rows: written.rows, out: written.path }));
  else writeLine(io.stdout, `wrote ${written.rows} predictions to ${written.path}`);
}
