import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const HEAVY = ['echarts', 'zrender', 'bullmq', 'ioredis', 'parquet-wasm'];

/** The packages a fresh Node resolves while importing these compiled modules of rxgrad. */
function packagesLoadedBy(...modules: string[]): Set<string> {
  const program = modules.map((m) => `await import(${JSON.stringify(path.join(root, 'dist', m))});`).join(' ');
  const run = spawnSync(process.execPath, ['--import', path.join(root, 'test/helpers/moduleLog.mjs'), '--input-type=module', '-e', program], { cwd: root, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return new Set([...run.stderr.matchAll(/^resolved (\S+)$/gm)].map((m) => m[1]!));
}

describe('the root import stays light', () => {
  it("import 'rxgrad' loads no chart, queue, Redis or Parquet library; the subpaths that need them do", () => {
    const rootPackages = packagesLoadedBy('index.js');
    expect(rootPackages.has('apache-arrow')).toBe(true);
    expect(HEAVY.filter((name) => rootPackages.has(name))).toEqual([]);
    const subpaths = packagesLoadedBy('entries/report.js', 'entries/distributed.js');
    expect(['echarts', 'bullmq', 'ioredis'].filter((name) => !subpaths.has(name))).toEqual([]);
  });

  it('rxgrad --version loads the flag parser and nothing else', () => {
    const run = spawnSync(process.execPath, ['--import', path.join(root, 'test/helpers/moduleLog.mjs'), path.join(root, 'dist/cli/main.js'), '--version'], { cwd: root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect([...new Set([...run.stderr.matchAll(/resolved (\S+?)(?=resolved|\s|$)/g)].map((m) => m[1]))]).toEqual(['commander']);
  });
});
