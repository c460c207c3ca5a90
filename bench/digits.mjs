// npm start against the same job as a PyTorch script, each timed as a whole command from a cold
// process (start-up, imports, reading the Arrow files, 20 epochs, the test evaluation): the
// "whole-command digits" goal of issue 21. Rounds alternate the two; the medians are compared.
// Needs a Python with torch, numpy and pyarrow (see findTorchPython). Writes bench/results/digits.json and digits.md.
//   node bench/digits.mjs [--rounds 5]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTorchPython } from './torchPython.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const flag = process.argv.indexOf('--rounds');
const ROUNDS = flag >= 0 ? Number(process.argv[flag + 1]) : 5;
const train = path.join(root, 'data/digits-train.arrow');
const test = path.join(root, 'data/digits-test.arrow');
const python = findTorchPython(root, ['pyarrow']);
if (!python)
  throw new Error(
    'bench/digits.mjs: no Python with torch, numpy and pyarrow (python3 -m venv .venv && .venv/bin/pip install torch numpy pyarrow)',
  );
const torchVersion = execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();

/** One cold run of a command: its wall time and the test accuracy it printed last. */
function timed(command, args) {
  const started = performance.now();
  const run = spawnSync(command, args, { cwd: root, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr}`);
  return { seconds, testAccuracy: JSON.parse(run.stdout.trim().split('\n').at(-1)).testAccuracy };
}

const runs = { rxgrad: [], pytorch: [] };
for (let round = 0; round < ROUNDS; round++) {
  runs.rxgrad.push(timed(process.execPath, [path.join(root, 'dist/cli/main.js'), 'train', '--data', train, '--test', test, '--json']));
  runs.pytorch.push(timed(python, [path.join(root, 'bench/pytorch_digits.py'), train, test, '1']));
  console.error(
    `round ${round + 1}: rxgrad ${runs.rxgrad.at(-1).seconds.toFixed(2)} s, PyTorch ${runs.pytorch.at(-1).seconds.toFixed(2)} s`,
  );
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = Object.fromEntries(
  Object.entries(runs).map(([name, list]) => [name, { seconds: median(list.map((r) => r.seconds)), testAccuracy: list[0].testAccuracy }]),
);
const ratio = summary.rxgrad.seconds / summary.pytorch.seconds;
const md = [
  `The bundled digits job as a whole command, cold (npm start's \`rxgrad train\` against bench/pytorch_digits.py, PyTorch ${torchVersion}, one thread each), the median of ${ROUNDS} alternating rounds, one machine, one run of this script.`,
  '',
  '| command | seconds (median) | test accuracy |',
  '| --- | ---: | ---: |',
  `| rxgrad train (npm start) | ${summary.rxgrad.seconds.toFixed(2)} | ${summary.rxgrad.testAccuracy.toFixed(4)} |`,
  `| PyTorch ${torchVersion} script | ${summary.pytorch.seconds.toFixed(2)} | ${summary.pytorch.testAccuracy.toFixed(4)} |`,
  '',
  `rxgrad time ÷ PyTorch time: ${ratio.toFixed(2)}.`,
  '',
];
console.log(md.join('\n'));
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(
  path.join(root, 'bench/results/digits.json'),
  `${JSON.stringify({ pytorch: torchVersion, rounds: ROUNDS, runs, summary, ratio }, null, 2)}\n`,
);
writeFileSync(path.join(root, 'bench/results/digits.md'), md.join('\n'));
