import { spawn } from 'node:child_process';
import { existsSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadModel, saveModel } from '../../src/files/serialization.js';
import { createNetwork } from '../../src/model/network.js';
import { typescriptBackend } from '../../src/model/typescriptBackend.js';
import { tempDir } from '../helpers/files.js';

const small = () => createNetwork({ inputSize: 4, classes: 3, hidden: [5], seed: 1, backend: typescriptBackend });
const weightsOf = async (dir: string) => Array.from((await loadModel(dir, typescriptBackend)).network.params[0]!.value);

describe('a model directory being replaced', () => {
  afterEach(() => vi.restoreAllMocks());

  it('keeps the previous copy whole when the write fails mid-way', async () => {
    const dir = path.join(tempDir(), 'model');
    await saveModel(dir, { network: small() });
    const before = await weightsOf(dir);
    const json = readFileSync(path.join(dir, 'model.json'), 'utf8');
    const write = fsp.writeFile.bind(fsp);
    vi.spyOn(fsp, 'writeFile').mockImplementation(async (file, data, options) => {
      if (/weights-[0-9a-f]+\.bin/.test(String(file)))
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return write(file, data, options);
    });
    const other = createNetwork({ inputSize: 4, classes: 3, hidden: [7], seed: 2, backend: typescriptBackend });
    await expect(saveModel(dir, { network: other })).rejects.toThrow(/ENOSPC/);
    vi.restoreAllMocks();
    expect(readFileSync(path.join(dir, 'model.json'), 'utf8')).toBe(json);
    expect(await weightsOf(dir)).toEqual(before);
    expect(readdirSync(path.dirname(dir))).toEqual(['model']);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('keeps the previous copy whole when the writer is killed mid-write', async () => {
    const root = tempDir();
    const dir = path.join(root, 'model');
    await saveModel(dir, { network: small() });
    const before = await weightsOf(dir);
    const json = readFileSync(path.join(dir, 'model.json'), 'utf8');
    // A writer of a ~200 MB model, killed as soon as anything of the new copy shows on disk.
    const script = `
      const { saveModel } = await import(${JSON.stringify(path.resolve('dist/files/serialization.js'))});
      const { createNetwork } = await import(${JSON.stringify(path.resolve('dist/model/network.js'))});
      const { typescriptBackend } = await import(${JSON.stringify(path.resolve('dist/model/typescriptBackend.js'))});
      const network = createNetwork({ inputSize: 4096, classes: 10, hidden: [4096, 4096, 2048], batchNorm: false, backend: typescriptBackend });
      process.stdout.write('ready\\n');
      await saveModel(${JSON.stringify(dir)}, { network });
      process.stdout.write('saved\\n');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 60_000;
    const names = readdirSync(dir).join();
    const changed = () =>
      readdirSync(root).length > 1 || readdirSync(dir).join() !== names || readFileSync(path.join(dir, 'model.json'), 'utf8') !== json;
    while (!output.includes('ready') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    while (!changed() && !output.includes('saved') && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    child.kill('SIGKILL');
    await exited;
    expect(output).not.toContain('saved');
    expect(existsSync(path.join(dir, 'model.json'))).toBe(true);
    expect(readFileSync(path.join(dir, 'model.json'), 'utf8')).toBe(json);
    expect(await weightsOf(dir)).toEqual(before);
  });
});
