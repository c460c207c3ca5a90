// A child process that reads data files one after another and reports each outcome as a JSON line
// on stdout: { file, rows } or { file, error, name, dataError }. Files come as lines on stdin.
// Its parent times each file and kills this process when one hangs (a loop inside WebAssembly
// cannot be interrupted from its own thread), then starts another for the files that remain.
import { createInterface } from 'node:readline';
import { lastValueFrom, reduce } from 'rxjs';
import { DataError } from '../../dist/errors.js';
import { readData } from '../../dist/streams/readData.js';

const options = JSON.parse(process.argv[2] ?? '{}');
for await (const file of createInterface({ input: process.stdin })) {
  let result;
  try {
    const rows = await lastValueFrom(readData(file, options).pipe(reduce((n, block) => n + block.rows, 0)));
    result = { file, rows };
  } catch (error) {
    result = {
      file,
      name: error?.name,
      error: String(error?.stack ?? error)
        .split('\n')
        .slice(0, 4)
        .join(' | '),
      message: String(error?.message),
      dataError: error instanceof DataError,
    };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
