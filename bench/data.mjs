// npm run bench (bench/data.mjs): how fast rxgrad reads a dataset into training blocks, per
// format, against pyarrow reading the same files in the same run (when a Python with pyarrow is
// at hand: $PYTHON, or .venv/bin/python here or beside the checkout). Fashion-MNIST's 60,000
// rows × 785 columns (784 uint8 pixels and a label), as CSV, Parquet (snappy) and Arrow IPC
// (uncompressed, LZ4, ZSTD), written by pyarrow. Writes bench/results/data.json and data.md.
//
//   node bench/data.mjs [--runs 3]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, reduce } from 'rxjs';
import { prepareFashionMnist } from '../dist/entries/advanced.js';
import { readData } from '../dist/index.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 3) || 3;
const SOURCE = '/usr/share/datasets/fashion-mnist';
const fashion = path.join(root, 'data/fashion-mnist/train.arrow');
const work = path.join(root, 'bench/.data');
const log = (line) => process.stderr.write(`${line}\n`);
const python = [process.env.PYTHON, path.join(root, '.venv/bin/python'), path.join(root, '../.venv/bin/python')].find(
  (p) => p && existsSync(p) && spawnSync(p, ['-c', 'import pyarrow'], { stdio: 'ignore' }).status === 0,
);
if (!python) {
  log(
    'bench/data.mjs: no Python with pyarrow (set PYTHON, or python3 -m venv .venv && .venv/bin/pip install pyarrow); nothing to compare with, skipped',
  );
  process.exit(0);
}

if (!existsSync(fashion)) {
  if (!existsSync(path.join(SOURCE, 'train-images-idx3-ubyte.gz')))
    execFileSync('apt-get', ['install', '-y', '-qq', 'dataset-fashion-mnist'], { stdio: 'inherit' });
  await prepareFashionMnist(path.dirname(fashion), SOURCE);
}
mkdirSync(work, { recursive: true });

const FORMATS = [
  { name: 'CSV', file: 'fashion.csv', write: 'pacsv.write_csv(flat, out)', read: 'pacsv.read_csv(path)' },
  {
    name: 'Parquet (snappy)',
    file: 'fashion.parquet',
    write: "pq.write_table(flat, out, compression='snappy')",
    read: 'pq.read_table(path)',
  },
  { name: 'Arrow IPC', file: 'fashion.arrow', write: 'ipc(out, None)', read: 'pa.ipc.open_file(path).read_all()' },
  { name: 'Arrow IPC (LZ4)', file: 'fashion-lz4.arrow', write: "ipc(out, 'lz4')", read: 'pa.ipc.open_file(path).read_all()' },
  { name: 'Arrow IPC (ZSTD)', file: 'fashion-zstd.arrow', write: "ipc(out, 'zstd')", read: 'pa.ipc.open_file(path).read_all()' },
];
const PRELUDE = `
import sys, time, json
import pyarrow as pa, pyarrow.csv as pacsv, pyarrow.parquet as pq
`;
// 784 pixel columns and the label, in record batches of 8,192 rows.
const WRITE = `${PRELUDE}
src = pa.ipc.open_file(sys.argv[1]).read_all()
pixels = src.column('pixels').combine_chunks().flatten().to_numpy().reshape(-1, 784)
flat = pa.table({**{f'p{j}': pa.array(pixels[:, j]) for j in range(784)}, 'label': src.column('label')})
def ipc(out, codec):
    with pa.OSFile(out, 'wb') as sink, pa.ipc.new_file(sink, flat.schema, options=pa.ipc.IpcWriteOptions(compression=codec)) as w:
        for b in flat.to_batches(max_chunksize=8192): w.write_batch(b)
for out, code in json.loads(sys.argv[2]):
    exec(code)
`;
const missing = FORMATS.filter((f) => !existsSync(path.join(work, f.file)));
if (missing.length > 0) {
  log(`writing ${missing.map((f) => f.file).join(', ')} with pyarrow`);
  execFileSync(python, ['-c', WRITE, fashion, JSON.stringify(missing.map((f) => [path.join(work, f.file), f.write]))], {
    stdio: 'inherit',
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function rxgradSeconds(file) {
  const times = [];
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    const rows = await lastValueFrom(readData(file, { recycle: true, keepBytes: true }).pipe(reduce((n, b) => n + b.rows, 0)));
    times.push((performance.now() - start) / 1000);
    if (rows !== 60000) throw new Error(`${file}: ${rows} rows`);
  }
  return median(times);
}
// Two times per file: pyarrow's read into a Table (columns as the file holds them), and the same
// read followed by what a PyTorch user does next, a row-major NumPy block of the 784 features and
// the labels (np.column_stack), which is what rxgrad's read produces.
const READ = `${PRELUDE}
import numpy as np
path, code, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def block(t):
    names = [n for n in t.column_names if n != 'label']
    return np.column_stack([t.column(n).to_numpy() for n in names]), t.column('label').to_numpy()
times, blocks = [], []
for _ in range(runs):
    start = time.perf_counter(); t = eval(code); times.append(time.perf_counter() - start)
    assert t.num_rows == 60000
    start = time.perf_counter(); x, y = block(eval(code)); blocks.append(time.perf_counter() - start)
    assert x.shape == (60000, 784) and x.flags['C_CONTIGUOUS']
times.sort(); blocks.sort(); print(times[len(times) // 2], blocks[len(blocks) // 2])
`;
const pyarrowVersion = execFileSync(python, ['-c', 'import pyarrow; print(pyarrow.__version__)'], { encoding: 'utf8' }).trim();
const rows = [];
for (const f of FORMATS) {
  const file = path.join(work, f.file);
  const ours = await rxgradSeconds(file);
  const [theirs, theirBlock] = execFileSync(python, ['-c', READ, file, f.read, String(RUNS)], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)
    .map(Number);
  rows.push({
    format: f.name,
    megabytes: statSync(file).size / 2 ** 20,
    rxgradRowsPerSecond: 60000 / ours,
    pyarrowRowsPerSecond: 60000 / theirs,
    ratio: ours / theirs,
    pyarrowBlockRowsPerSecond: 60000 / theirBlock,
    blockRatio: ours / theirBlock,
  });
  log(
    `${f.name}: rxgrad ${(60000 / ours).toFixed(0)} rows/s, pyarrow ${(60000 / theirs).toFixed(0)} rows/s (${(ours / theirs).toFixed(2)}× its time), pyarrow into a NumPy block ${(60000 / theirBlock).toFixed(0)} rows/s (${(ours / theirBlock).toFixed(2)}×)`,
  );
}
const md = [
  `Reading Fashion-MNIST's 60,000 × 785 into training blocks (rxgrad, readData with keepBytes) against pyarrow ${pyarrowVersion} reading the same file into a Table, and into a row-major NumPy block of features and labels (the Table's columns through np.column_stack), the median of ${RUNS} runs each, one machine, one run of this script. pyarrow reads on all cores; rxgrad on one.`,
  '',
  '| format | MB | rxgrad rows/s | pyarrow Table rows/s | rxgrad time ÷ pyarrow Table time | pyarrow + NumPy block rows/s | rxgrad time ÷ block time |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.format} | ${r.megabytes.toFixed(1)} | ${r.rxgradRowsPerSecond.toFixed(0)} | ${r.pyarrowRowsPerSecond.toFixed(0)} | ${r.ratio.toFixed(2)} | ${r.pyarrowBlockRowsPerSecond.toFixed(0)} | ${r.blockRatio.toFixed(2)} |`,
  ),
  '',
];
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/data.json'), `${JSON.stringify({ pyarrow: pyarrowVersion, runs: RUNS, rows }, null, 2)}\n`);
writeFileSync(path.join(root, 'bench/results/data.md'), md.join('\n'));
log(md.join('\n'));
