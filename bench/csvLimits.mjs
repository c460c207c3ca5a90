// npm run bench (bench/csvLimits.mjs): the CSV reader on hostile shapes, in linear time. A single
// long field (5, 10 and 20 MB, read with the field limit raised to 64 MB, and once at the default
// 1 MiB limit, where it is an error) and wide files (100,000 to 1,000,000 columns on one line,
// with a label). Each is timed beside a plain read of the same bytes in the same run (the peer:
// what the disk and the JavaScript engine cost anyway), and the ratio of the largest to the
// smallest says whether time grows with the bytes (4x the bytes: about 4x the time) or with
// their square. Writes bench/results/csvLimits.json and csvLimits.md.
//
//   node bench/csvLimits.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, reduce } from 'rxjs';
import { inspectCsv } from '../dist/entries/advanced.js';
import { readCsv } from '../dist/index.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const work = path.join(root, 'bench/.data');
mkdirSync(work, { recursive: true });
const log = (line) => process.stderr.write(`${line}\n`);
const seconds = async (run) => {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
};
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rowsOf = (file, options) => lastValueFrom(readCsv(file, options).pipe(reduce((n, block) => n + block.rows, 0)));

const rows = [];
async function measure(name, file, read) {
  const times = [];
  const peers = [];
  for (let run = 0; run < 3; run++) {
    peers.push(await seconds(async () => readFileSync(file).indexOf(0x0a)));
    times.push(await seconds(read));
  }
  const bytes = readFileSync(file).length;
  const row = { name, megabytes: bytes / 1e6, seconds: median(times), peerSeconds: median(peers) };
  rows.push(row);
  log(`${name}: ${row.seconds.toFixed(3)} s for ${row.megabytes.toFixed(1)} MB (a plain read ${row.peerSeconds.toFixed(3)} s)`);
}

for (const mb of [5, 10, 20]) {
  const file = path.join(work, `field-${mb}mb.csv`);
  writeFileSync(file, `id,note,label\n1,"${'x'.repeat(mb * 1e6)}",0\n2,short,1\n`);
  await measure(`one ${mb} MB field`, file, async () => {
    const read = await rowsOf(file, { features: ['id'], keep: ['note'], maxFieldBytes: 64 << 20 }).catch((error) => error);
    if (typeof read !== 'number') throw read;
  });
}
{
  const file = path.join(work, 'field-20mb.csv');
  await measure('one 20 MB field at the 1 MiB limit (an error)', file, async () => {
    const error = await rowsOf(file, { features: ['id'] }).then(
      () => undefined,
      (e) => e,
    );
    if (!/a field longer than 1048576 bytes/.test(error?.message ?? ''))
      throw new Error(`expected the field limit's error, got ${error?.message}`);
  });
}
for (const columns of [100_000, 250_000, 1_000_000]) {
  const file = path.join(work, `wide-${columns}.csv`);
  const header = Array.from({ length: columns }, (_, j) => `c${j}`).join(',');
  const row = (label) => `${Array.from({ length: columns }, (_, j) => (j % 10) + label).join(',')},${label}`;
  writeFileSync(file, `${header},label\n${row(0)}\n${row(1)}\n`);
  await measure(`${columns.toLocaleString('en')} columns`, file, async () => {
    await inspectCsv(file);
    if ((await rowsOf(file)) !== 2) throw new Error('expected 2 rows');
  });
}

const ratio = (a, b) => rows.find((r) => r.name === b).seconds / rows.find((r) => r.name === a).seconds;
const summary = {
  date: new Date().toISOString(),
  rows,
  growth: { field: ratio('one 5 MB field', 'one 20 MB field'), wide: ratio('100,000 columns', '1,000,000 columns') },
};
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/csvLimits.json'), `${JSON.stringify(summary, null, 2)}\n`);
const table = [
  '| file | MB | rxgrad s | plain read s |',
  '| --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.name} | ${r.megabytes.toFixed(1)} | ${r.seconds.toFixed(3)} | ${r.peerSeconds.toFixed(3)} |`),
  '',
  `Time of the 20 MB field over the 5 MB one: ${summary.growth.field.toFixed(2)}x (4x the bytes); 1,000,000 columns over 100,000: ${summary.growth.wide.toFixed(2)}x (10x the bytes).`,
];
writeFileSync(path.join(root, 'bench/results/csvLimits.md'), `${table.join('\n')}\n`);
log(table.join('\n'));
// The time bound: time may grow with the bytes (and noise), never with their square. Quadratic
// would be 16x for the field and 100x for the columns.
if (summary.growth.field > 8 || summary.growth.wide > 25) {
  log(
    `bench/csvLimits.mjs: time grows faster than the bytes (field ${summary.growth.field.toFixed(1)}x for 4x, columns ${summary.growth.wide.toFixed(1)}x for 10x)`,
  );
  process.exitCode = 1;
}
