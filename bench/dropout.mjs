// npm run bench: dropout on Fashion-MNIST, rxgrad beside PyTorch (today's release from .venv or
// $PYTHON, else Debian's python3-torch), each without dropout and with p = 0.2 after each ReLU, over
// --seeds seeds, one thread each. Writes bench/results/dropout.json and dropout.md.
//
// The two draw their masks differently (rxgrad hashes the seed and step, PyTorch draws from its
// generator), so they agree in distribution, not mask for mask: the table compares the mean test
// accuracy over seeds, the train–test gap dropout narrows, and what dropout costs per epoch.
//
//   node bench/dropout.mjs [--epochs 10] [--seeds 3] [--rate 0.2]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom } from 'rxjs';
import { prepareFashionMnist, trainEpoch } from '../dist/entries/advanced.js';
import { createBackend, createNetwork, createOptimizer, evaluate, readArrow, summarize } from '../dist/index.js';
import { findTorchPython } from './torchPython.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const EPOCHS = Number(option('epochs', 10));
const SEEDS = Number(option('seeds', 3));
const RATE = Number(option('rate', 0.2));
const BATCH = 128;
const SOURCE = '/usr/share/datasets/fashion-mnist';
const dataDir = path.join(root, 'data/fashion-mnist');
const train = path.join(dataDir, 'train.arrow');
const test = path.join(dataDir, 'test.arrow');
const log = (line) => process.stderr.write(`${line}\n`);

if (!(existsSync(train) && existsSync(test))) {
  if (!existsSync(path.join(SOURCE, 'train-images-idx3-ubyte.gz')))
    execFileSync('apt-get', ['install', '-y', '-qq', 'dataset-fashion-mnist'], { stdio: 'inherit' });
  await prepareFashionMnist(dataDir, SOURCE);
}

/** One rxgrad run: per epoch its time, and test and training accuracy (inference mode). */
async function rxgradRun(seed, rate) {
  const { standardizer } = await lastValueFrom(readArrow(train, { recycle: true, keepBytes: true }).pipe(summarize()));
  const network = createNetwork({
    inputSize: 784,
    classes: 10,
    hidden: [256, 128],
    dropout: rate,
    seed,
    backend: createBackend({ threads: 1 }),
  });
  const optimizer = createOptimizer({ type: 'adam', learningRate: 1e-3 }, network.backend);
  const accuracyOn = async (file) =>
    (await lastValueFrom(readArrow(file, { recycle: true, keepBytes: true }).pipe(evaluate(network, { standardizer, batchSize: 1000 }))))
      .accuracy;
  const epochs = [];
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    const start = performance.now();
    await lastValueFrom(
      readArrow(train, { recycle: true, keepBytes: true }).pipe(
        trainEpoch({ network, optimizer, epoch, batchSize: BATCH, seed, standardizer }),
      ),
      { defaultValue: undefined },
    );
    const seconds = (performance.now() - start) / 1000;
    epochs.push({ epoch, seconds, testAccuracy: await accuracyOn(test), trainAccuracy: await accuracyOn(train) });
  }
  network.backend.close();
  const last = epochs.at(-1);
  log(`rxgrad p=${rate} seed ${seed}: test ${last.testAccuracy.toFixed(4)}, train ${last.trainAccuracy.toFixed(4)}`);
  return epochs;
}

const python = findTorchPython(root);
function pytorchRun(seed, rate) {
  const output = execFileSync(
    python,
    [path.join(root, 'bench/pytorch_fashion.py'), '1', String(EPOCHS), SOURCE, String(seed), String(rate)],
    {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    },
  );
  const epochs = output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const last = epochs.at(-1);
  log(`PyTorch p=${rate} seed ${seed}: test ${last.testAccuracy.toFixed(4)}, train ${last.trainAccuracy.toFixed(4)}`);
  return epochs;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;
const sd = (values) =>
  values.length < 2 ? 0 : Math.sqrt(values.reduce((sum, v) => sum + (v - mean(values)) ** 2, 0) / (values.length - 1));

const contenders = [['rxgrad', rxgradRun], ...(python ? [['PyTorch', pytorchRun]] : [])];
if (!python) log('PyTorch not found (python3 -m venv .venv && .venv/bin/pip install torch numpy): rxgrad alone');
const runs = new Map();
// Seed by seed, every contender in turn, so that the host's load falls on all of them alike.
for (let seed = 0; seed < SEEDS; seed++)
  for (const [name, run] of contenders)
    for (const rate of [0, RATE]) {
      const key = `${name} p=${rate}`;
      runs.set(key, [...(runs.get(key) ?? []), await run(seed, rate)]);
    }

const torchVersion = python
  ? execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim()
  : undefined;
const rows = [...runs].map(([key, seeds]) => {
  const finals = seeds.map((epochs) => epochs.at(-1));
  const [name, rate] = key.split(' p=');
  return {
    name: name === 'PyTorch' ? `PyTorch ${torchVersion}` : name,
    rate: Number(rate),
    epochSeconds: median(seeds.flat().map((e) => e.seconds)),
    testAccuracy: { mean: mean(finals.map((e) => e.testAccuracy)), sd: sd(finals.map((e) => e.testAccuracy)) },
    trainAccuracy: { mean: mean(finals.map((e) => e.trainAccuracy)), sd: sd(finals.map((e) => e.trainAccuracy)) },
    seeds,
  };
});
const result = {
  date: new Date().toISOString(),
  machine: `${os.cpus()[0]?.model} × ${os.availableParallelism()}, Node ${process.version}`,
  workload: `784→256→128→10, Dense (no bias)→BN→ReLU→Dropout ×2, Adam 1e-3, batch 128, ${EPOCHS} epochs, one thread; Fashion-MNIST 60,000 train / 10,000 test`,
  rows,
};
const pct = (v) => (100 * v).toFixed(2);
const withoutDropout = (row) => rows.find((r) => r.name === row.name && r.rate === 0);
const md = [
  `Dropout on Fashion-MNIST, ${EPOCHS} epochs, ${SEEDS} seeds, ${result.machine}, ${result.date.slice(0, 10)}`,
  '',
  '| run | dropout | test accuracy % (mean ± sd) | train accuracy % | train − test (points) | epoch (s, median) | epoch time vs p = 0 |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.rate} | ${pct(r.testAccuracy.mean)} ± ${pct(r.testAccuracy.sd)} | ${pct(r.trainAccuracy.mean)} | ${pct(r.trainAccuracy.mean - r.testAccuracy.mean)} | ${r.epochSeconds.toFixed(2)} | ${(r.epochSeconds / withoutDropout(r).epochSeconds).toFixed(2)}× |`,
  ),
  '',
];
const ours = rows.find((r) => r.name === 'rxgrad' && r.rate === RATE);
const peer = rows.find((r) => r.name !== 'rxgrad' && r.rate === RATE);
if (peer)
  md.push(
    `With p = ${RATE}, rxgrad minus PyTorch, mean test accuracy: ${pct(ours.testAccuracy.mean - peer.testAccuracy.mean)} points; dropout changed the mean test accuracy by ${pct(ours.testAccuracy.mean - withoutDropout(ours).testAccuracy.mean)} points in rxgrad and ${pct(peer.testAccuracy.mean - withoutDropout(peer).testAccuracy.mean)} in PyTorch.`,
    '',
  );
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/dropout.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(path.join(root, 'bench/results/dropout.md'), md.join('\n'));
process.stdout.write(md.join('\n'));
