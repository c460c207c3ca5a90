import { describe, expect, it } from 'vitest';
import { AUTO_THREADS_MIN_FLOPS, autoThreads } from '../../src/backends/autoThreads.js';

describe("threads: 'auto'", () => {
  it('gives every core to a network whose largest product is worth splitting, one thread otherwise', () => {
    expect(autoThreads({ inputSize: 784, hidden: [256, 128], classes: 10, batchSize: 128 }, 2)).toBe(2);
    expect(autoThreads({ inputSize: 784, hidden: [256, 128], classes: 10, batchSize: 128 }, 4)).toBe(4);
    expect(autoThreads({ inputSize: 64, hidden: [64, 32], classes: 10, batchSize: 64 }, 2)).toBe(1);
    // The largest product decides, wherever it is: here the output layer's 2·64·1000·10000.
    expect(autoThreads({ inputSize: 8, hidden: [1000], classes: 10_000, batchSize: 64 }, 2)).toBe(2);
    expect(autoThreads({ inputSize: 784, hidden: [256], classes: 10, batchSize: 128 }, 1)).toBe(1);
  });

  it('splits from the threshold on', () => {
    // 2·b·n·n at the threshold exactly, and just below it.
    const n = 1000;
    const at = AUTO_THREADS_MIN_FLOPS / (2 * n * n);
    expect(autoThreads({ inputSize: n, hidden: [], classes: n, batchSize: at }, 2)).toBe(2);
    expect(autoThreads({ inputSize: n, hidden: [], classes: n, batchSize: at - 1 }, 2)).toBe(1);
  });
});
