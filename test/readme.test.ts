import { filter, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
// The README's two pipeline examples, as written there but for the import path.
import { backward, createNetwork, createOptimizer, fit, forward, loss, miniBatches, normalize, optimizerStep, readArrow, summarize } from '../src/index.js';
import { createBackend } from '../src/backends/createBackend.js';
import { typescriptBackend } from '../src/model/typescriptBackend.js';

describe('README examples', () => {
  it('the pipeline written out runs one epoch, then fit runs twenty', async () => {
    process.chdir(new URL('..', import.meta.url).pathname);
    const train = 'data/digits-train.arrow';
    const { standardizer, cols, classes } = await lastValueFrom(readArrow(train).pipe(summarize()));
    const network = createNetwork({ inputSize: cols, classes, hidden: [64, 32], activation: 'relu', seed: 0, backend: createBackend() });
    const adam = createOptimizer({ type: 'adam', learningRate: 1e-3 }, typescriptBackend);

    const steps = await lastValueFrom(
      readArrow(train).pipe(
        miniBatches({ batchSize: 64, seed: 0, epoch: 1 }),
        normalize(standardizer),
        forward(network, { mode: 'train' }),
        loss(),
        backward(),
        optimizerStep(adam),
        toArray(),
      ),
    );
    expect(steps.map((s) => s.batch)).toEqual(Array.from({ length: 23 }, (_, i) => i));

    const epochs = await lastValueFrom(
      fit(readArrow(train), { network, optimizer: adam, standardizer, epochs: 20, batchSize: 64, validation: readArrow('data/digits-test.arrow') }).pipe(
        filter((e) => e.type === 'epoch'),
        toArray(),
      ),
    );
    expect(epochs).toHaveLength(20);
    expect(epochs.at(-1)!.type === 'epoch' && epochs.at(-1)!.validation!.accuracy).toBeGreaterThan(0.95);
  });
});
