import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { studyKeys } from '../../src/distributed/keys.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';
import { childProcesses, startRedis, studyIdOf, until } from '../helpers/redis.js';

// How a worker stops (issue 34, items 3 and 4): a second Ctrl-C or SIGTERM hands the running
// trials back at once, and ends the worker within 5 s whatever Redis does; without Redis for
// --redis-timeout seconds a worker stops with one line; an outage is told once, not per retry.
// The workers here hold 30 s locks, so a trial that came back within seconds was handed back,
// not found stalled.

const processes = childProcesses();
const servers: Awaited<ReturnType<typeof startRedis>>[] = [];
const clients: Redis[] = [];
afterEach(async () => {
  processes.killAll();
  for (const client of clients.splice(0)) client.disconnect();
  for (const server of servers.splice(0)) await server.stop();
});
const worker = (url: string, ...args: string[]) => processes.rxgrad(['worker', '--redis', url, '--stall-timeout', '30', ...args]);
const seconds = (since: number) => (Date.now() - since) / 1000;

/** A study of one long trial on Redis, and the epoch its checkpoint in Redis has reached. */
async function longTrial(url: string) {
  const study = path.join(tempDir(), 'study');
  const coordinator = processes.rxgrad([
    'tune',
    '--data',
    DIGITS_TRAIN,
    '--study',
    study,
    '--trials',
    '1',
    '--epochs',
    '400',
    '--prune',
    'none',
    '--parallel',
    '1',
    '--redis',
    url,
    '--json',
  ]);
  const client = new Redis(url);
  client.on('error', () => undefined);
  clients.push(client);
  const key = studyKeys(await studyIdOf(study)).checkpoint('r0-000');
  const epoch = async () => Number((await client.hget(key, 'epoch')) ?? 0);
  return { study, coordinator, client, epoch };
}

describe('stopping a worker', () => {
  for (const how of ['a second Ctrl-C', 'SIGTERM'] as const) {
    it(`${how} hands the running trial back at once: another worker resumes it within seconds`, async () => {
      const server = await startRedis();
      servers.push(server);
      const first = worker(server.url);
      const trial = await longTrial(server.url);
      await until('a checkpoint of epoch 3', async () => (await trial.epoch()) >= 3);
      const stoppedAt = Date.now();
      if (how === 'SIGTERM') {
        first.child.kill('SIGTERM');
      } else {
        first.child.kill('SIGINT');
        await until('the first Ctrl-C said', () => first.out.stderr.includes('finishing the running trials'));
        first.child.kill('SIGINT');
      }
      expect(await first.exited).toBe(0);
      expect(seconds(stoppedAt)).toBeLessThan(5);
      expect(first.out.stderr).toMatch(/r0-000: handed back after epoch \d+/);
      const second = worker(server.url);
      await until(
        'the trial resumed on the second worker',
        () => /r0-000: resuming from the checkpoint of epoch \d+/.test(second.out.stderr),
        20_000,
      );
      // Well within the 30 s lock: it came back because it was handed back.
      expect(seconds(stoppedAt)).toBeLessThan(15);
      trial.client.disconnect();
      trial.coordinator.child.kill('SIGKILL');
    }, 120_000);
  }

  it('SIGTERM ends a worker within 5 s while Redis is down, and the outage is said once, not per retry', async () => {
    const server = await startRedis();
    servers.push(server);
    const first = worker(server.url);
    const trial = await longTrial(server.url);
    await until('a checkpoint of epoch 2', async () => (await trial.epoch()) >= 2);
    trial.client.disconnect();
    trial.coordinator.child.kill('SIGKILL');
    await server.stop();
    await until('the outage said', () => first.out.stderr.includes('lost Redis'), 10_000);
    // Several seconds of retries: still one line.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(first.out.stderr.split('\n').filter((line) => /lost Redis|ECONNREFUSED/.test(line))).toHaveLength(1);
    expect(first.out.stderr).toMatch(/rxgrad worker: lost Redis at redis:\/\/127\.0\.0\.1:\d+( \(.*\))?; retrying for up to 300 s/);
    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(seconds(stoppedAt)).toBeLessThan(5);
  }, 120_000);

  it('a worker that cannot reach Redis for --redis-timeout stops, saying why (exit 1); one that sees it come back says so', async () => {
    const server = await startRedis();
    servers.push(server);
    const patient = worker(server.url, '--redis-timeout', '60');
    const hasty = worker(server.url, '--redis-timeout', '2');
    await until('both workers ready', () => [patient, hasty].every((w) => w.out.stderr.includes('taking trials')));
    await server.stop();
    const downAt = Date.now();
    expect(await hasty.exited).toBe(1);
    expect(seconds(downAt)).toBeLessThan(8);
    expect(hasty.out.stderr).toMatch(
      /rxgrad: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ for [2-4] s \(--redis-timeout\): this worker stops\n$/,
    );
    await server.restart();
    await until('the patient worker back', () => /Redis is back after \d+\.\d s/.test(patient.out.stderr), 20_000);
    expect(patient.child.exitCode).toBeNull();
    patient.child.kill('SIGTERM');
    expect(await patient.exited).toBe(0);
  }, 120_000);

  it('a worker removes the folders of workers that were SIGKILLed (their checkpoints), saying so', async () => {
    const server = await startRedis();
    servers.push(server);
    const first = worker(server.url);
    const trial = await longTrial(server.url);
    await until('a checkpoint of epoch 2', async () => (await trial.epoch()) >= 2);
    const left = () => readdirSync(tmpdir()).filter((name) => name.startsWith(`rxgrad-worker-${first.child.pid}-`));
    expect(left()).toHaveLength(1);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(left()).toHaveLength(1);
    const second = worker(server.url);
    await until('the second worker ready', () => second.out.stderr.includes('taking trials'));
    expect(left()).toEqual([]);
    expect(second.out.stderr).toMatch(/rxgrad worker: removed \d+ folders? of workers no longer running from /);
    trial.coordinator.child.kill('SIGKILL');
  }, 120_000);
});
