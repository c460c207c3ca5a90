import { type ConvertOptions, convertData } from '../streams/convertData.js';
import { type CliIo, writeLine } from './io.js';

/** Options of `rxgrad convert`. */
export interface ConvertCommandOptions extends ConvertOptions {
  readonly label: string;
  readonly json: boolean;
}

/** `rxgrad convert IN OUT`: `convertData`, and a line (or `--json`) saying what was written. */
export async function convertCommand(input: string, output: string, options: ConvertCommandOptions, io: CliIo): Promise<void> {
  const { rows } = await convertData(input, output, options);
  if (options.json) writeLine(io.stdout, JSON.stringify({ rows, in: input, out: output }));
  else writeLine(io.stdout, `converted ${rows} rows from ${input} to ${output}`);
}
