// Compiles assembly/kernels.ts into the four WebAssembly builds rxgrad chooses from at run time:
// plain SIMD or relaxed SIMD (fused multiply-add), each with a private memory or, for kernels
// split across threads, a shared one. Run by `npm run build:wasm`.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const asc = path.join(root, 'node_modules/.bin/asc');
const builds = [
  ['kernels-simd.wasm', 'simd', []],
  ['kernels-relaxed.wasm', 'simd,relaxed-simd', []],
  ['kernels-simd-threads.wasm', 'simd,threads', ['--sharedMemory', '--maximumMemory', '65536']],
  ['kernels-relaxed-threads.wasm', 'simd,relaxed-simd,threads', ['--sharedMemory', '--maximumMemory', '65536']],
];
for (const [file, features, extra] of builds) {
  execFileSync(asc, ['assembly/kernels.ts', '-o', `dist/wasm/${file}`, '-O3', '--runtime', 'stub', '--importMemory', '--noAssert', '--enable', features, ...extra], { cwd: root, stdio: 'inherit' });
}
