import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll } from 'vitest';

/** Debian's Chromium (installed by .ci/run), or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The system Chromium, headless, driven by puppeteer-core (nothing downloaded). Missing, it is an
 * error, not a skip: `.ci/run` installs it (apt-get install -y chromium).
 */
export async function launchBrowser(args: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', ...args],
  });
}

/** One browser for a test file, started with Chromium's `args`: launched before its tests, closed after them. */
export function useBrowser(args: readonly string[] = []): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser(args);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => browser!;
}
