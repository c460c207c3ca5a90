/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { useBrowser } from '../helpers/browser.js';
import { type DashboardRun, historyOf, startDashboardRun, until } from '../helpers/dashboardRun.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const CLI = path.resolve('dist/cli/main.js');
// evil.example resolves to this machine, as it would for a page whose DNS an attacker rebinds.
// Chromium's own Local Network Access checks would refuse such a page's requests to loopback
// before they reach the dashboard; Firefox and Safari have no such checks, so they are turned off
// here to test the dashboard's own defence.
const browser = useBrowser([
  '--host-resolver-rules=MAP evil.example 127.0.0.1',
  '--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks',
]);

const started: { runs: DashboardRun[]; servers: Server[] } = { runs: [], servers: [] };
afterEach(async () => {
  for (const run of started.runs.splice(0)) run.child.kill('SIGKILL');
  for (const server of started.servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Serves one page on 127.0.0.1 at another port than the dashboard's: another origin, the same site. */
async function servePage(html: string): Promise<string> {
  const server = createServer((_, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(html));
  started.servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** What a hostile page tries against a dashboard at `target`: every request a browser sends without asking the server first. */
const csrfPage = (target: string) => `<!doctype html><body>
<iframe name="a"></iframe><iframe name="b"></iframe>
<form id="plain" method="POST" action="${target}/control" enctype="text/plain" target="a"><input name='{"type":"learningRate","value":5,"pad":"' value='"}'></form>
<form id="urlencoded" method="POST" action="${target}/control" target="b"><input name="type" value="stop"></form>
<script>
(async () => {
  const lr = JSON.stringify({ type: 'learningRate', value: 5 });
  const results = {};
  results.noCors = await fetch('${target}/control', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: lr }).then((r) => r.type, () => 'failed');
  // A JSON body needs a preflight, which the dashboard does not grant.
  results.json = await fetch('${target}/control', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: lr }).then((r) => r.status, () => 'blocked');
  results.read = await fetch('${target}/body', { credentials: 'include' }).then((r) => r.status, () => 'blocked');
  const frames = [...document.querySelectorAll('iframe')].map((f) => new Promise((resolve) => (f.onload = resolve)));
  document.getElementById('plain').submit();
  document.getElementById('urlencoded').submit();
  await Promise.all(frames);
  document.title = 'done ' + JSON.stringify(results);
})();
</script></body>`;

/** A DNS-rebinding page: served as evil.example, which now resolves to 127.0.0.1, so its requests are "same-origin". */
const reboundPage = `<!doctype html><body><script>
(async () => {
  try {
    const body = await fetch('/body');
    const text = await body.text();
    const control = await fetch('/control', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'learningRate', value: 5 }) });
    const events = await fetch('/events');
    document.title = 'done ' + JSON.stringify({ body: body.status, read: text.includes('recorded'), control: control.status, events: events.status });
  } catch (error) {
    document.title = 'done ' + JSON.stringify({ error: String(error) });
  }
})();
</script></body>`;

describe('a dashboard nobody else can steer (in Chromium)', () => {
  it('a page from another origin, and a DNS-rebinding page, neither read nor steer a babysat run', async () => {
    const dir = path.join(tempDir(), 'run');
    const run = await startDashboardRun([
      'babysit',
      '--data',
      DIGITS_TRAIN,
      '--dir',
      dir,
      '--epochs',
      '2000',
      '--hidden',
      '16',
      '--lr',
      '0.001',
      '--dashboard',
      '--json',
    ]);
    started.runs.push(run);
    // The user's own tab, open on the printed address (the attacks below run in the same browser).
    const own = await browser().newPage();
    await own.goto(run.url);
    await until('an epoch on the page', async () =>
      /epochs? recorded/.test(await own.$eval('#report .summary', (e) => e.textContent ?? '')),
    );

    const attacker = await browser().newPage();
    await attacker.goto(await servePage(csrfPage(run.origin)));
    await attacker.waitForFunction(() => document.title.startsWith('done'), { timeout: 30_000 });
    expect(JSON.parse((await attacker.title()).slice(5))).toEqual({ noCors: 'opaque', json: 'blocked', read: 'blocked' });

    const port = new URL(run.origin).port;
    const rebound = await browser().newPage();
    await rebound.setRequestInterception(true);
    // The attacker's server answers the first load; after that the name points at the dashboard.
    rebound.on('request', (request) =>
      request.url() === `http://evil.example:${port}/`
        ? request.respond({ status: 200, contentType: 'text/html', body: reboundPage })
        : request.continue(),
    );
    await rebound.goto(`http://evil.example:${port}/`);
    await rebound.waitForFunction(() => document.title.startsWith('done'), { timeout: 30_000 });
    expect(JSON.parse((await rebound.title()).slice(5))).toEqual({ body: 403, read: false, control: 403, events: 403 });

    // The run's own output: no control arrived, it still trains at 0.001. Then the real page still
    // steers it; the run's control log, in order, holds the page's controls and nothing else.
    expect(run.child.exitCode).toBeNull();
    expect(run.stderr()).not.toMatch(/learningRate|stop \(after/);
    // Background tabs get no animation frames in headless Chromium, and a click waits for one.
    await own.bringToFront();
    await own.type('#argument-learningRate', '0.0005');
    await own.click('button[data-control="learningRate"]');
    await until('the page’s own control in the run’s output', () => /lr 0\.0005 \(after step \d+\)/.test(run.stderr()));
    // The history is written behind the run, so its length says nothing of when the control came:
    // wait for an epoch recorded at the new rate itself.
    await until('an epoch at the new rate', () => historyOf(dir).epochs.some((e) => e.learningRate === 0.0005));
    await own.click('button[data-control="stop"]');
    expect(await run.exited).toBe(0);
    const history = historyOf(dir);
    expect(history.controls.map((c) => c.control)).toEqual([{ type: 'learningRate', value: 0.0005 }, { type: 'stop' }]);
    expect(new Set(history.epochs.map((e) => e.learningRate))).toEqual(new Set([0.001, 0.0005]));
  }, 120_000);

  it('class and column names that are HTML run no script in a report or a dashboard', async () => {
    const names = ['<img src=x onerror=alert(1)>', '</script><script>alert(1)</script>'];
    const root = tempDir();
    const csv = path.join(root, 'hostile.csv');
    const rows = Array.from({ length: 80 }, (_, i) => `${(i % 2) * 3 + Math.sin(i)},${(i % 2) * -2 + Math.cos(i)},${names[i % 2]}`);
    writeFileSync(csv, `${names.join(',')},label\n${rows.join('\n')}\n`);
    const dialogs: string[] = [];
    const watch = async () => {
      const page = await browser().newPage();
      page.on('dialog', async (dialog) => {
        dialogs.push(dialog.message());
        await dialog.dismiss();
      });
      return page;
    };
    // The report of a run whose directory, classes and features are all markup.
    const model = path.join(root, '<img src=x onerror=alert(2)>');
    execFileSync(process.execPath, [CLI, 'train', '--data', csv, '--test', csv, '--save', model, '--epochs', '3', '--hidden', '4'], {
      stdio: 'ignore',
    });
    execFileSync(process.execPath, [CLI, 'report', model, '--out', path.join(root, 'report.html')], { stdio: 'ignore' });
    const report = await watch();
    await report.goto(pathToFileURL(path.join(root, 'report.html')).href, { waitUntil: 'load' });
    // The names are there, as text.
    const texts = await report.$$eval('svg text', (t) => t.map((e) => e.textContent));
    expect(texts).toEqual(expect.arrayContaining(names));
    expect(await report.$eval('body', (b) => b.textContent)).toContain('<img src=x onerror=alert(2)>');
    expect(await report.$$('img')).toHaveLength(0);
    // And the live dashboard of a babysat run on the same file.
    const run = await startDashboardRun([
      'babysit',
      '--data',
      csv,
      '--test',
      csv,
      '--dir',
      path.join(root, '</script><script>alert(3)</script>'),
      '--epochs',
      '400',
      '--hidden',
      '4',
      '--dashboard',
    ]);
    started.runs.push(run);
    const live = await watch();
    await live.goto(run.url);
    await until('the confusion matrix on the page', async () =>
      (await live.$$eval('svg text', (t) => t.map((e) => e.textContent))).includes(names[0]!),
    );
    expect(await live.title()).toContain('</script><script>alert(3)</script>');
    expect(await live.$$('#report img')).toHaveLength(0);
    run.child.stdin!.write('stop\n');
    expect(await run.exited).toBe(0);
    expect(dialogs).toEqual([]);
  }, 120_000);
});

describe('the dashboard token and other local servers', () => {
  it('never reaches a server on another port of this machine that the same browser visits', async () => {
    const dir = path.join(tempDir(), 'run');
    const run = await startDashboardRun([
      'babysit',
      '--data',
      DIGITS_TRAIN,
      '--dir',
      dir,
      '--epochs',
      '2000',
      '--hidden',
      '16',
      '--dashboard',
      '--json',
    ]);
    started.runs.push(run);
    const token = new URL(run.url).searchParams.get('token')!;
    const own = await browser().newPage();
    await own.goto(run.url);
    await until('an epoch on the page', async () =>
      /epochs? recorded/.test(await own.$eval('#report .summary', (e) => e.textContent ?? '')),
    );
    // Another local server (a notebook, a dev server): it records every request the browser sends it.
    const seen: string[] = [];
    const other = createServer((request, response) => {
      seen.push(JSON.stringify(request.headers));
      response.end('<!doctype html><title>other</title>');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const page = await browser().newPage();
    await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
    await new Promise<void>((resolve) => other.close(() => resolve()));
    expect(seen.length).toBeGreaterThan(0);
    for (const headers of seen) expect(headers).not.toContain(token);
    // And the dashboard's own page still works after a reload, from the token its tab kept.
    await own.bringToFront();
    await own.reload();
    await until('the reloaded page', async () =>
      /epochs? recorded/.test(await own.$eval('#report .summary', (e) => e.textContent ?? '').catch(() => '')),
    );
    expect(own.url()).toBe(`${run.origin}/`);
    run.child.stdin!.write('stop\n');
    expect(await run.exited).toBe(0);
  }, 120_000);
});
