/// <reference lib="dom" />
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINAL_STATE_MS, startDashboard } from '../../src/dashboard/server.js';
import { useBrowser } from '../helpers/browser.js';
import { historyOf, startDashboardRun, until } from '../helpers/dashboardRun.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const browser = useBrowser();

describe('the babysit dashboard in a real browser', () => {
  it('shows epochs as they arrive; pause, resume and stop from the page steer the run', async () => {
    const dir = path.join(tempDir(), 'run');
    const run = await startDashboardRun([
      'babysit',
      '--data',
      DIGITS_TRAIN,
      '--dir',
      dir,
      '--epochs',
      '400',
      '--hidden',
      '16',
      '--dashboard',
      '--json',
    ]);
    const epochsIn = () => historyOf(dir).epochs.length;
    try {
      const page = await browser().newPage();
      await page.goto(run.url);
      // The token left the address bar, and went into no cookie.
      await until('the address without its token', () => page.url() === `${run.origin}/`);
      expect(await page.cookies()).toEqual([]);
      const summary = () => page.$eval('#report .summary', (e) => e.textContent ?? '');
      // An epoch arrives and the page redraws itself with it.
      await until('an epoch on the page', async () => /epochs? recorded/.test(await summary()));
      expect(await page.$$eval('figure.chart', (f) => f.map((e) => (e as HTMLElement).dataset.chart))).toEqual([
        'loss',
        'accuracy',
        'learning-rate',
      ]);
      await page.click('button[data-control="pause"]');
      // The run's own events say it paused and resumed, each after the step it reached: the same
      // step, so no step was taken in between (no timing involved).
      const stepOf = (control: string) => Number(new RegExp(`${control} \\(after step (\\d+)\\)`).exec(run.stderr())?.[1] ?? NaN);
      await until('the pause in the run’s output', () => Number.isInteger(stepOf('pause')));
      const atPause = epochsIn();
      await page.click('button[data-control="resume"]');
      await until('the resume in the run’s output', () => Number.isInteger(stepOf('resume')));
      expect(stepOf('resume')).toBe(stepOf('pause'));
      await until('epochs after the resume', () => epochsIn() > atPause);
      // A reload shows the whole history so far.
      await page.reload();
      await until('the reloaded page', async () => Number(/(\d+) epochs recorded/.exec(await summary())?.[1] ?? 0) > atPause);
      await page.click('button[data-control="stop"]');
      expect(await run.exited).toBe(0);
      expect(JSON.parse(run.stdout().trim().split('\n').at(-1)!)).toMatchObject({ stopped: true });
      expect(run.stderr()).toMatch(/resume \(after step \d+\)/);
      await page.close();
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 120_000);
});

/** A request as curl sends it: any Host, any headers (fetch would not let a test set Host). */
function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (response) => {
      let body = '';
      response.on('data', (d) => (body += String(d)));
      // An event stream stays open: its first event is enough.
      response.on('data', () => response.headers['content-type'] === 'text/event-stream' && response.destroy());
      response.on('close', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

describe('startDashboard', () => {
  it('binds 127.0.0.1, refuses a port in use clearly, and a broken page never reaches the run', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    await expect(startDashboard({ title: 't', body: () => '' }, { port })).rejects.toThrow(
      `--dashboard ${port}: port ${port} on 127.0.0.1 is in use`,
    );
    blocker.close();
    let calls = 0;
    const dashboard = await startDashboard({
      title: 't',
      body: () => {
        calls++;
        throw new Error('cannot draw');
      },
    });
    expect(dashboard.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    const token = new URL(dashboard.url).searchParams.get('token')!;
    const response = await fetch(`${dashboard.origin}/body`, { headers: { 'x-rxgrad-token': token } });
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('cannot draw');
    expect(
      (
        await fetch(`${dashboard.origin}/control`, {
          method: 'POST',
          body: '{}',
          headers: { 'x-rxgrad-token': token, 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(404);
    expect(calls).toBe(1);
    await dashboard.close();
  });

  it('serves only requests with its token, a Host of its own, and controls sent as JSON from its own origin', async () => {
    const controls: unknown[] = [];
    const dashboard = await startDashboard({
      title: 't',
      body: () => '<p>the run</p>',
      control: (c) => {
        controls.push(c);
        return 'sent';
      },
    });
    const token = new URL(dashboard.url).searchParams.get('token')!;
    const { origin } = dashboard;
    const json = { 'content-type': 'application/json', 'x-rxgrad-token': token };
    const lr = JSON.stringify({ type: 'learningRate', value: 5 });
    // Tokens are random, 256 bits: two dashboards never share one.
    const other = await startDashboard({ title: 'u', body: () => '' });
    expect(new URL(other.url).searchParams.get('token')).not.toBe(token);
    await other.close();
    // No token, a wrong one, a foreign Host (DNS rebinding), even with the right token.
    for (const path of ['/', '/body', '/events']) {
      // Without a token the page's address serves only the entry page (200, nothing of the run).
      const tokenless = await rawRequest(`${origin}${path}`);
      expect(tokenless.status, path).toBe(path === '/' ? 200 : 403);
      expect(tokenless.body, path).not.toContain('the run');
      expect((await rawRequest(`${origin}${path}?token=${token.replace(/.$/, token.endsWith('A') ? 'B' : 'A')}`)).status, path).toBe(403);
      expect(
        (await rawRequest(`${origin}${path}?token=${token}`, { headers: { host: `evil.example:${new URL(origin).port}` } })).status,
        path,
      ).toBe(403);
      expect((await rawRequest(`${origin}${path}?token=${token}`, { headers: { host: 'evil.example' } })).body, path).not.toContain(
        'the run',
      );
    }
    expect((await rawRequest(`${origin}/body?token=${token}`)).body).toBe('<p>the run</p>');
    expect((await rawRequest(`${origin}/body?token=${token}`, { headers: { host: `localhost:${new URL(origin).port}` } })).status).toBe(
      200,
    );
    // Controls: without the token, as text/plain (a 'simple' cross-site request), from another origin.
    expect(
      (await rawRequest(`${origin}/control`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: lr })).status,
    ).toBe(403);
    expect(
      (await rawRequest(`${origin}/control`, { method: 'POST', headers: { ...json, 'content-type': 'text/plain' }, body: lr })).status,
    ).toBe(415);
    expect(
      (
        await rawRequest(`${origin}/control`, {
          method: 'POST',
          headers: { ...json, 'content-type': 'application/x-www-form-urlencoded' },
          body: lr,
        })
      ).status,
    ).toBe(415);
    expect(
      (await rawRequest(`${origin}/control`, { method: 'POST', headers: { ...json, origin: 'http://evil.example' }, body: lr })).status,
    ).toBe(403);
    expect((await rawRequest(`${origin}/control`, { method: 'POST', headers: { ...json, origin: 'null' }, body: lr })).status).toBe(403);
    expect(
      (
        await rawRequest(`${origin}/control`, {
          method: 'POST',
          headers: { ...json, host: `evil.example:${new URL(origin).port}`, origin: `http://evil.example:${new URL(origin).port}` },
          body: lr,
        })
      ).status,
    ).toBe(403);
    expect(controls).toEqual([]);
    const sent = await rawRequest(`${origin}/control`, { method: 'POST', headers: { ...json, origin }, body: lr });
    expect([sent.status, sent.body]).toEqual([200, 'sent']);
    expect(controls).toEqual([{ type: 'learningRate', value: 5 }]);
    // The printed address serves the page, and sets no cookie: the page keeps the token itself.
    const page = await rawRequest(dashboard.url);
    expect(page.status).toBe(200);
    expect(page.headers['set-cookie']).toBeUndefined();
    expect(page.body).toContain('sessionStorage');
    // Without the token, the address serves only the entry page, which shows nothing of the run.
    const entry = await rawRequest(`${origin}/`);
    expect(entry.status).toBe(200);
    expect(entry.body).not.toContain('id="report"');
    expect(entry.body).toContain('this dashboard needs its token');
    // Every response: no sniffing, no referrer (the token never leaks), the page's script by nonce only.
    for (const response of [page, entry, await rawRequest(`${origin}/body`)]) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
    }
    const nonce = /script-src 'nonce-([^']+)'/.exec(page.headers['content-security-policy'] as string)![1]!;
    expect(page.body).toContain(`<script nonce="${nonce}">`);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).not.toContain("unsafe-inline'; script");
    expect(page.body.match(/<script/g)).toHaveLength(1);
    expect(/script-src 'nonce-([^']+)'/.exec((await rawRequest(dashboard.url)).headers['content-security-policy'] as string)![1]).not.toBe(
      nonce,
    );
    // A cookie of the old kind is no credential.
    expect((await rawRequest(`${origin}/body`, { headers: { cookie: `rxgrad-dashboard-${new URL(origin).port}=${token}` } })).status).toBe(
      403,
    );
    await dashboard.close();
  });

  it('a page that connects after the end is told the run has ended, not that it goes on', async () => {
    const dashboard = await startDashboard({ title: 't', body: () => '' });
    const token = new URL(dashboard.url).searchParams.get('token')!;
    expect((await rawRequest(`${dashboard.origin}/events?token=${token}`)).body).toBe('event: update\ndata: connected\n\n');
    dashboard.notify('epoch 1 trained');
    expect((await rawRequest(`${dashboard.origin}/events?token=${token}`)).body).toBe('event: update\ndata: epoch 1 trained\n\n');
    dashboard.end('the run has ended');
    expect((await rawRequest(`${dashboard.origin}/events?token=${token}`)).body).toBe('event: end\ndata: the run has ended\n\n');
    await dashboard.close();
  });

  it('closing after the end waits for each open page to fetch the final state, and no longer than that', async () => {
    let state = 'epoch 1';
    const dashboard = await startDashboard({ title: 't', body: () => `<p>${state}</p>` });
    const headers = { 'x-rxgrad-token': new URL(dashboard.url).searchParams.get('token')! };
    const events = await fetch(`${dashboard.origin}/events`, { headers });
    const reader = events.body!.getReader();
    await reader.read();
    state = 'epoch 2, the last';
    dashboard.end('the run has ended');
    let closed = false;
    const closing = dashboard.close().then(() => (closed = true));
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toBe('event: end\ndata: the run has ended\n\n');
    // The server waits for the page to fetch the final state and close its stream: it is still there to answer.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    expect(await (await fetch(`${dashboard.origin}/body`, { headers })).text()).toBe('<p>epoch 2, the last</p>');
    expect(closed).toBe(false);
    const started = Date.now();
    await reader.cancel();
    await closing;
    expect(Date.now() - started).toBeLessThan(FINAL_STATE_MS);
    // With no page open, it stops at once.
    const alone = await startDashboard({ title: 't', body: () => '' });
    alone.end('done');
    const aloneAt = Date.now();
    await alone.close();
    expect(Date.now() - aloneAt).toBeLessThan(FINAL_STATE_MS);
  });
});

describe('the tune dashboard', () => {
  it('says in the page and in the terminal that the study has ended and where its report is, the page showing the final state', async () => {
    const study = path.join(tempDir(), 'study');
    const run = await startDashboardRun([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '3',
      '--epochs',
      '2',
      '--parallel',
      '1',
      '--prune',
      'none',
      '--dashboard',
    ]);
    try {
      const page = await browser().newPage();
      await page.goto(run.url);
      await until('the connected page', async () => (await page.$eval('#status', (e) => e.textContent ?? '')) !== 'connecting…');
      expect(await run.exited).toBe(0);
      const ending = `the study has ended: 3 trials, the best r0-00`;
      expect(run.stderr()).toContain(`rxgrad: the dashboard has stopped: ${ending}`);
      expect(run.stderr()).toContain(`; its report: rxgrad report ${study}`);
      // The page kept the final state (fetched before the server stopped), not an older one.
      await until('the end on the page', async () => (await page.$eval('#status', (e) => e.textContent ?? '')).startsWith(ending));
      expect(await page.$eval('#status', (e) => e.textContent ?? '')).toContain(`its report: rxgrad report ${study}`);
      expect(await page.$eval('#report', (e) => e.textContent ?? '')).toMatch(/3 trials/);
      expect(await page.$('#running')).toBeNull();
      await page.close();
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 120_000);

  it('serves the study as it runs and tells the page when trials finish', async () => {
    const study = path.join(tempDir(), 'study');
    const run = await startDashboardRun([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '12',
      '--epochs',
      '3',
      '--parallel',
      '1',
      '--dashboard',
      '0',
    ]);
    const token = { 'x-rxgrad-token': new URL(run.url).searchParams.get('token')! };
    const url = run.origin;
    try {
      // Without its token the study is not to be seen.
      expect((await fetch(`${url}/body`)).status).toBe(403);
      const events = await fetch(`${url}/events`, { headers: token });
      const reader = events.body!.getReader();
      let seen = '';
      // The page is told about trials as they go (epochs and ends, at most twice a second).
      await until('a trial event', async () => {
        const { value, done } = await reader.read();
        if (value) seen += new TextDecoder().decode(value);
        return done || /event: update\ndata: r0-\d{3}/.test(seen);
      });
      expect(seen).toMatch(/event: update\ndata: r0-\d{3}/);
      await until('the study on the page', async () =>
        (await (await fetch(`${url}/body`, { headers: token })).text()).includes('data-chart="history"'),
      );
      await reader.cancel();
      expect(await run.exited).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 120_000);
});
