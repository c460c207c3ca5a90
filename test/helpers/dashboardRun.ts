import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const CLI = path.resolve('dist/cli/main.js');

/** Waits until `condition` holds, polling every 50 ms; fails naming `what` after `ms`. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The epochs a run's history.json holds so far (0 before it exists). */
export function historyOf(dir: string): {
  epochs: { epoch: number; learningRate: number }[];
  controls: { control: Record<string, unknown> }[];
} {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'history.json'), 'utf8'));
  } catch {
    return { epochs: [], controls: [] };
  }
}

/** A CLI command serving a dashboard, with what it has printed so far and its address. */
export interface DashboardRun {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number>;
  /** The printed address, with its token: http://127.0.0.1:PORT/?token=… */
  readonly url: string;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
}

/** Starts `rxgrad ARGS` (which must include --dashboard) and waits for the dashboard's address. */
export async function startDashboardRun(args: readonly string[]): Promise<DashboardRun> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += String(d)));
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  const address = /dashboard: (http:\/\/127\.0\.0\.1:\d+)\/\?token=([\w-]+)/;
  await until('the dashboard address', () => address.test(stderr) || child.exitCode !== null);
  const match = address.exec(stderr);
  if (!match) throw new Error(`no dashboard address; the command printed:\n${stderr}`);
  return { child, stdout: () => stdout, stderr: () => stderr, exited, url: `${match[1]}/?token=${match[2]}`, origin: match[1]! };
}
