// npm run bench: the Fashion-MNIST workload in rxgrad and, in the same run, its peers
// (TensorFlow.js WASM and CPU backends; PyTorch with one and two threads: today's release from
// .venv or $PYTHON when it has torch, else Debian's python3-torch). Writes bench/results/fashion.json
// and fashion.md.
//
// rxgrad and PyTorch, each on one and on two threads, run --accuracy-seeds seeds (0, 1, …), in
// turn seed by seed: their epoch time is the median over all those epochs, and their test accuracy
// is given as the mean over seeds, since one seed's accuracy varies by about ±0.4 points.
//
//   node bench/fashion.mjs [--epochs 5] [--accuracy-seeds 5] [--tfjs-wasm-epochs 5] [--tfjs-cpu-batches 20] [--skip tfjs-wasm,pytorch]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, toArray } from 'rxjs';
import { prepareFashionMnist, trainEpoch } from '../dist/entries/advanced.js';
import { createBackend, createNetwork, createOptimizer, evaluate, miniBatches, normalize, readArrow, summarize } from '../dist/index.js';
import { findTorchPython } from './torchPython.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const EPOCHS = Number(option('epochs', 5));
const TFJS_WASM_EPOCHS = Number(option('tfjs-wasm-epochs', 1));
const TFJS_CPU_BATCHES = Number(option('tfjs-cpu-batches', 20));
const ACCURACY_SEEDS = Number(option('accuracy-seeds', 5));
const SEED = Number(option('seed', 0));
const THREADS = Number(option('threads', 1));
const skip = new Set(option('skip', '').split(',').filter(Boolean));
const BATCH = 128;
const SOURCE = '/usr/share/datasets/fashion-mnist';
const dataDir = path.join(root, 'data/fashion-mnist');
const train = path.join(dataDir, 'train.arrow');
const test = path.join(dataDir, 'test.arrow');
const log = (line) => process.stderr.write(`${line}\n`);

// Multiply-adds ×2 per epoch: forward and dW for all three layers, dX for the two upper ones.
const LAYERS = [
  [784, 256],
  [256, 128],
  [128, 10],
];
const FLOPS = 60000 * LAYERS.reduce((sum, [i, o], layer) => sum + 2 * i * o * (layer === 0 ? 2 : 3), 0);

async function ensureData() {
  if (existsSync(train) && existsSync(test)) return;
  if (!existsSync(path.join(SOURCE, 'train-images-idx3-ubyte.gz'))) {
    log(`Fashion-MNIST is not installed: running apt-get install -y dataset-fashion-mnist (Debian's package of the IDX files)`);
    execFileSync('apt-get', ['install', '-y', '-qq', 'dataset-fashion-mnist'], { stdio: 'inherit' });
  }
  log(`converting ${SOURCE} to Arrow files in ${dataDir}`);
  await prepareFashionMnist(dataDir, SOURCE);
}

const peakRssMB = () => process.resourceUsage().maxRSS / 1024;
const threadsLabel = (threads) => `${threads} thread${threads > 1 ? 's' : ''}`;

/** Runs rxgrad in a child process, so that its peak RSS is its own. */
function rxgradChild(seed = 0, threads = 1) {
  const output = execFileSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--rxgrad-only', '--epochs', String(EPOCHS), '--seed', String(seed), '--threads', String(threads)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(output.trim().split('\n').at(-1));
}

/** Milliseconds spent in garbage collection since the bench started (every pause, as V8 reports it). */
let gcMilliseconds = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMilliseconds += entry.duration;
}).observe({ entryTypes: ['gc'] });

async function rxgradRun() {
  const { standardizer } = await lastValueFrom(readArrow(train, { recycle: true, keepBytes: true }).pipe(summarize()));
  const network = createNetwork({
    inputSize: 784,
    classes: 10,
    hidden: [256, 128],
    activation: 'relu',
    batchNorm: true,
    init: 'he',
    seed: SEED,
    backend: createBackend({ threads: THREADS }),
  });
  const optimizer = createOptimizer({ type: 'adam', learningRate: 1e-3 }, network.backend);
  const epochs = [];
  let rxjsShare;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    // Profile the second epoch to measure what the RxJS plumbing itself costs.
    const session = epoch === 1 && SEED === 0 && THREADS === 1 ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const start = performance.now();
    const gcBefore = gcMilliseconds;
    await lastValueFrom(
      readArrow(train, { recycle: true, keepBytes: true }).pipe(
        trainEpoch({ network, optimizer, epoch: epoch + 1, batchSize: BATCH, seed: SEED, standardizer }),
      ),
      { defaultValue: undefined },
    );
    const seconds = (performance.now() - start) / 1000;
    // GC is observed asynchronously: the pauses of this epoch are counted once its events are in.
    await new Promise((resolve) => setImmediate(resolve));
    const gcShare = (gcMilliseconds - gcBefore) / 1000 / seconds;
    if (session) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      rxjsShare = shareOf(profile, (url) => url.includes('/node_modules/rxjs/'));
    }
    const { accuracy } = await lastValueFrom(
      readArrow(test, { recycle: true, keepBytes: true }).pipe(evaluate(network, { standardizer, batchSize: 1000 })),
    );
    epochs.push({
      epoch: epoch + 1,
      seconds,
      samplesPerSecond: 60000 / seconds,
      gflops: FLOPS / seconds / 1e9,
      testAccuracy: accuracy,
      peakRssMB: peakRssMB(),
      gcShare,
    });
    log(
      `rxgrad (${network.backend.name}, ${threadsLabel(THREADS)}) seed ${SEED} epoch ${epoch + 1}: ${seconds.toFixed(2)} s, test accuracy ${accuracy.toFixed(4)}, peak RSS ${peakRssMB().toFixed(0)} MB`,
    );
  }
  return { name: `rxgrad ${network.backend.name} (${threadsLabel(THREADS)})`, epochs, rxjsShare };
}

if (args.includes('--rxgrad-only')) {
  console.log(JSON.stringify(await rxgradRun()));
  process.exit(0);
}

/** Self time of profile nodes whose script matches, over all sampled time. */
function shareOf(profile, match) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let total = 0;
  let matched = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (match(byId.get(id).callFrame.url)) matched += dt;
  });
  return matched / total;
}

async function tfjsRun(backendName, maxBatches) {
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  if (backendName === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
  } else {
    await import('@tensorflow/tfjs-backend-cpu');
  }
  await tf.setBackend(backendName);
  await tf.ready();
  const { standardizer } = await lastValueFrom(readArrow(train).pipe(summarize()));
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 256, useBias: false, kernelInitializer: 'heNormal' }),
      tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }),
      tfl.layers.activation({ activation: 'relu' }),
      tfl.layers.dense({ units: 128, useBias: false, kernelInitializer: 'heNormal' }),
      tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }),
      tfl.layers.activation({ activation: 'relu' }),
      tfl.layers.dense({ units: 10, kernelInitializer: 'heNormal' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits) });
  const epochs = [];
  const epochCount = maxBatches ? 1 : TFJS_WASM_EPOCHS;
  for (let epoch = 0; epoch < epochCount; epoch++) {
    let batches = 0;
    let trainSeconds = 0;
    const stream = readArrow(train).pipe(miniBatches({ batchSize: BATCH, seed: 0, epoch: epoch + 1 }), normalize(standardizer));
    const all = await lastValueFrom(stream.pipe(toArray()));
    for (const b of all) {
      if (maxBatches && batches >= maxBatches) break;
      const xs = tf.tensor2d(b.x.data, [b.size, 784]);
      const ys = tf.cast(tf.oneHot(tf.tensor1d(b.labels, 'int32'), 10), 'float32');
      const start = performance.now();
      await model.trainOnBatch(xs, ys);
      trainSeconds += (performance.now() - start) / 1000;
      tf.dispose([xs, ys]);
      batches++;
    }
    const perEpoch = maxBatches ? (trainSeconds / batches) * Math.ceil(60000 / BATCH) : trainSeconds;
    const accuracy = maxBatches ? null : tfAccuracy(tf, model, standardizer);
    epochs.push({
      epoch: epoch + 1,
      seconds: perEpoch,
      samplesPerSecond: 60000 / perEpoch,
      gflops: FLOPS / perEpoch / 1e9,
      testAccuracy: await accuracy,
      peakRssMB: peakRssMB(),
      extrapolatedFrom: maxBatches ? batches : undefined,
    });
    log(
      `TensorFlow.js ${backendName} epoch ${epoch + 1}: ${perEpoch.toFixed(2)} s${maxBatches ? ` (extrapolated from ${batches} batches)` : ''}`,
    );
  }
  return {
    name: `TensorFlow.js ${tf.version_core} ${backendName}${maxBatches ? ` (${maxBatches} batches, extrapolated)` : ` (${epochCount} epoch${epochCount > 1 ? 's' : ''})`}`,
    epochs,
  };
}

async function tfAccuracy(tf, model, standardizer) {
  const batches = await lastValueFrom(
    readArrow(test).pipe(miniBatches({ batchSize: 1000, shuffle: false }), normalize(standardizer), toArray()),
  );
  let correct = 0;
  for (const b of batches) {
    const predicted = tf.tidy(() => tf.argMax(model.predict(tf.tensor2d(b.x.data, [b.size, 784])), 1));
    const values = await predicted.data();
    predicted.dispose();
    values.forEach((c, i) => (correct += c === b.labels[i] ? 1 : 0));
  }
  return correct / 10000;
}

/** The Python whose PyTorch is the peer (see findTorchPython); found once, the table names the version it used. */
const torchPython = findTorchPython(root);

function pytorchRun(threads, seed = 0) {
  const python = torchPython;
  if (!python) return undefined;
  const output = execFileSync(
    python,
    [path.join(root, 'bench/pytorch_fashion.py'), String(threads), String(EPOCHS), SOURCE, String(seed)],
    { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } },
  );
  const epochs = output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .map((e) => ({ ...e, samplesPerSecond: 60000 / e.seconds, gflops: FLOPS / e.seconds / 1e9 }));
  const version = execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
  for (const e of epochs)
    log(
      `PyTorch ${threads} thread(s) seed ${seed} epoch ${e.epoch}: ${e.seconds.toFixed(2)} s, test accuracy ${e.testAccuracy.toFixed(4)}`,
    );
  return { name: `PyTorch ${version} (${threadsLabel(threads)})`, epochs };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;
const sd = (values) => Math.sqrt(values.reduce((sum, v) => sum + (v - mean(values)) ** 2, 0) / (values.length - 1));

/** The epochs of seeds 1 … ACCURACY_SEEDS − 1, to go with seed 0's in `run.epochs`. */
function _otherSeeds(runSeed) {
  return Array.from({ length: ACCURACY_SEEDS - 1 }, (_, i) => runSeed(i + 1).epochs);
}

await ensureData();
// Seed by seed, each contender in turn (rxgrad on one and two threads, PyTorch on one and two):
// the host's load comes and goes, and interleaving lets it fall on all of them alike.
const bySeed = [];
for (let seed = 0; seed < ACCURACY_SEEDS; seed++) {
  const round = { ours: rxgradChild(seed, 1), twoThreads: rxgradChild(seed, 2) };
  if (!skip.has('pytorch')) {
    round.pytorch = pytorchRun(1, seed);
    round.pytorchTwo = pytorchRun(2, seed);
  }
  bySeed.push(round);
}
/** One contender's run: seed 0's epochs, and the other seeds' beside them. */
const gathered = (key) =>
  bySeed[0][key] ? { ...bySeed[0][key], otherSeeds: bySeed.slice(1).map((round) => round[key].epochs) } : undefined;
const ours = gathered('ours');
// Two threads compute bit for bit what one does; the table says whether every seed's accuracy matched.
const twoThreads = gathered('twoThreads');
const runs = [ours, twoThreads];
for (const key of ['pytorch', 'pytorchTwo']) if (gathered(key)) runs.push(gathered(key));
if (!skip.has('pytorch') && !bySeed[0].pytorch)
  log('PyTorch not found (python3 -m venv .venv && .venv/bin/pip install torch numpy, or apt-get install python3-torch, to include it)');
if (!skip.has('tfjs-wasm')) runs.push(await tfjsRun('wasm', 0));
if (!skip.has('tfjs-cpu')) runs.push(await tfjsRun('cpu', TFJS_CPU_BATCHES));

// Runs repeated over seeds give their median epoch over all of them: one run's epochs move together
// (a busy neighbour on the host slows a whole run), so more runs make a steadier figure.
const allEpochs = (run) => [run.epochs, ...(run.otherSeeds ?? [])].flat();
const oursEpoch = median(allEpochs(ours).map((e) => e.seconds));
const rows = runs.map((run) => {
  const seconds = median(allEpochs(run).map((e) => e.seconds));
  const seedAccuracies = run.otherSeeds ? [run.epochs, ...run.otherSeeds].map((epochs) => epochs.at(-1).testAccuracy) : undefined;
  const last = run.epochs.at(-1);
  return {
    name: run.name,
    epochSeconds: seconds,
    samplesPerSecond: 60000 / seconds,
    gflops: FLOPS / seconds / 1e9,
    testAccuracy: last.testAccuracy,
    peakRssMB: Math.max(...allEpochs(run).map((e) => e.peakRssMB ?? 0)),
    timeVsRxgrad: seconds / oursEpoch,
    ...(seedAccuracies ? { seedAccuracies, accuracyMean: mean(seedAccuracies), accuracySd: sd(seedAccuracies) } : {}),
    epochs: run.epochs,
    ...(run.otherSeeds ? { otherSeeds: run.otherSeeds } : {}),
  };
});
const result = {
  date: new Date().toISOString(),
  machine: `${(await import('node:os')).cpus()[0]?.model} × ${(await import('node:os')).availableParallelism()}, Node ${process.version}`,
  workload:
    '784→256→128→10, Dense (no bias)→BN→ReLU ×2, softmax cross-entropy, He-normal, Adam 1e-3, batch 128, reshuffled each epoch; Fashion-MNIST 60,000 train / 10,000 test',
  flopsPerEpoch: FLOPS,
  accuracySeeds: ACCURACY_SEEDS,
  rxjsShareOfEpoch: ours.rxjsShare,
  rows,
};
const sameAccuracies = (a, b) =>
  JSON.stringify(allEpochs(a).map((e) => e.testAccuracy)) === JSON.stringify(allEpochs(b).map((e) => e.testAccuracy));
const peer = rows.find((r) => !r.name.startsWith('rxgrad') && r.accuracyMean !== undefined);
const peerTwo = rows.find((r) => r.name.startsWith('PyTorch') && r.name.includes('2 threads'));
const fmt = (v, d = 2) => (v === null || v === undefined ? '–' : v.toFixed(d));
const md = [
  `Fashion-MNIST, ${EPOCHS} epochs, ${result.machine}, ${result.date.slice(0, 10)}; epoch time: the median epoch (of all ${ACCURACY_SEEDS} seeds where accuracy is taken over seeds)`,
  '',
  `| run | epoch (s) | samples/s | GFLOP/s | test accuracy (seed 0) | test accuracy, ${ACCURACY_SEEDS} seeds (mean ± sd) | peak RSS (MB) | time vs rxgrad |`,
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${fmt(r.epochSeconds)} | ${fmt(r.samplesPerSecond, 0)} | ${fmt(r.gflops, 1)} | ${fmt(r.testAccuracy, 4)} | ${r.accuracyMean === undefined ? '–' : `${fmt(r.accuracyMean, 4)} ± ${fmt(r.accuracySd, 4)}`} | ${fmt(r.peakRssMB, 0)} | ${fmt(r.timeVsRxgrad)}× |`,
  ),
  '',
  ...(peer
    ? [
        `Mean test accuracy over seeds 0–${ACCURACY_SEEDS - 1}, rxgrad minus ${peer.name}: ${(100 * (rows[0].accuracyMean - peer.accuracyMean)).toFixed(2)} points.`,
        `Epoch time relative to ${peer.name}: ${rows
          .filter((r) => r.name.startsWith('rxgrad'))
          .map((r) => `${r.name} ${fmt(r.epochSeconds / peer.epochSeconds)}×`)
          .join(', ')}.`,
        ...(rows[1] && peerTwo
          ? [`Two threads against two threads: ${rows[1].name} ${fmt(rows[1].epochSeconds / peerTwo.epochSeconds)}× ${peerTwo.name}.`]
          : []),
      ]
    : []),
  `rxgrad on two threads reached the same test accuracy as on one, epoch by epoch, for every seed: ${sameAccuracies(ours, twoThreads) ? 'yes' : 'NO'}.`,
  `Garbage collection's share of an rxgrad epoch (the median over epochs): ${(100 * median(allEpochs(ours).map((e) => e.gcShare))).toFixed(2)}% on one thread, ${(100 * median(allEpochs(twoThreads).map((e) => e.gcShare))).toFixed(2)}% on two.`,
  ours.rxjsShare === undefined
    ? 'RxJS share not measured (it is profiled in epoch 2).'
    : `RxJS operators' own share of an rxgrad epoch (CPU profile of epoch 2): ${(100 * ours.rxjsShare).toFixed(2)}%.`,
  'TensorFlow.js CPU is timed over a fixed number of batches and extrapolated to an epoch (its accuracy is not measured).',
].join('\n');
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/fashion.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(path.join(root, 'bench/results/fashion.md'), `${md}\n`);
console.log(md);
