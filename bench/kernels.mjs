// Kernel micro-benchmark: GFLOP/s of each matrix-product variant on the Fashion-MNIST shapes
// (forward, dW = Xᵀ·dY, dX = dY·Wᵀ) and on small ones (10 output classes), next to TensorFlow.js's
// matMul on its WASM backend, all measured in this run. Writes bench/results/kernels.{json,md}.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWasmBackend, typescriptKernels } from '../dist/index.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const shapes = [
  { name: 'forward X·W', kind: 'matmul', m: 128, k: 784, n: 256 },
  { name: 'dW = Xᵀ·dY', kind: 'matmulTransposeA', m: 784, k: 128, n: 256 },
  { name: 'dX = dY·Wᵀ', kind: 'matmulTransposeB', m: 128, k: 256, n: 784 },
  { name: 'forward to 10 classes', kind: 'matmul', m: 128, k: 128, n: 10 },
  { name: 'dW of the 10-class layer', kind: 'matmulTransposeA', m: 128, k: 128, n: 10 },
  { name: 'dX of the 10-class layer', kind: 'matmulTransposeB', m: 128, k: 10, n: 128 },
];
const lengths = ({ kind, m, k, n }) => (kind === 'matmulTransposeA' ? [k * m, k * n] : kind === 'matmulTransposeB' ? [m * k, n * k] : [m * k, k * n]);

function time(run, flops) {
  for (let i = 0; i < 3; i++) run();
  let reps = 0;
  const start = performance.now();
  while (performance.now() - start < 400) {
    run();
    reps++;
  }
  return flops / (((performance.now() - start) / 1000) / reps) / 1e9;
}

const variants = [['typescript', typescriptKernels, (n) => new Float32Array(n)]];
for (const flavour of ['simd', 'relaxed-simd']) {
  const backend = createWasmBackend({ flavour, memoryBytes: 64 * 1024 * 1024 });
  if (backend) variants.push([backend.kernels.name, backend.kernels, backend.allocator.alloc]);
}
const tf = await import('@tensorflow/tfjs-core');
const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(`${path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
await tf.setBackend('wasm');
await tf.ready();

const rows = shapes.map((shape) => {
  const { kind, m, k, n } = shape;
  const flops = 2 * m * k * n;
  const [aLength, bLength] = lengths(shape);
  const row = { ...shape, gflops: {} };
  for (const [name, kernels, alloc] of variants) {
    const a = alloc(aLength).map(() => Math.random() - 0.5);
    const b = alloc(bLength).map(() => Math.random() - 0.5);
    const aIn = alloc(aLength);
    aIn.set(a);
    const bIn = alloc(bLength);
    bIn.set(b);
    const c = alloc(m * n);
    row.gflops[name] = time(() => kernels[kind](aIn, bIn, c, m, k, n), flops);
  }
  const aT = tf.randomNormal(kind === 'matmulTransposeA' ? [k, m] : [m, k]);
  const bT = tf.randomNormal(kind === 'matmulTransposeB' ? [n, k] : [k, n]);
  row.gflops[`tfjs ${tf.version_core} wasm`] = time(() => tf.matMul(aT, bT, kind === 'matmulTransposeA', kind === 'matmulTransposeB').dataSync(), flops);
  tf.dispose([aT, bT]);
  return row;
});
const names = Object.keys(rows[0].gflops);
const md = [
  'GFLOP/s, one thread, float32 (higher is better)',
  '',
  `| product | m×k×n | ${names.join(' | ')} |`,
  `| --- | --- | ${names.map(() => '---:').join(' | ')} |`,
  ...rows.map((r) => `| ${r.name} | ${r.m}×${r.k}×${r.n} | ${names.map((v) => r.gflops[v].toFixed(1)).join(' | ')} |`),
].join('\n');
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/kernels.json'), `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`);
writeFileSync(path.join(root, 'bench/results/kernels.md'), `${md}\n`);
console.log(md);
