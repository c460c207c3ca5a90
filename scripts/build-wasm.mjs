// Compiles assembly/kernels.ts into the four WebAssembly builds rxgrad chooses from at run time:
// plain SIMD or relaxed SIMD (fused multiply-add), each with a private memory or, for kernels
// split across threads, a shared one. Run by `npm run build:wasm`; a build newer than its sources
// is kept (pass --force to rebuild), and the builds run side by side.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const asc = path.join(root, 'node_modules/.bin/asc');
const sources = ['assembly/kernels.ts', 'scripts/build-wasm.mjs'].map((file) => statSync(path.join(root, file)).mtimeMs);
const force = process.argv.includes('--force');
const builds = [
  ['kernels-simd.wasm', 'simd', []],
  ['kernels-relaxed.wasm', 'simd,relaxed-simd', []],
  ['kernels-simd-threads.wasm', 'simd,threads', ['--sharedMemory', '--maximumMemory', '65536']],
  ['kernels-relaxed-threads.wasm', 'simd,relaxed-simd,threads', ['--sharedMemory', '--maximumMemory', '65536']],
];
mkdirSync(path.join(root, 'dist/wasm'), { recursive: true });
const stale = builds.filter(([file]) => {
  const output = path.join(root, 'dist/wasm', file);
  return force || !existsSync(output) || sources.some((time) => time > statSync(output).mtimeMs);
});
await Promise.all(
  stale.map(([file, features, extra]) =>
    promisify(execFile)(
      asc,
      [
        'assembly/kernels.ts',
        '-o',
        `dist/wasm/${file}`,
        '-O3',
        '--runtime',
        'stub',
        '--importMemory',
        '--noAssert',
        '--enable',
        features,
        ...extra,
      ],
      { cwd: root },
    ),
  ),
);
if (stale.length > 0) process.stdout.write(`built ${stale.map(([file]) => file).join(', ')}\n`);
