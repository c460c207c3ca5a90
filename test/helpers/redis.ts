import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import type { AshaLogEntry } from '../../src/distributed/redisAsha.js';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A Redis server of the test's own: Debian's redis-server on a free port of 127.0.0.1, its files
 * in a temporary directory, append-only persistence on (unless `persistence: false`). Missing, it is an error, not a skip:
 * `.ci/run` installs it (apt-get install -y redis-server).
 */
export async function startRedis(options: { readonly password?: string; readonly tls?: boolean; readonly persistence?: boolean } = {}) {
  if (!existsSync(REDIS_SERVER)) throw new Error(`no redis-server at ${REDIS_SERVER}: apt-get install -y redis-server (as .ci/run does)`);
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'rxgrad-redis-'));
  // With TLS: a self-signed certificate for 127.0.0.1, which clients trust through NODE_EXTRA_CA_CERTS.
  const certificate = path.join(dir, 'redis.crt');
  if (options.tls) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'redis.key'),
        '-out',
        certificate,
      ],
      { stdio: 'ignore' },
    );
  }
  const listen = options.tls
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        certificate,
        '--tls-key-file',
        path.join(dir, 'redis.key'),
        '--tls-ca-cert-file',
        certificate,
        '--tls-auth-clients',
        'no',
      ]
    : ['--port', String(port)];
  const args = [
    ...listen,
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    ...(options.persistence === false ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always']),
    ...(options.password ? ['--requirepass', options.password] : []),
  ];
  let server: ChildProcess | undefined;
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  const url = `${options.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`;
  const tls = options.tls ? { tls: { ca: readFileSync(certificate) } } : {};
  const start = async () => {
    server = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, ...tls });
      client.on('error', () => undefined);
      const ok = await client
        .connect()
        .then(() => client.ping())
        .then(
          () => true,
          () => false,
        );
      client.disconnect();
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async () => {
    const running = server;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url,
    port,
    dir,
    certificate,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
  };
}

const CLI = path.resolve('dist/cli/main.js');

/**
 * The CLI in child processes (workers with --stall-timeout 2, so a lost one is noticed soon): `rxgrad`
 * starts one and resolves `exited` with its exit code; `killAll` ends every one still running.
 */
export function childProcesses() {
  const children: ChildProcess[] = [];
  const rxgrad = (args: string[], env: Record<string, string> = {}) => {
    // Workers notice a lost one after 2 s (--stall-timeout), unless the test says otherwise.
    const all = args[0] === 'worker' && !args.includes('--stall-timeout') ? [...args, '--stall-timeout', '2'] : args;
    const child = spawn(process.execPath, [CLI, ...all], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    children.push(child);
    const out = { stdout: '', stderr: '' };
    child.stdout!.on('data', (d) => (out.stdout += String(d)));
    child.stderr!.on('data', (d) => (out.stderr += String(d)));
    const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : 0))));
    return { child, out, exited };
  };
  const killAll = () => {
    for (const child of children) child.kill('SIGKILL');
  };
  return { rxgrad, killAll };
}

export { studyRecords } from './files.js';

/** Waits (polling every 50 ms) until `condition` holds; fails naming `what` after `ms`. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * For a test file: its own Redis (started before its tests, stopped after them) and the CLI in
 * child processes (killed after them). `redis()` is the server once started.
 */
export function useRedis() {
  let server: Awaited<ReturnType<typeof startRedis>> | undefined;
  const processes = childProcesses();
  beforeAll(async () => {
    server = await startRedis();
  }, 30_000);
  afterAll(async () => {
    processes.killAll();
    await server?.stop();
  });
  return { redis: () => server!, rxgrad: processes.rxgrad };
}

/** A study's id (its `study.json`'s, which names its Redis keys), once the coordinator has written it. */
export async function studyIdOf(dir: string): Promise<string> {
  const file = path.join(dir, 'study.json');
  await until(`${file}`, () => existsSync(file) && readFileSync(file, 'utf8').trim().endsWith('}'));
  return (JSON.parse(readFileSync(file, 'utf8')) as { id: string }).id;
}

/** A finished study's ASHA decision log, which the coordinator moved from Redis to its folder. */
export const ashaLogOf = (dir: string): AshaLogEntry[] =>
  JSON.parse(readFileSync(path.join(dir, 'asha-log.json'), 'utf8')) as AshaLogEntry[];
