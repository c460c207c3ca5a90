import { lastValueFrom } from 'rxjs';
import { outputProblem } from '../files/outputGuard.js';
import { predict } from '../operators/predict.js';
import type { ArrowCompression } from '../streams/codecs/arrowCodecs.js';
import { isPredictionsFile, predictionFormat, writePredictions } from '../streams/writePredictions.js';
import { type CliIo, UsageError, writeLine } from './io.js';
import { modelAndData } from './modelData.js';

/** `rxgrad predict`: writes each row's predicted class and class probabilities to an Arrow file. */
export async function predictCommand(
  options: {
    model: string;
    data: string;
    out: string;
    json: boolean;
    force?: boolean;
    delimiter?: string;
    decimal?: '.' | ',';
    keep?: string[];
    compression?: ArrowCompression;
  },
  io: CliIo,
): Promise<void> {
  // The output is checked before any work: one clear line, nothing written.
  const problem = await outputProblem(options.out, {
    kind: 'a predictions file',
    inputs: [options.data, options.model],
    isOwnKind: isPredictionsFile,
    force: options.force,
  });
  if (problem) throw new UsageError(`--out ${options.out}: ${problem}`);
  const format = predictionFormat(options.out);
  if (!format) throw new UsageError(`--out ${options.out}: write predictions to a .csv, .parquet or Arrow (.arrow, .feather, .ipc) file`);
  if (options.compression && format !== 'arrow')
    throw new UsageError(
      `--compression ${options.compression}: --out ${options.out} is ${format === 'csv' ? 'CSV' : 'Parquet'}; compression is for Arrow files`,
    );
  const { bundle, data$ } = await modelAndData(options.model, options.data, true, options, options.keep, (line) =>
    writeLine(io.stderr, `rxgrad: ${line}`),
  );
  const written = await lastValueFrom(
    data$.pipe(
      predict(bundle.network, { standardizer: bundle.standardizer }),
      writePredictions(options.out, {
        classNames: bundle.columns?.classNames,
        model: options.model,
        keep: options.keep,
        compression: options.compression,
      }),
    ),
  );
  if (options.json) writeLine(io.stdout, JSON.stringify({ rows: written.rows, out: written.path }));
  else writeLine(io.stdout, `wrote ${written.rows} predictions to ${written.path}`);
}
