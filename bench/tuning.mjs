// npm run bench: how fast the samplers find a good configuration, and a study against Optuna's.
// Writes bench/results/tuning.json and tuning.md.
//
// 1. Sample efficiency. On the bundled digits and on a Fashion-MNIST subset, `rxgrad tune` with
//    the default space, no pruning, one trial at a time, for each sampler (random, quasi, tpe) and
//    each seed 0…SEEDS−1: the median over seeds of the best validation accuracy after 20, 40 and 80
//    trials, and the median number of trials TPE needs to reach random search's 80-trial best
//    (seed by seed; a seed where it never does counts as more than 80).
// 2. Against Optuna (when Debian's python3-optuna and python3-torch are installed): the same
//    40-trial study with pruning, `rxgrad tune --sampler tpe --prune asha --parallel 2` against
//    Optuna's TPE and successive-halving pruner training the same networks in PyTorch with two
//    jobs, on the same training/validation split: wall time and best validation accuracy.
//
//   node bench/tuning.mjs [--seeds 10] [--trials 80] [--epochs 5] [--fashion-rows 5000] [--fashion-epochs 3]
//                         [--peer-trials 40] [--peer-epochs 9] [--peer-seeds 3] [--skip efficiency,fashion,optuna]
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, toArray } from 'rxjs';
import { inspectArrow, prepareFashionMnist } from '../dist/entries/advanced.js';
import { readArrow, splitRows, writeArrowFile } from '../dist/index.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const SEEDS = Number(option('seeds', 10));
const TRIALS = Number(option('trials', 80));
const EPOCHS = Number(option('epochs', 5));
const FASHION_ROWS = Number(option('fashion-rows', 5000));
const FASHION_EPOCHS = Number(option('fashion-epochs', 3));
const PEER_TRIALS = Number(option('peer-trials', 40));
const PEER_EPOCHS = Number(option('peer-epochs', 9));
const PEER_SEEDS = Number(option('peer-seeds', 3));
const skip = new Set(option('skip', '').split(',').filter(Boolean));
const CHECKPOINTS = [20, 40, 80].filter((k) => k <= TRIALS);
const SAMPLERS = ['random', 'quasi', 'tpe'];
const cli = path.join(root, 'dist/cli/main.js');
const work = mkdtempSync(path.join(tmpdir(), 'rxgrad-bench-tuning-'));
const log = (line) => process.stderr.write(`${line}\n`);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function run(command, argv) {
  return new Promise((resolve, reject) => {
    execFile(command, argv, { encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${argv.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}

/** Runs jobs two at a time (one per core), in order of submission. */
async function pool(jobs, width = 2) {
  const results = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]();
      }
    }),
  );
  return results;
}

/** Validation accuracies of a finished study's trials, in trial order. */
function accuracies(study) {
  const dir = path.join(study, 'trials');
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => JSON.parse(readFileSync(path.join(dir, n), 'utf8')).validationAccuracy ?? 0);
}

const bestAfter = (values, k) => Math.max(...values.slice(0, k));

async function fashionSubset() {
  const dataDir = path.join(root, 'data/fashion-mnist');
  const train = path.join(dataDir, 'train.arrow');
  if (!existsSync(train)) {
    const source = '/usr/share/datasets/fashion-mnist';
    if (!existsSync(path.join(source, 'train-images-idx3-ubyte.gz'))) {
      log('Fashion-MNIST is not installed: running apt-get install -y dataset-fashion-mnist');
      execFileSync('apt-get', ['install', '-y', '-qq', 'dataset-fashion-mnist'], { stdio: 'inherit' });
    }
    await prepareFashionMnist(dataDir, source);
  }
  const file = path.join(work, `fashion-${FASHION_ROWS}.arrow`);
  const pixels = new Uint8Array(FASHION_ROWS * 784);
  const labels = new Int32Array(FASHION_ROWS);
  let rows = 0;
  for (const block of await lastValueFrom(readArrow(train, { keepBytes: true }).pipe(toArray()))) {
    const take = Math.min(block.rows, FASHION_ROWS - rows);
    if (take <= 0) break;
    pixels.set(block.features.subarray(0, take * 784), rows * 784);
    labels.set(block.labels.subarray(0, take), rows);
    rows += take;
  }
  await writeArrowFile(
    file,
    [
      { name: 'pixels', values: pixels, listSize: 784 },
      { name: 'label', values: labels },
    ],
    { batchRows: 1000 },
  );
  return file;
}

async function efficiency(name, file, epochs) {
  log(`${name}: ${SAMPLERS.length} samplers × ${SEEDS} seeds × ${TRIALS} trials of ${epochs} epochs`);
  const started = performance.now();
  const jobs = SAMPLERS.flatMap((sampler) =>
    Array.from({ length: SEEDS }, (_, seed) => async () => {
      const study = path.join(work, `${name}-${sampler}-${seed}`);
      await run(process.execPath, [
        cli,
        'tune',
        '--data',
        file,
        '--study',
        study,
        '--trials',
        String(TRIALS),
        '--sampler',
        sampler,
        '--prune',
        'none',
        '--epochs',
        String(epochs),
        '--parallel',
        '1',
        '--seed',
        String(seed),
        '--json',
      ]);
      return { sampler, seed, values: accuracies(study) };
    }),
  );
  const runs = await pool(jobs);
  const table = Object.fromEntries(
    SAMPLERS.map((sampler) => {
      const mine = runs.filter((r) => r.sampler === sampler);
      return [sampler, Object.fromEntries(CHECKPOINTS.map((k) => [k, median(mine.map((r) => bestAfter(r.values, k)))]))];
    }),
  );
  const reach = Array.from({ length: SEEDS }, (_, seed) => {
    const target = bestAfter(runs.find((r) => r.sampler === 'random' && r.seed === seed).values, TRIALS);
    const ours = runs.find((r) => r.sampler === 'tpe' && r.seed === seed).values;
    const k = ours.findIndex((_, i) => bestAfter(ours, i + 1) >= target);
    return k < 0 ? Infinity : k + 1;
  });
  log(`${name}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return { dataset: name, epochs, table, tpeTrialsToRandomBest: { perSeed: reach, median: median(reach) } };
}

/** The study's split, as raw files for the Optuna peer: the same rows rxgrad trains and validates on. */
async function exportSplit(file, seed, dir) {
  mkdirSync(dir, { recursive: true });
  const layout = await inspectArrow(file);
  let classes = 0;
  for (const part of ['train', 'validation']) {
    const blocks = await lastValueFrom(readArrow(file).pipe(splitRows({ fraction: 0.2, seed, part }), toArray()));
    const rows = blocks.reduce((n, b) => n + b.rows, 0);
    const x = new Float32Array(rows * layout.cols);
    const y = new Int32Array(rows);
    let at = 0;
    for (const b of blocks) {
      x.set(b.features, at * layout.cols);
      y.set(b.labels, at);
      at += b.rows;
    }
    for (const label of y) classes = Math.max(classes, label + 1);
    const suffix = part === 'train' ? 'train' : 'val';
    writeFileSync(path.join(dir, `x-${suffix}.f32`), new Uint8Array(x.buffer));
    writeFileSync(path.join(dir, `y-${suffix}.i32`), new Uint8Array(y.buffer));
  }
  writeFileSync(path.join(dir, 'shape.json'), JSON.stringify({ cols: layout.cols, classes }));
}

async function againstOptuna(name, file, seed) {
  const python = '/usr/bin/python3';
  if (!existsSync(python) || spawnSync(python, ['-c', 'import optuna, torch'], { stdio: 'ignore' }).status !== 0) {
    log('Optuna or PyTorch not found (apt-get install python3-optuna python3-torch to include them)');
    return undefined;
  }
  log(`${name}, seed ${seed}: ${PEER_TRIALS} trials of up to ${PEER_EPOCHS} epochs with pruning, rxgrad and Optuna`);
  const study = path.join(work, `${name}-peer-rxgrad-${seed}`);
  let started = performance.now();
  const ours = JSON.parse(
    (
      await run(process.execPath, [
        cli,
        'tune',
        '--data',
        file,
        '--study',
        study,
        '--trials',
        String(PEER_TRIALS),
        '--sampler',
        'tpe',
        '--prune',
        'asha',
        '--eta',
        '3',
        '--epochs',
        String(PEER_EPOCHS),
        '--parallel',
        '2',
        '--seed',
        String(seed),
        '--json',
      ])
    )
      .trim()
      .split('\n')
      .at(-1),
  );
  const oursSeconds = (performance.now() - started) / 1000;
  const split = path.join(work, `${name}-split-${seed}`);
  await exportSplit(file, seed, split);
  started = performance.now();
  const theirs = JSON.parse(
    (await run(python, [path.join(root, 'bench/optuna_study.py'), split, String(PEER_TRIALS), String(PEER_EPOCHS), String(seed), '2', '3']))
      .trim()
      .split('\n')
      .at(-1),
  );
  return {
    dataset: name,
    seed,
    trials: PEER_TRIALS,
    epochs: PEER_EPOCHS,
    rxgrad: {
      seconds: oursSeconds,
      best: ours.best?.validationAccuracy ?? null,
      bestEpochs: ours.best?.epochs ?? null,
      completed: ours.completed,
      pruned: ours.pruned,
      epochsTrained: ours.epochsTrained,
    },
    optuna: {
      seconds: (performance.now() - started) / 1000,
      studySeconds: theirs.seconds,
      best: theirs.best,
      completed: theirs.completed,
      pruned: theirs.pruned,
      version: theirs.optuna,
      torch: theirs.torch,
    },
  };
}

const datasets = [{ name: 'digits', file: path.join(root, 'data/digits-train.arrow'), epochs: EPOCHS }];
if (!skip.has('fashion')) datasets.push({ name: `fashion-mnist-${FASHION_ROWS}`, file: await fashionSubset(), epochs: FASHION_EPOCHS });
const results = { date: new Date().toISOString(), node: process.version, seeds: SEEDS, trials: TRIALS, efficiency: [], peer: [] };
if (!skip.has('efficiency')) for (const d of datasets) results.efficiency.push(await efficiency(d.name, d.file, d.epochs));
if (!skip.has('optuna')) {
  const d = datasets.at(-1);
  for (let seed = 0; seed < PEER_SEEDS; seed++) {
    const peer = await againstOptuna(d.name, d.file, seed);
    if (peer) results.peer.push(peer);
  }
}
rmSync(work, { recursive: true, force: true });

const pct = (v) => (v === null || v === undefined ? '–' : (100 * v).toFixed(2));
const lines = [
  '# Tuning: samplers and Optuna',
  '',
  `${results.date}, Node ${results.node}; median over ${SEEDS} seeds (0…${SEEDS - 1}) of the best validation accuracy (%) after k trials, default space, no pruning, one trial at a time.`,
  '',
];
for (const e of results.efficiency) {
  lines.push(
    `## ${e.dataset} (${e.epochs} epochs a trial)`,
    '',
    `| sampler | ${CHECKPOINTS.map((k) => `${k} trials`).join(' | ')} |`,
    `| --- | ${CHECKPOINTS.map(() => '---:').join(' | ')} |`,
  );
  for (const sampler of SAMPLERS) lines.push(`| ${sampler} | ${CHECKPOINTS.map((k) => pct(e.table[sampler][k])).join(' | ')} |`);
  const m = e.tpeTrialsToRandomBest.median;
  lines.push(
    '',
    `TPE reaches random search's ${TRIALS}-trial best in ${Number.isFinite(m) ? m : `more than ${TRIALS}`} trials (median; per seed: ${e.tpeTrialsToRandomBest.perSeed.map((k) => (Number.isFinite(k) ? k : `>${TRIALS}`)).join(', ')}).`,
    '',
  );
}
if (results.peer.length > 0) {
  const p0 = results.peer[0];
  lines.push(
    `## Against Optuna: ${p0.dataset}, ${p0.trials} trials of up to ${p0.epochs} epochs, pruning, two at a time`,
    '',
    'rxgrad: `tune --sampler tpe --prune asha --eta 3 --parallel 2`. Optuna ' +
      p0.optuna.version +
      ': TPE and successive halving (η 3), two jobs, the same networks in PyTorch ' +
      p0.optuna.torch +
      ' (one thread each), on the same training/validation split.',
    '',
    '| seed | rxgrad wall time (s) | Optuna wall time (s) | rxgrad best (%) | Optuna best (%) | rxgrad completed / pruned | Optuna completed / pruned |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const p of results.peer)
    lines.push(
      `| ${p.seed} | ${p.rxgrad.seconds.toFixed(1)} | ${p.optuna.seconds.toFixed(1)} | ${pct(p.rxgrad.best)} | ${pct(p.optuna.best)} | ${p.rxgrad.completed} / ${p.rxgrad.pruned} | ${p.optuna.completed} / ${p.optuna.pruned} |`,
    );
  const m = (f) => median(results.peer.map(f));
  lines.push(
    `| median | ${m((p) => p.rxgrad.seconds).toFixed(1)} | ${m((p) => p.optuna.seconds).toFixed(1)} | ${pct(m((p) => p.rxgrad.best))} | ${pct(m((p) => p.optuna.best))} | | |`,
  );
  lines.push(
    '',
    "Optuna's wall time includes starting Python and loading PyTorch (the studies alone: " +
      results.peer.map((p) => p.optuna.studySeconds.toFixed(1)).join(', ') +
      ' s).',
    '',
  );
}
const out = path.join(root, 'bench/results');
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'tuning.json'), `${JSON.stringify(results, (_k, v) => (v === Infinity ? null : v), 2)}\n`);
writeFileSync(path.join(out, 'tuning.md'), `${lines.join('\n')}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
