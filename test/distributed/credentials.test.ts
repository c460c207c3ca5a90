import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';
import { childProcesses, startRedis, studyRecords, until } from '../helpers/redis.js';

// The Redis password stays out of ps (issue 34, item 7): the URL from RXGRAD_REDIS_URL or
// REDIS_URL, the password from a file; a password with / # : in a URL is a hint, not a stack trace.

const PASSWORD = 'p/a#s:s@w0rd';
const processes = childProcesses();
let server: Awaited<ReturnType<typeof startRedis>>;
beforeAll(async () => {
  server = await startRedis({ password: PASSWORD });
}, 30_000);
afterAll(async () => {
  processes.killAll();
  await server.stop();
});
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
const bare = () => `redis://127.0.0.1:${server.port}`;

describe('Redis credentials', () => {
  it('from RXGRAD_REDIS_URL (a bare --redis for tune) and from a password file: a study runs, and no command line shows the password', async () => {
    const secretFile = path.join(tempDir(), 'redis-password');
    writeFileSync(secretFile, `${PASSWORD}\n`);
    const worker = processes.rxgrad(['worker', '--redis', bare(), '--redis-password-file', secretFile]);
    await until('the worker ready', () => worker.out.stderr.includes('taking trials'));
    const study = path.join(tempDir(), 'study');
    const coordinator = processes.rxgrad(
      ['tune', '--data', DIGITS_TRAIN, '--study', study, '--trials', '2', '--epochs', '1', '--prune', 'none', '--redis', '--json'],
      { RXGRAD_REDIS_URL: server.url },
    );
    await until('the coordinator running', () => worker.out.stderr.includes('r0-000'));
    for (const child of [worker.child, coordinator.child]) expect(cmdline(child.pid!)).not.toContain('w0rd');
    expect(await coordinator.exited, coordinator.out.stderr).toBe(0);
    expect(studyRecords(study).map((r) => r.status)).toEqual(['completed', 'completed']);
    for (const out of [worker.out, coordinator.out]) expect(out.stdout + out.stderr).not.toContain('w0rd');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    // REDIS_URL, the usual variable, when rxgrad's own is not set.
    const fallback = processes.rxgrad(['worker'], { REDIS_URL: server.url });
    await until('the REDIS_URL worker ready', () => fallback.out.stderr.includes('taking trials from redis://:***@127.0.0.1'));
    fallback.child.kill('SIGTERM');
    expect(await fallback.exited).toBe(0);
  }, 120_000);

  it('a URL with an unencoded / # : in its password, or none at all, is one line saying what to do (exit 2)', async () => {
    const raw = `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
    for (const args of [
      ['worker', '--redis', raw],
      ['tune', '--data', DIGITS_TRAIN, '--study', path.join(tempDir(), 's'), '--redis', raw],
    ]) {
      const run = processes.rxgrad(args);
      expect(await run.exited).toBe(2);
      expect(run.out.stderr).toBe(
        "rxgrad: --redis: not a valid URL; percent-encode a password's / # : @ (as %2F %23 %3A %40), or give the password with --redis-password-file\n",
      );
    }
    const missing = processes.rxgrad(['worker'], { RXGRAD_REDIS_URL: '', REDIS_URL: '' });
    expect(await missing.exited).toBe(2);
    expect(missing.out.stderr).toBe(
      'rxgrad: --redis needs a URL: give one (redis://[:password@]host:port[/db]), or set RXGRAD_REDIS_URL or REDIS_URL, which keeps a password out of ps\n',
    );
  }, 60_000);
});
