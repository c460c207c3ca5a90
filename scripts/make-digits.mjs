#!/usr/bin/env node
// Regenerates data/digits-train.arrow and data/digits-test.arrow from the UCI optical handwritten
// digits as Debian's python3-sklearn ships them (1,797 images of 8×8 pixels valued 0–16, 10 classes).
// The split is stratified (20% of each class to test) and seeded, so the files are reproducible.
//
//   apt-get install python3-sklearn && npm run build && node scripts/make-digits.mjs [digits.csv.gz]
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { writeArrowFile } from '../dist/index.js';
import { createRandom } from '../dist/model/random.js';

const source = process.argv[2] ?? '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';
const SEED = 20261125;
const TEST_FRACTION = 0.2;

const lines = gunzipSync(readFileSync(source)).toString('utf8').trim().split('\n');
const rows = lines.map((line, i) => {
  const values = line.split(',').map(Number);
  if (values.length !== 65 || values.some((v) => !Number.isInteger(v)))
    throw new Error(`${source}: line ${i + 1} is not 64 pixels and a label`);
  return values;
});

const rng = createRandom(SEED);
const byClass = new Map();
rows.forEach((row, i) => byClass.set(row[64], [...(byClass.get(row[64]) ?? []), i]));
const train = [];
const test = [];
for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
  const indices = byClass.get(label);
  for (let i = indices.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [indices[i], indices[j]] = [indices[j], indices[i]];
  }
  const cut = Math.round(indices.length * TEST_FRACTION);
  test.push(...indices.slice(0, cut));
  train.push(...indices.slice(cut));
}
for (const set of [train, test]) {
  for (let i = set.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [set[i], set[j]] = [set[j], set[i]];
  }
}

async function write(path, indices) {
  const pixels = new Uint8Array(indices.length * 64);
  const labels = new BigInt64Array(indices.length);
  indices.forEach((r, i) => {
    pixels.set(rows[r].slice(0, 64), i * 64);
    labels[i] = BigInt(rows[r][64]);
  });
  // Several record batches, so that the bundled data exercises streaming.
  await writeArrowFile(
    path,
    [
      { name: 'pixels', values: pixels, listSize: 64 },
      { name: 'label', values: labels },
    ],
    { batchRows: 256 },
  );
  console.log(`${path}: ${indices.length} rows`);
}
await write('data/digits-train.arrow', train);
await write('data/digits-test.arrow', test);
