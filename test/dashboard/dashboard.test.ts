/// <reference lib="dom" />
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/server.js';
import { useBrowser } from '../helpers/browser.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const CLI = path.resolve('dist/cli/main.js');
const browser = useBrowser();

const until = async (what: string, condition: () => boolean | Promise<boolean>, ms = 60_000) => {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
const epochsIn = (dir: string) => {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'history.json'), 'utf8')) as { epochs: unknown[] }).epochs.length;
  } catch {
    return 0;
  }
};

describe('the babysit dashboard in a real browser', () => {
  it('shows epochs as they arrive; pause, resume and stop from the page steer the run', async () => {
    const dir = path.join(tempDir(), 'run');
    const child: ChildProcess = spawn(process.execPath, [CLI, 'babysit', '--data', DIGITS_TRAIN, '--dir', dir, '--epochs', '400', '--hidden', '16', '--dashboard', '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    child.stdout!.on('data', (d) => (stdout += String(d)));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    try {
      await until('the dashboard address', () => /dashboard: http:\/\/127\.0\.0\.1:\d+/.test(stderr));
      const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
      const page = await browser().newPage();
      await page.goto(url);
      const summary = () => page.$eval('#report .summary', (e) => e.textContent ?? '');
      // An epoch arrives and the page redraws itself with it.
      await until('an epoch on the page', async () => /epochs? recorded/.test(await summary()));
      expect(await page.$$eval('figure.chart', (f) => f.map((e) => (e as HTMLElement).dataset.chart))).toEqual(['loss', 'accuracy', 'learning-rate']);
      await page.click('button[data-control="pause"]');
      // The run's own events say it paused: its control line, then no further epoch.
      await until('the pause in the run’s output', () => /pause \(after step \d+\)/.test(stderr));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const atPause = epochsIn(dir);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(epochsIn(dir)).toBe(atPause);
      await page.click('button[data-control="resume"]');
      await until('epochs after the resume', () => epochsIn(dir) > atPause);
      // A reload shows the whole history so far.
      await page.reload();
      await until('the reloaded page', async () => Number(/(\d+) epochs recorded/.exec(await summary())?.[1] ?? 0) > atPause);
      await page.click('button[data-control="stop"]');
      expect(await exited).toBe(0);
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ stopped: true });
      expect(stderr).toMatch(/resume \(after step \d+\)/);
      await page.close();
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});

describe('startDashboard', () => {
  it('binds 127.0.0.1, refuses a port in use clearly, and a broken page never reaches the run', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    await expect(startDashboard({ title: 't', body: () => '' }, { port })).rejects.toThrow(`--dashboard ${port}: port ${port} on 127.0.0.1 is in use`);
    blocker.close();
    let calls = 0;
    const dashboard = await startDashboard({
      title: 't',
      body: () => {
        calls++;
        throw new Error('cannot draw');
      },
    });
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${dashboard.url}/body`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('cannot draw');
    expect((await fetch(`${dashboard.url}/control`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect(calls).toBe(1);
    await dashboard.close();
  });
});

describe('the tune dashboard', () => {
  it('serves the study as it runs and tells the page when trials finish', async () => {
    const study = path.join(tempDir(), 'study');
    const child = spawn(process.execPath, [CLI, 'tune', '--data', DIGITS_TRAIN, '--study', study, '--trials', '12', '--epochs', '3', '--parallel', '1', '--dashboard', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    try {
      await until('the dashboard address', () => /dashboard: http:\/\/127\.0\.0\.1:\d+/.test(stderr));
      const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
      const events = await fetch(`${url}/events`);
      const reader = events.body!.getReader();
      let seen = '';
      // The page is told about trials as they go (epochs and ends, at most twice a second).
      await until('a trial event', async () => {
        const { value, done } = await reader.read();
        if (value) seen += new TextDecoder().decode(value);
        return done || /event: update\ndata: r0-\d{3}/.test(seen);
      });
      expect(seen).toMatch(/event: update\ndata: r0-\d{3}/);
      await until('the study on the page', async () => (await (await fetch(`${url}/body`)).text()).includes('data-chart="history"'));
      await reader.cancel();
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});
