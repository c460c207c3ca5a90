// Builds dist/ from the current source before any test runs, so that tests which start worker
// threads or the CLI (both run compiled JavaScript) never test yesterday's code. The TypeScript
// build takes about a second; the WebAssembly kernels are rebuilt only when their source changed
// (scripts/build-wasm.mjs checks).
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const run = (script: string, ...args: string[]) =>
  execFileSync(process.execPath, [path.join(root, script), ...args], { cwd: root, stdio: 'inherit' });

export default function setup(): void {
  // Rebuilds only the WebAssembly kernels older than their sources.
  run('scripts/build-wasm.mjs');
  run('node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json');
}
