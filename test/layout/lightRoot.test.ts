import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const HEAVY = ['echarts', 'zrender', 'bullmq', 'ioredis', 'parquet-wasm'];

/** The packages a fresh Node resolves while importing these compiled modules of rxgrad. */
function packagesLoadedBy(...modules: string[]): Set<string> {
  const program = modules.map((m) => `await import(${JSON.stringify(path.join(root, 'dist', m))});`).join(' ');
  const run = spawnSync(
    process.execPath,
    ['--import', path.join(root, 'test/helpers/moduleLog.mjs'), '--input-type=module', '-e', program],
    { cwd: root, encoding: 'utf8' },
  );
  expect(run.status, run.stderr).toBe(0);
  return new Set([...run.stderr.matchAll(/^resolved (\S+)$/gm)].map((m) => m[1]!));
}

describe('the root import stays light', () => {
  it("import 'rxgrad' (and 'rxgrad/advanced') loads no chart, queue, Redis, Parquet or Arrow library; the subpaths that need them do", () => {
    const rootPackages = packagesLoadedBy('index.js');
    expect([...rootPackages].sort()).toEqual(['rxjs', 'seedrandom']);
    expect(HEAVY.filter((name) => rootPackages.has(name))).toEqual([]);
    expect([...packagesLoadedBy('entries/advanced.js')].sort()).toEqual(['rxjs', 'seedrandom']);
    const subpaths = packagesLoadedBy('entries/report.js', 'entries/distributed.js');
    expect(['echarts', 'bullmq', 'ioredis'].filter((name) => !subpaths.has(name))).toEqual([]);
  });

  it("the root's data readers load their modules when first used, and give what the modules give", async () => {
    const root_ = await import('../../src/index.js');
    const direct = await import('../../src/streams/arrow/readArrow.js');
    const file = path.join(root, 'data/digits-test.arrow');
    const viaRoot = await lastValueFrom(root_.readArrow(file).pipe(toArray()));
    const viaModule = await lastValueFrom(direct.readArrow(file).pipe(toArray()));
    expect(viaRoot.map((b) => [b.rows, Array.from(b.features.subarray(0, 64)), Array.from(b.labels)])).toEqual(
      viaModule.map((b) => [b.rows, Array.from(b.features.subarray(0, 64)), Array.from(b.labels)]),
    );
    expect(await root_.inspectData(file)).toEqual(await direct.inspectArrow(file));
    // An error in the loaded function reaches the caller as it would from the module.
    await expect(lastValueFrom(root_.readData(path.join(root, 'no-such-file.arrow')))).rejects.toThrow(/no such file/);
    await expect(root_.inspectData(path.join(root, 'no-such-file.arrow'))).rejects.toThrow(/no such file/);
  });

  it('rxgrad --version loads the flag parser and nothing else', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', path.join(root, 'test/helpers/moduleLog.mjs'), path.join(root, 'dist/cli/main.js'), '--version'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect([...new Set([...run.stderr.matchAll(/resolved (\S+?)(?=resolved|\s|$)/g)].map((m) => m[1]))]).toEqual(['commander']);
  });
});
