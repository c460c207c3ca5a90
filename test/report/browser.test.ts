/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useBrowser } from '../helpers/browser.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const CLI = path.resolve('dist/cli/main.js');

/** Significant digits of a number as printed: "0.0001" 1, "0.1235" 4, "123500" 4. */
function significantDigits(text: string): number {
  const mantissa = text.replace(/^-/, '').replace(/e.*$/, '');
  const digits = mantissa.includes('.') ? mantissa.replace('.', '').replace(/^0+/, '') : mantissa.replace(/0+$/, '');
  return Math.max(1, digits.length);
}
const browser = useBrowser();

/** Per chart: its id, scales, whether its SVG has a size, its text labels, and how many of its pixels are not white. */
async function chartsOf(file: string) {
  const page = await browser().newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const charts = await page.evaluate(async () => {
    const figures = [...document.querySelectorAll('figure.chart')] as HTMLElement[];
    return Promise.all(
      figures.map(async (figure) => {
        const svg = figure.querySelector('svg')!;
        const box = svg.getBoundingClientRect();
        // Draw the SVG as the browser renders it and count the pixels that are not background.
        const image = new Image();
        image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(svg))}`;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = box.width;
        canvas.height = box.height;
        const context = canvas.getContext('2d')!;
        context.fillStyle = '#fff';
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(image, 0, 0);
        const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 0; i < pixels.length; i += 4) if (pixels[i]! < 240 || pixels[i + 1]! < 240 || pixels[i + 2]! < 240) inked++;
        return {
          id: figure.dataset.chart!,
          x: figure.dataset.xScale,
          y: figure.dataset.yScale,
          width: box.width,
          height: box.height,
          texts: [...svg.querySelectorAll('text')].map((t) => t.textContent ?? ''),
          inked: inked / (pixels.length / 4),
        };
      }),
    );
  });
  const screenshot = await page.screenshot({ fullPage: true });
  await page.close();
  return { charts, screenshot };
}

describe('the report in a real browser', () => {
  it('rxgrad tune --trials 30, then rxgrad report: every chart renders, log axes where the space says so', async () => {
    const study = path.join(tempDir(), 'S');
    execFileSync(process.execPath, [CLI, 'tune', '--data', DIGITS_TRAIN, '--study', study, '--trials', '30'], { stdio: 'ignore' });
    const out = path.join(study, 'report.html');
    execFileSync(process.execPath, [CLI, 'report', study, '--out', out], { stdio: 'ignore' });
    const { charts, screenshot } = await chartsOf(out);
    expect(charts.map((c) => c.id)).toEqual([
      'history',
      'curves',
      'slice-batchSize',
      'slice-hiddenUnits',
      'slice-layers',
      'slice-learningRate',
      'slice-lrDecay',
      'slice-momentum',
      'parallel',
      'importances',
    ]);
    for (const chart of charts) {
      expect(chart.width, chart.id).toBeGreaterThan(200);
      expect(chart.height, chart.id).toBeGreaterThan(100);
      expect(chart.inked, chart.id).toBeGreaterThan(0.01);
      expect(chart.texts.length, chart.id).toBeGreaterThan(3);
    }
    const byId = new Map(charts.map((c) => [c.id, c]));
    // The learning rate is log-uniform in [1e-4, 0.1]: a log axis with a tick per decade.
    expect(byId.get('slice-learningRate')!.x).toBe('log');
    expect(byId.get('slice-learningRate')!.texts).toEqual(expect.arrayContaining(['0.0001', '0.001', '0.01', '0.1', 'learningRate']));
    // Momentum is drawn as 1 − β on a log axis; batch size as categories; lrDecay on a linear axis.
    expect(byId.get('slice-momentum')!.x).toBe('log');
    expect(byId.get('slice-momentum')!.texts).toEqual(expect.arrayContaining(['1 − momentum', '0.01', '0.1']));
    expect(byId.get('slice-batchSize')!.x).toBe('category');
    expect(byId.get('slice-batchSize')!.texts).toEqual(expect.arrayContaining(['32', '64', '128', '256']));
    expect(byId.get('slice-lrDecay')!.x).toBe('value');
    expect(byId.get('curves')!.texts).toEqual(expect.arrayContaining(['rung 1', 'rung 3']));
    // Readable ticks everywhere: no float noise such as 0.00009999999999999999.
    for (const chart of charts)
      for (const text of chart.texts.filter((t) => /^-?[\d.]+(e-?\d+)?$/.test(t)))
        expect(significantDigits(text), `${chart.id}: ${text}`).toBeLessThanOrEqual(4);
    // The screenshot is not blank: a PNG of the page is far larger than one of an empty page.
    const blankPage = await browser().newPage();
    await blankPage.setViewport({ width: 1400, height: 1000 });
    const blank = await blankPage.screenshot({ fullPage: true });
    await blankPage.close();
    expect(screenshot.length).toBeGreaterThan(10 * blank.length);
  }, 120_000);
});
