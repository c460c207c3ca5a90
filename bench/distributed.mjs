// npm run bench: studies through Redis (tune --redis + rxgrad worker) against the local pool.
// Needs Debian's redis-server (started here on a free port, in a temporary directory).
//   1. Overhead: a study of many 1-epoch trials (per trial) and one trial of many epochs (per
//      epoch report), local pool against Redis with one worker, the difference divided out.
//   2. Throughput: trials a minute with 1, 2 and 4 worker processes (one trial at a time each) on
//      the bundled digits and on Fashion-MNIST; the goal is 2 workers in ≤ 0.55× the time of 1.
// Writes bench/results/distributed.json and distributed.md.
//   node bench/distributed.mjs [--fashion-trials 12] [--fashion-epochs 2] [--skip fashion]
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareFashionMnist } from '../dist/entries/advanced.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const skip = new Set(option('skip', '').split(',').filter(Boolean));
const FASHION_TRIALS = Number(option('fashion-trials', 12));
const FASHION_EPOCHS = Number(option('fashion-epochs', 2));
const cli = path.join(root, 'dist/cli/main.js');
const work = mkdtempSync(path.join(tmpdir(), 'rxgrad-bench-distributed-'));
const log = (line) => process.stderr.write(`${line}\n`);
const digits = path.join(root, 'data/digits-train.arrow');

const port = await new Promise((resolve) => {
  const server = createServer();
  server.listen(0, '127.0.0.1', () => {
    const { port: p } = server.address();
    server.close(() => resolve(p));
  });
});
const redisDir = path.join(work, 'redis');
mkdirSync(redisDir);
const redis = spawn(
  '/usr/bin/redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', 'yes'],
  { stdio: 'ignore' },
);
const url = `redis://127.0.0.1:${port}`;
await new Promise((resolve) => setTimeout(resolve, 500));

const run = (argv) =>
  new Promise((resolve, reject) =>
    execFile(process.execPath, [cli, ...argv], { maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(stderr || error.message)) : resolve(stdout),
    ),
  );
let studies = 0;
/** Seconds for a study, locally (--parallel P) or through Redis with `workers` worker processes. */
async function study(file, { trials, epochs, workers, parallel = 1, hidden }) {
  const dir = path.join(work, `study-${studies++}`);
  const base = [
    'tune',
    '--data',
    file,
    '--study',
    dir,
    '--trials',
    String(trials),
    '--epochs',
    String(epochs),
    '--prune',
    'none',
    '--seed',
    '1',
    '--json',
  ];
  if (hidden) {
    const space = path.join(work, `space-${studies}.json`);
    writeFileSync(space, JSON.stringify({ learningRate: { logUniform: [1e-3, 1e-2] }, hiddenUnits: { intLogUniform: hidden } }));
    base.push('--space', space);
  }
  if (workers === 0) {
    const started = performance.now();
    await run([...base, '--parallel', String(parallel)]);
    return (performance.now() - started) / 1000;
  }
  const children = Array.from({ length: workers }, () => spawn(process.execPath, [cli, 'worker', '--redis', url], { stdio: 'ignore' }));
  await new Promise((resolve) => setTimeout(resolve, 800));
  const started = performance.now();
  await run([...base, '--redis', url, '--parallel', String(Math.max(2, 2 * workers))]);
  const seconds = (performance.now() - started) / 1000;
  for (const child of children) child.kill('SIGINT');
  await Promise.all(children.map((child) => new Promise((resolve) => child.on('exit', resolve))));
  if (readdirSync(path.join(dir, 'trials')).length !== trials) throw new Error(`${dir}: not every trial was recorded`);
  return seconds;
}

const results = { date: new Date().toISOString(), node: process.version, cores: availableParallelism() };
log('overhead: 40 one-epoch trials, and one trial of 60 epochs, local and through Redis');
const tiny = { hidden: [8, 16] };
const localTrials = await study(digits, { trials: 40, epochs: 1, workers: 0, ...tiny });
const redisTrials = await study(digits, { trials: 40, epochs: 1, workers: 1, ...tiny });
const localEpochs = await study(digits, { trials: 1, epochs: 60, workers: 0, ...tiny });
const redisEpochs = await study(digits, { trials: 1, epochs: 60, workers: 1, ...tiny });
results.overhead = {
  perTrialMs: (1000 * (redisTrials - localTrials)) / 40,
  perEpochMs: (1000 * (redisEpochs - localEpochs)) / 60,
  seconds: { localTrials, redisTrials, localEpochs, redisEpochs },
};

results.throughput = [];
const datasets = [{ name: 'digits', file: digits, trials: 24, epochs: 5 }];
if (!skip.has('fashion')) {
  const dataDir = path.join(root, 'data/fashion-mnist');
  const train = path.join(dataDir, 'train.arrow');
  if (!existsSync(train)) {
    const source = '/usr/share/datasets/fashion-mnist';
    if (!existsSync(path.join(source, 'train-images-idx3-ubyte.gz')))
      execFileSync('apt-get', ['install', '-y', '-qq', 'dataset-fashion-mnist'], { stdio: 'inherit' });
    await prepareFashionMnist(dataDir, source);
  }
  datasets.push({ name: 'Fashion-MNIST (60,000 rows)', file: train, trials: FASHION_TRIALS, epochs: FASHION_EPOCHS });
}
for (const d of datasets) {
  const row = { dataset: d.name, trials: d.trials, epochs: d.epochs, seconds: {} };
  for (const workers of [1, 2, 4]) {
    log(`${d.name}: ${d.trials} trials of ${d.epochs} epochs with ${workers} worker process${workers > 1 ? 'es' : ''}`);
    row.seconds[workers] = await study(d.file, { trials: d.trials, epochs: d.epochs, workers });
  }
  log(`${d.name}: the same study on the local pool (--parallel 2)`);
  row.localSeconds = await study(d.file, { trials: d.trials, epochs: d.epochs, workers: 0, parallel: 2 });
  results.throughput.push(row);
}
redis.kill('SIGTERM');
await new Promise((resolve) => redis.on('exit', resolve));
rmSync(work, { recursive: true, force: true });

const perMinute = (row, s) => ((60 * row.trials) / s).toFixed(1);
const lines = [
  '# Studies through Redis',
  '',
  `${results.date}, Node ${results.node}, ${results.cores} cores; Redis (Debian's redis-server) on the same machine.`,
  '',
  `Overhead of Redis against the local pool: ${results.overhead.perTrialMs.toFixed(0)} ms a trial (40 one-epoch trials: ${results.overhead.seconds.localTrials.toFixed(1)} s local, ${results.overhead.seconds.redisTrials.toFixed(1)} s through Redis), ${results.overhead.perEpochMs.toFixed(1)} ms an epoch report (one 60-epoch trial: ${results.overhead.seconds.localEpochs.toFixed(1)} s, ${results.overhead.seconds.redisEpochs.toFixed(1)} s).`,
  '',
  '| study | 1 worker | 2 workers | 4 workers | 2 workers ÷ 1 | local pool, 2 threads |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...results.throughput.map(
    (r) =>
      `| ${r.dataset}, ${r.trials} trials × ${r.epochs} epochs | ${r.seconds[1].toFixed(1)} s (${perMinute(r, r.seconds[1])}/min) | ${r.seconds[2].toFixed(1)} s (${perMinute(r, r.seconds[2])}/min) | ${r.seconds[4].toFixed(1)} s (${perMinute(r, r.seconds[4])}/min) | ${(r.seconds[2] / r.seconds[1]).toFixed(2)}× | ${r.localSeconds.toFixed(1)} s |`,
  ),
  '',
  `Each worker process runs one trial at a time; this machine has ${results.cores} cores, so 4 workers share them.`,
  '',
];
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/distributed.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(path.join(root, 'bench/results/distributed.md'), `${lines.join('\n')}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
