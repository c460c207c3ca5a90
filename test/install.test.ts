import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIGITS_TRAIN, tempDir } from './helpers/files.js';

// The README's "Use it in your project", done as a new user would: the packed tarball installed
// into a fresh project (from the npm cache `npm ci` filled, the registry for what it lacks), the README's program run as
// written, compiled as TypeScript, and the command line through npx.

const README = readFileSync('README.md', 'utf8');
const TSC = path.resolve('node_modules/typescript/bin/tsc');
const run = (command: string, args: readonly string[], cwd: string) =>
  spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 });

/** The README's code block that begins with `// NAME`. */
function readmeBlock(name: string): string {
  const block = [...README.matchAll(/```(?:js|ts)\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.startsWith(`// ${name}`));
  if (!block) throw new Error(`the README has no code block beginning // ${name}`);
  return block;
}

describe('installing rxgrad into a new project', () => {
  it("the README's program runs as written, as ESM and as TypeScript; the package runs no install script", () => {
    const dir = tempDir();
    const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, '--silent'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .at(-1)!;
    const app = path.join(dir, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const installed = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(dir, packed)], app);
    expect(installed.status, installed.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(app, 'node_modules/rxgrad/package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    };
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(manifest.scripts?.[hook], hook).toBeUndefined();
    expect(readdirSync(path.join(app, 'node_modules/rxgrad/dist'))).toContain('index.js');

    writeFileSync(path.join(app, 'main.mjs'), readmeBlock('main.mjs'));
    const esm = run(process.execPath, ['main.mjs', DIGITS_TRAIN], app);
    expect(esm.stderr).toBe('');
    expect(esm.stdout).toBe('1438 rows, 64 features, 10 classes\n');

    // TypeScript, as the README says: main.ts with process.argv[2]!, module nodenext, strict.
    writeFileSync(path.join(app, 'main.ts'), readmeBlock('main.mjs').replace('process.argv[2]', 'process.argv[2]!'));
    const types = path.resolve('node_modules/@types');
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, outDir: 'out', typeRoots: [types], types: ['node'] },
        files: ['main.ts'],
      }),
    );
    const compiled = run(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(run(process.execPath, ['out/main.js', DIGITS_TRAIN], app).stdout).toBe('1438 rows, 64 features, 10 classes\n');
    // A CommonJS project cannot take the top-level await: the error the README names.
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    expect(run(process.execPath, [TSC, '-p', 'tsconfig.json'], app).stdout).toContain('TS1309');

    const version = run('npx', ['--no-install', 'rxgrad', '--version'], app);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    // The queue libraries are optional peers: not installed, and asked for only by studies on Redis.
    expect(readdirSync(path.join(app, 'node_modules'))).not.toContain('bullmq');
    const needs = 'needs the packages bullmq and ioredis (bullmq is not installed): npm install bullmq ioredis\n';
    const tune = run(
      'npx',
      ['--no-install', 'rxgrad', 'tune', '--data', DIGITS_TRAIN, '--study', path.join(dir, 'study'), '--redis', 'redis://127.0.0.1:9'],
      app,
    );
    expect([tune.status, tune.stderr]).toEqual([2, `rxgrad: --redis ${needs}`]);
    expect(existsSync(path.join(dir, 'study'))).toBe(false);
    const worker = run('npx', ['--no-install', 'rxgrad', 'worker', '--redis', 'redis://127.0.0.1:9'], app);
    expect([worker.status, worker.stderr]).toEqual([2, `rxgrad: rxgrad worker ${needs}`]);
  }, 180_000);
});
