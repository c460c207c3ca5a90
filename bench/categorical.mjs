// npm run bench: categorical columns against PyTorch. A generated classification where two text
// columns and a True/False one matter (the label depends on them and on the numbers), written as
// CSV; rxgrad one-hot encodes the text and boolean columns itself (train's default), PyTorch gets
// the same one-hot inputs from pandas. The same network, optimizer, batch size and epochs, 10 seeds
// each; the table is the mean test accuracy. Writes bench/results/categorical.json and .md.
//
//   node bench/categorical.mjs [--epochs 20] [--seeds 10]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom } from 'rxjs';
import { trainFromFiles } from '../dist/index.js';
import { findTorchPython } from './torchPython.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const EPOCHS = option('epochs', 20);
const SEEDS = option('seeds', 10);
const log = (line) => process.stderr.write(`${line}\n`);

/** A seeded uniform generator (mulberry32), so the data is the same on every run. */
function uniformFrom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COLORS = ['amber', 'blue', 'green', 'red', 'violet'];
const SIZES = ['L', 'M', 'S', 'XL'];
/** Rows whose class (0, 1, 2) depends on a color's and a size's effect, membership and two of four numbers. */
function rows(n, seed) {
  const u = uniformFrom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  const lines = ['x1,x2,x3,x4,color,size,member,label'];
  for (let i = 0; i < n; i++) {
    const x = [normal(), normal(), normal(), normal()];
    const color = Math.floor(u() * COLORS.length);
    const size = Math.floor(u() * SIZES.length);
    const member = u() < 0.4;
    const score = x[0] + 0.5 * x[1] + [-1.2, 0.3, 1.1, -0.4, 0.6][color] + [0.8, 0, -0.8, 1.2][size] * (member ? 1 : -1) + 0.5 * normal();
    const label = score < -0.6 ? 'low' : score < 0.6 ? 'mid' : 'high';
    lines.push(`${x.map((v) => v.toFixed(4)).join(',')},${COLORS[color]},${SIZES[size]},${member ? 'True' : 'False'},${label}`);
  }
  return `${lines.join('\n')}\n`;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'rxgrad-categorical-'));
const train = path.join(dir, 'train.csv');
const test = path.join(dir, 'test.csv');
writeFileSync(train, rows(4000, 1));
writeFileSync(test, rows(2000, 2));

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const sd = (values) => Math.sqrt(values.reduce((s, v) => s + (v - mean(values)) ** 2, 0) / (values.length - 1));

async function rxgradRun(seed, numbersOnly) {
  const start = performance.now();
  let report;
  await lastValueFrom(
    trainFromFiles({
      data: train,
      test,
      config: {
        hidden: [64, 32],
        activation: 'relu',
        batchNorm: true,
        optimizer: 'adam',
        learningRate: 1e-3,
        weightDecay: 0,
        lrDecay: 0,
        batchSize: 64,
        epochs: EPOCHS,
        seed,
      },
      threads: 1,
      ...(numbersOnly ? { maxLevels: 1 } : {}),
    }),
  ).then((end) => (report = end.report));
  return { testAccuracy: report.testAccuracy, seconds: (performance.now() - start) / 1000 };
}

const python = findTorchPython(root, ['pandas']);
const results = { rxgrad: [], numbersOnly: [], pytorch: [] };
for (let seed = 0; seed < SEEDS; seed++) {
  results.rxgrad.push(await rxgradRun(seed, false));
  results.numbersOnly.push(await rxgradRun(seed, true));
  if (python) {
    const out = execFileSync(python, [path.join(root, 'bench/pytorch_categorical.py'), train, test, String(EPOCHS), String(seed)], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    results.pytorch.push(JSON.parse(out.trim().split('\n').at(-1)));
  }
  log(
    `seed ${seed}: rxgrad ${results.rxgrad.at(-1).testAccuracy.toFixed(4)}, numbers only ${results.numbersOnly.at(-1).testAccuracy.toFixed(4)}${python ? `, PyTorch ${results.pytorch.at(-1).testAccuracy.toFixed(4)}` : ''}`,
  );
}
const torchVersion = python
  ? execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim()
  : undefined;
const row = (name, runs) => {
  const accuracies = runs.map((r) => r.testAccuracy);
  return { name, mean: mean(accuracies), sd: sd(accuracies), accuracies };
};
const rows$ = [
  row('rxgrad, text and True/False columns one-hot (the default)', results.rxgrad),
  row('rxgrad, numbers only (--max-levels 1, as before categories)', results.numbersOnly),
  ...(python ? [row(`PyTorch ${torchVersion}, the same one-hot inputs from pandas`, results.pytorch)] : []),
];
const pct = (v) => (100 * v).toFixed(2);
const md = [
  `Categorical columns: 4,000 training and 2,000 test rows (4 numbers, 2 text columns of 5 and 4 levels, 1 True/False), 3 classes; 64-32 Dense-BN-ReLU, Adam 1e-3, batch 64, ${EPOCHS} epochs, seeds 0-${SEEDS - 1}, one thread; ${new Date().toISOString().slice(0, 10)}`,
  '',
  '| run | test accuracy % (mean ± sd) |',
  '| --- | ---: |',
  ...rows$.map((r) => `| ${r.name} | ${pct(r.mean)} ± ${pct(r.sd)} |`),
  '',
  ...(python ? [`rxgrad minus PyTorch: ${pct(rows$[0].mean - rows$[2].mean)} points.`, ''] : []),
];
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(
  path.join(root, 'bench/results/categorical.json'),
  `${JSON.stringify({ date: new Date().toISOString(), epochs: EPOCHS, rows: rows$ }, null, 2)}\n`,
);
writeFileSync(path.join(root, 'bench/results/categorical.md'), md.join('\n'));
process.stdout.write(md.join('\n'));
