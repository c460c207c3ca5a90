// The README's two pipeline examples, as written there but for the import path.
import { readFileSync } from 'node:fs';
import { filter, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import {
  backward,
  createBackend,
  createNetwork,
  createOptimizer,
  fit,
  forward,
  loss,
  miniBatches,
  normalize,
  optimizerStep,
  readArrow,
  summarize,
} from '../src/index.js';

describe('README examples', () => {
  it('the pipeline written out runs one epoch, then fit runs twenty', async () => {
    process.chdir(new URL('..', import.meta.url).pathname);
    const train = 'data/digits-train.arrow';
    const { standardizer, cols, classes } = await lastValueFrom(readArrow(train).pipe(summarize()));
    const network = createNetwork({ inputSize: cols, classes, hidden: [64, 32], activation: 'relu', seed: 0, backend: createBackend() });
    const adam = createOptimizer({ type: 'adam', learningRate: 1e-3 }, network.backend);

    const steps = await lastValueFrom(
      readArrow(train).pipe(
        miniBatches({ batchSize: 64, seed: 0, epoch: 1 }),
        normalize(standardizer, { network }),
        forward(network, { mode: 'train' }),
        loss(),
        backward(),
        optimizerStep(adam),
        toArray(),
      ),
    );
    expect(steps.map((s) => s.batch)).toEqual(Array.from({ length: 23 }, (_, i) => i));

    const epochs = await lastValueFrom(
      fit(readArrow(train), {
        network,
        optimizer: adam,
        standardizer,
        epochs: 20,
        batchSize: 64,
        validation: readArrow('data/digits-test.arrow'),
      }).pipe(
        filter((e) => e.type === 'epoch'),
        toArray(),
      ),
    );
    expect(epochs).toHaveLength(20);
    expect(epochs.at(-1)!.type === 'epoch' && epochs.at(-1)!.validation!.accuracy).toBeGreaterThan(0.95);
  });

  it("the API section lists exactly the package's runtime exports", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## API\n'), readme.indexOf('## Command line\n'));
    const listed = [...section.matchAll(/^Exports: ([\s\S]*?\.)\n\n/gm)].flatMap((m) =>
      [...m[1]!.matchAll(/`([A-Za-z_0-9]+)`/g)].map((n) => n[1]!),
    );
    expect(listed.length).toBeGreaterThan(50);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(Object.keys(api).sort());
    // The issue that curated the root asked for at most 60 values there.
    expect(listed.length).toBeLessThanOrEqual(60);
  });

  it("the API section's From `rxgrad/advanced` lines list exactly its runtime exports, none of them the root's", async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## API\n'), readme.indexOf('## Command line\n'));
    const listed = [...section.matchAll(/^From `rxgrad\/advanced`: ([\s\S]*?\.)\n\n/gm)].flatMap((m) =>
      [...m[1]!.matchAll(/`([A-Za-z_0-9]+)`/g)].map((n) => n[1]!),
    );
    const advanced = await import('../src/entries/advanced.js');
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(Object.keys(advanced).sort());
    for (const name of listed) expect(Object.keys(api)).not.toContain(name);
  });

  it('the API section lists exactly the runtime exports of rxgrad/report and rxgrad/distributed, which the root leaves out', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const [entry, module] of [
      ['report', await import('../src/entries/report.js')],
      ['distributed', await import('../src/entries/distributed.js')],
    ] as const) {
      const line = new RegExp(`^Exports from \`rxgrad/${entry}\`: ([\\s\\S]*?\\.)\\n`, 'm').exec(readme)?.[1] ?? '';
      const listed = [...line.matchAll(/`([A-Za-z_0-9]+)`/g)].map((n) => n[1]!);
      expect(listed.sort()).toEqual(Object.keys(module).sort());
      for (const name of listed) expect(Object.keys(api)).not.toContain(name);
    }
  });

  it('the marble tests of "Testing your pipeline" are test/readme/marbles.test.ts, as printed', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Testing your pipeline\n'));
    const printed = /```ts\n([\s\S]*?)\n```/.exec(section)![1]!;
    expect(printed).toBe(readFileSync(new URL('./readme/marbles.test.ts', import.meta.url), 'utf8').trimEnd());
  });
});
