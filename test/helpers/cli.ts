import { PassThrough, Writable } from 'node:stream';
import { runCli } from '../../src/cli/program.js';

/** A writable stream that keeps what is written to it. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

/** Runs the CLI in this process; `input` lines are written to its stdin. */
export async function cli(argv: string[], input: string[] = []) {
  const stdin = new PassThrough();
  const stdout = new Capture();
  const stderr = new Capture();
  const running = runCli(argv, { stdout, stderr, stdin });
  for (const line of input) stdin.write(`${line}\n`);
  const code = await running;
  stdin.end();
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The last stdout line, parsed as JSON (the --json contract). */
export const lastJson = (text: string) => JSON.parse(text.trim().split('\n').at(-1)!) as Record<string, unknown>;
