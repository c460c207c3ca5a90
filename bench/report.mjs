// npm run bench: how fast `rxgrad report` draws a large study, and how fast the importances are.
// A synthetic study of 1,000 trials × 100 epochs (the default space; curves that rise towards a
// score set by the learning rate, a third of the trials pruned at ASHA's rungs) is written as
// rxgrad writes studies, then reported; and PED-ANOVA runs on 10,000 trials × 10 parameters.
// Goals (issue "See training and studies"): the report in under 2 s and 3 MB; the importances in
// under 100 ms. Writes bench/results/report.json and report.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spaceToJSON } from '../dist/entries/advanced.js';
import { pedAnovaImportances, writeReport } from '../dist/entries/report.js';
import { DEFAULT_TRAINING_CONFIG, defaultSearchSpace } from '../dist/index.js';
import { createRandom } from '../dist/model/random.js';
import { valueAt } from '../dist/tuning/distributions.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dir = mkdtempSync(path.join(tmpdir(), 'rxgrad-bench-report-'));
const TRIALS = 1000;
const EPOCHS = 100;
const rng = createRandom('report-bench');
const space = defaultSearchSpace();
const names = Object.keys(space).sort();
const settings = {
  data: { file: 'synthetic.arrow', label: 'label' },
  sampler: 'random',
  seed: 0,
  objective: { name: 'val-accuracy', direction: 'maximize' },
  prune: 'asha',
  eta: 3,
  minEpochs: 1,
  validationFraction: 0.2,
  base: { ...DEFAULT_TRAINING_CONFIG, epochs: EPOCHS },
};
mkdirSync(path.join(dir, 'trials'), { recursive: true });
mkdirSync(path.join(dir, 'rounds'), { recursive: true });
writeFileSync(path.join(dir, 'study.json'), JSON.stringify({ format: 'rxgrad-study', version: 1, space: spaceToJSON(space), settings }));
writeFileSync(
  path.join(dir, 'rounds', '0.json'),
  JSON.stringify({ round: 0, count: TRIALS, box: { low: names.map(() => 0), high: names.map(() => 1) } }),
);
const rungs = [1, 3, 9, 27, 81];
for (let t = 0; t < TRIALS; t++) {
  const unit = names.map(() => rng.next());
  const params = Object.fromEntries(names.map((n, d) => [n, valueAt(space[n], unit[d])]));
  const ceiling = 0.97 - 0.5 * Math.abs(unit[names.indexOf('learningRate')] - 0.6) - 0.05 * rng.next();
  const pruned = t % 3 === 0;
  const epochs = pruned ? rungs[t % rungs.length] : EPOCHS;
  const curve = Array.from({ length: epochs }, (_, e) => {
    const acc = ceiling * (1 - Math.exp(-(e + 1) / 8)) + 0.01 * rng.next();
    return { epoch: e + 1, trainLoss: 2 * (1 - acc), validationLoss: 2.2 * (1 - acc), validationAccuracy: acc, seconds: 0.1 };
  });
  const last = curve.at(-1);
  const id = `r0-${String(t).padStart(4, '0')}`;
  writeFileSync(
    path.join(dir, 'trials', `${id}.json`),
    JSON.stringify({
      id,
      round: 0,
      params,
      unit,
      config: { ...DEFAULT_TRAINING_CONFIG, epochs: EPOCHS },
      status: pruned ? 'pruned' : 'completed',
      curve,
      epochs,
      validationAccuracy: last.validationAccuracy,
      validationLoss: last.validationLoss,
      resumedFromEpoch: 0,
      seconds: 10,
      objective: { name: 'val-accuracy', direction: 'maximize', value: last.validationAccuracy },
    }),
  );
}

const runs = [];
for (let i = 0; i < 3; i++) {
  const started = performance.now();
  const { bytes } = await writeReport(dir, path.join(dir, 'report.html'));
  runs.push({ seconds: (performance.now() - started) / 1000, bytes });
}
rmSync(dir, { recursive: true, force: true });

const dims = Array.from({ length: 10 }, (_, i) =>
  i % 4 === 3 ? { name: `p${i}`, kind: 'categorical', choices: 4 } : { name: `p${i}`, kind: 'numeric' },
);
const many = Array.from({ length: 10_000 }, () => {
  const unit = dims.map(() => rng.next());
  return { unit, score: -Math.abs(unit[0] - 0.3) - 0.3 * Math.abs(unit[1] - 0.7) + 0.01 * rng.next() };
});
const importanceRuns = [];
let importances;
for (let i = 0; i < 5; i++) {
  const started = performance.now();
  importances = pedAnovaImportances(dims, many);
  importanceRuns.push(performance.now() - started);
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const result = {
  date: new Date().toISOString(),
  node: process.version,
  report: {
    trials: TRIALS,
    epochs: EPOCHS,
    firstSeconds: runs[0].seconds,
    medianSeconds: median(runs.map((r) => r.seconds)),
    bytes: runs[0].bytes,
  },
  importances: { trials: many.length, parameters: dims.length, medianMs: median(importanceRuns), values: importances },
};
const lines = [
  '# Report speed',
  '',
  `${result.date}, Node ${result.node}.`,
  '',
  '| | measured | goal |',
  '| --- | ---: | ---: |',
  `| report of ${TRIALS} trials × ${EPOCHS} epochs (median of 3; first run ${result.report.firstSeconds.toFixed(2)} s) | ${result.report.medianSeconds.toFixed(2)} s, ${(result.report.bytes / 1e6).toFixed(2)} MB | < 2 s, < 3 MB |`,
  `| PED-ANOVA importances of ${many.length} trials × ${dims.length} parameters (median of 5) | ${result.importances.medianMs.toFixed(1)} ms | < 100 ms |`,
  '',
];
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/report.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(path.join(root, 'bench/results/report.md'), `${lines.join('\n')}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
