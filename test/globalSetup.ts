// Builds dist/ from the current source before any test runs, so that tests which start worker
// threads or the CLI (both run compiled JavaScript) never test yesterday's code. The TypeScript
// build takes about a second; the WebAssembly kernels are rebuilt only when their source changed.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const run = (script: string, ...args: string[]) => execFileSync(process.execPath, [path.join(root, script), ...args], { cwd: root, stdio: 'inherit' });

function wasmIsStale(): boolean {
  const dir = path.join(root, 'dist/wasm');
  if (!existsSync(dir)) return true;
  const built = readdirSync(dir).filter((f) => f.endsWith('.wasm'));
  if (built.length < 4) return true;
  const oldest = Math.min(...built.map((f) => statSync(path.join(dir, f)).mtimeMs));
  return ['assembly/kernels.ts', 'scripts/build-wasm.mjs'].some((f) => statSync(path.join(root, f)).mtimeMs > oldest);
}

export default function setup(): void {
  if (wasmIsStale()) run('scripts/build-wasm.mjs');
  run('node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json');
}
