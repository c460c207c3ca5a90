import path from 'node:path';
import { RUN_FILES } from '../files/runLayout.js';
import { writeReport } from '../report/writeReport.js';
import { type CliIo, writeLine } from './io.js';

/** `rxgrad report DIR`: the HTML report of a run or a study, written atomically. */
export async function reportCommand(
  dir: string,
  options: { readonly out?: string; readonly json: boolean; readonly force?: boolean },
  io: CliIo,
): Promise<void> {
  const started = performance.now();
  const { file, bytes } = await writeReport(dir, options.out ?? path.join(dir, RUN_FILES.report), { force: options.force });
  const seconds = (performance.now() - started) / 1000;
  if (options.json) writeLine(io.stdout, JSON.stringify({ report: file, bytes, seconds }));
  else
    writeLine(
      io.stdout,
      `report written to ${file} (${Math.ceil(bytes / 1024)} KiB, ${seconds.toFixed(2)}s); open it in any browser, offline`,
    );
}
