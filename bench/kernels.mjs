// Kernel micro-benchmark: GFLOP/s of each matrix-product variant on the Fashion-MNIST shapes
// (forward, weight gradient, input gradient of the 784→256 layer) and on small ones (10 output
// classes), next to TensorFlow.js's matMul on its WASM backend and PyTorch's torch.mm on one
// thread (bench/pytorch_kernels.py, when a Python with torch is found), all measured in this run. Each
// library runs each product in the layout its own dense layer uses: rxgrad stores W (units ×
// inputs) as PyTorch does, TensorFlow.js stores its kernel (inputs × units).
// Beside them, the roofline: the instruction limit of 128-bit relaxed SIMD on this CPU, measured in
// the same run (bench/peak/fmaPeak.ts: chains of f32x4.relaxed_madd, no memory traffic).
// Writes bench/results/kernels.{json,md}.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWasmBackend } from '../dist/entries/advanced.js';
import { typescriptBackend } from '../dist/index.js';
import { findTorchPython } from './torchPython.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// m×k×n of the product C (m×n) = A·B over k; `ours` and `tfjs` name the transpose case each runs.
const shapes = [
  { name: 'forward Z = X·Wᵀ', m: 128, k: 784, n: 256, ours: 'matmulTransposeB', tfjs: 'matmul' },
  { name: 'weight gradient dZᵀ·X', m: 256, k: 128, n: 784, ours: 'matmulTransposeA', tfjs: 'matmulTransposeA' },
  { name: 'input gradient dZ·W', m: 128, k: 256, n: 784, ours: 'matmul', tfjs: 'matmulTransposeB' },
  { name: 'forward to 10 classes', m: 128, k: 128, n: 10, ours: 'matmulTransposeB', tfjs: 'matmul' },
  { name: 'weight gradient of the 10-class layer', m: 10, k: 128, n: 128, ours: 'matmulTransposeA', tfjs: 'matmulTransposeA' },
  { name: 'input gradient of the 10-class layer', m: 128, k: 10, n: 128, ours: 'matmul', tfjs: 'matmulTransposeB' },
];
const lengths = (kind, { m, k, n }) =>
  kind === 'matmulTransposeA' ? [k * m, k * n] : kind === 'matmulTransposeB' ? [m * k, n * k] : [m * k, k * n];
const caseName = (kind) => ({ matmul: 'A·B', matmulTransposeA: 'Aᵀ·B', matmulTransposeB: 'A·Bᵀ' })[kind];

function time(run, flops) {
  for (let i = 0; i < 3; i++) run();
  let reps = 0;
  const start = performance.now();
  while (performance.now() - start < 400) {
    run();
    reps++;
  }
  return flops / ((performance.now() - start) / 1000 / reps) / 1e9;
}

const variants = [['typescript', typescriptBackend, (n) => new Float32Array(n)]];
for (const flavour of ['simd', 'relaxed-simd']) {
  const backend = createWasmBackend({ flavour, memoryBytes: 64 * 1024 * 1024 });
  if (backend) variants.push([backend.name, backend, backend.allocator.alloc]);
}
const tf = await import('@tensorflow/tfjs-core');
const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(`${path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
await tf.setBackend('wasm');
await tf.ready();

const rows = shapes.map((shape) => {
  const { ours, tfjs, m, k, n } = shape;
  const flops = 2 * m * k * n;
  const [aLength, bLength] = lengths(ours, shape);
  const row = { ...shape, gflops: {} };
  for (const [name, kernels, alloc] of variants) {
    const a = alloc(aLength).map(() => Math.random() - 0.5);
    const b = alloc(bLength).map(() => Math.random() - 0.5);
    const c = alloc(m * n);
    row.gflops[name] = time(() => kernels[ours](a, b, c, m, k, n), flops);
  }
  const aT = tf.randomNormal(tfjs === 'matmulTransposeA' ? [k, m] : [m, k]);
  const bT = tf.randomNormal(tfjs === 'matmulTransposeB' ? [n, k] : [k, n]);
  row.gflops[`tfjs ${tf.version_core} wasm`] = time(
    () => tf.matMul(aT, bT, tfjs === 'matmulTransposeA', tfjs === 'matmulTransposeB').dataSync(),
    flops,
  );
  tf.dispose([aT, bT]);
  return row;
});
// PyTorch on the same shapes, in its Linear layer's layout (the same as rxgrad's), one thread.
const python = findTorchPython(root);
if (python) {
  const shapesJson = JSON.stringify(rows.map((r) => ({ m: r.m, k: r.k, n: r.n, case: caseName(r.ours) })));
  const peer = JSON.parse(
    execFileSync(python, [path.join(root, 'bench/pytorch_kernels.py'), shapesJson], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    })
      .trim()
      .split('\n')
      .at(-1),
  );
  rows.forEach((row, i) => (row.gflops[`PyTorch ${peer.version}`] = peer.gflops[i]));
} else {
  console.error('PyTorch not found (python3 -m venv .venv && .venv/bin/pip install torch numpy): the table has no PyTorch column');
}
/** GFLOP/s of bench/peak/fmaPeak.ts, compiled here with AssemblyScript: the most any 128-bit relaxed-SIMD kernel can reach (best of 5). */
function fmaLimit() {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'rxgrad-peak-')), 'fmaPeak.wasm');
  execFileSync(path.join(root, 'node_modules/.bin/asc'), [
    path.join(root, 'bench/peak/fmaPeak.ts'),
    '-o',
    out,
    '-O3',
    '--runtime',
    'stub',
    '--noAssert',
    '--enable',
    'simd,relaxed-simd',
  ]);
  const { fmaPeak } = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), { env: { abort() {} } }).exports;
  fmaPeak(1e6, 1);
  const rounds = 5e7;
  return Math.max(
    ...[1, 2, 3, 4, 5].map((seed) => {
      const start = performance.now();
      fmaPeak(rounds, seed);
      return (rounds * 192) / ((performance.now() - start) / 1000) / 1e9;
    }),
  );
}
const limit = fmaLimit();
const names = Object.keys(rows[0].gflops);
const md = [
  'GFLOP/s, one thread, float32 (higher is better)',
  '',
  `| product | m×k×n | rxgrad case | ${names.join(' | ')} | TF.js case |`,
  `| --- | --- | --- | ${names.map(() => '---:').join(' | ')} | --- |`,
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.m}×${r.k}×${r.n} | ${caseName(r.ours)} | ${names.map((v) => r.gflops[v].toFixed(1)).join(' | ')} | ${caseName(r.tfjs)} |`,
  ),
  '',
  'Each library runs a product in the layout of its own dense layer: rxgrad keeps W as (units × inputs), as PyTorch does, TensorFlow.js as (inputs × units).',
  '',
  `The roofline: 128-bit relaxed SIMD reaches at most ${limit.toFixed(1)} GFLOP/s on this CPU (fused multiply-adds with no memory traffic, measured in this run); rxgrad's relaxed-SIMD products reach ${rows.map((r) => `${((100 * r.gflops['wasm-relaxed-simd']) / limit).toFixed(0)}%`).join(', ')} of it, in the order above. Native code has more lanes an instruction: twice as many with AVX2 (256-bit), four times with AVX-512, which PyTorch uses where the CPU has it.`,
  ...names
    .filter((v) => v.startsWith('PyTorch'))
    .map(
      (v) =>
        `Against ${v} in this run, rxgrad's relaxed-SIMD products run at ${rows.map((r) => `${((100 * r.gflops['wasm-relaxed-simd']) / r.gflops[v]).toFixed(0)}%`).join(', ')} of its speed, in the order above.`,
    ),
].join('\n');
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(
  path.join(root, 'bench/results/kernels.json'),
  `${JSON.stringify({ date: new Date().toISOString(), fmaLimitGflops: limit, rows }, null, 2)}\n`,
);
writeFileSync(path.join(root, 'bench/results/kernels.md'), `${md}\n`);
console.log(md);
