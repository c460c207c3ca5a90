// The README's pictures, made by the same headless browser the tests use (Debian's Chromium
// through puppeteer-core): docs/study-report.png (rxgrad report of a 30-trial study on the
// bundled digits) and docs/babysit-dashboard.png (the live page of a babysat run).
//   node scripts/screenshots.mjs        (after npm run build)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(root, 'dist/cli/main.js');
const work = mkdtempSync(path.join(tmpdir(), 'rxgrad-screenshots-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const study = path.join(work, 'study');
  execFileSync(
    process.execPath,
    [cli, 'tune', '--data', path.join(root, 'data/digits-train.arrow'), '--study', study, '--trials', '30', '--rounds', '2', '--seed', '7'],
    { stdio: 'ignore' },
  );
  execFileSync(process.execPath, [cli, 'report', study], { stdio: 'ignore' });
  const page = await browser.newPage();
  await page.setViewport({ width: 1320, height: 900, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(path.join(study, 'report.html')).href);
  await page.screenshot({ path: path.join(root, 'docs/study-report.png'), fullPage: true });

  const run = path.join(work, 'run');
  const child = spawn(
    process.execPath,
    [
      cli,
      'babysit',
      '--data',
      path.join(root, 'data/digits-train.arrow'),
      '--test',
      path.join(root, 'data/digits-test.arrow'),
      '--dir',
      run,
      '--epochs',
      '60',
      '--dashboard',
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  while (!/dashboard: (http:\S+)/.test(stderr)) await new Promise((r) => setTimeout(r, 50));
  const url = /dashboard: (http:\S+)/.exec(stderr)[1];
  // Change the learning rate after a few epochs, as one does when babysitting, then wait for more.
  while (!/epoch 6\//.test(stderr)) await new Promise((r) => setTimeout(r, 50));
  child.stdin.write('lr 0.0003\n');
  while (!/epoch 14\//.test(stderr)) await new Promise((r) => setTimeout(r, 50));
  child.stdin.write('pause\n');
  await new Promise((r) => setTimeout(r, 500));
  await page.goto(url);
  await page.waitForFunction(() => /epochs recorded/.test(document.querySelector('#report .summary')?.textContent ?? ''));
  await page.screenshot({ path: path.join(root, 'docs/babysit-dashboard.png'), fullPage: true });
  child.stdin.write('stop\n');
  await new Promise((r) => child.on('exit', r));
} finally {
  await browser.close();
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write('wrote docs/study-report.png and docs/babysit-dashboard.png\n');
