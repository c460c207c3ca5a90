import { describe, expect, it } from 'vitest';
import { createBackend } from '../../src/backends/createBackend.js';
import { createWasmBackend, type WasmFlavour } from '../../src/backends/wasmBackend.js';

for (const flavour of ['relaxed-simd', 'simd'] as WasmFlavour[]) {
  describe(`WebAssembly ${flavour} backend`, () => {
    it('is available on this machine (the build ran and the engine accepts it)', () => {
      expect(createWasmBackend({ flavour, memoryBytes: 65536 * 2 })?.name).toBe(`wasm-${flavour}`);
    });

    it('hands out views into one memory and refuses to overflow it', () => {
      const small = createWasmBackend({ flavour, memoryBytes: 2 * 65536 })!;
      const first = small.allocator.alloc(100);
      const second = small.allocator.alloc(100);
      expect(first.buffer).toBe(second.buffer);
      expect(second.byteOffset - first.byteOffset).toBe(400);
      expect(() => small.allocator.alloc(20_000)).toThrow(/out of memory \(131072 bytes\); create it with a larger memoryBytes/);
    });
  });
}

describe('createBackend', () => {
  const withKernels = <T>(value: string | undefined, run: () => T): T => {
    const saved = process.env.RXGRAD_KERNELS;
    try {
      if (value === undefined) delete process.env.RXGRAD_KERNELS;
      else process.env.RXGRAD_KERNELS = value;
      return run();
    } finally {
      if (saved === undefined) delete process.env.RXGRAD_KERNELS;
      else process.env.RXGRAD_KERNELS = saved;
    }
  };

  it('picks WebAssembly, or the TypeScript backend when RXGRAD_KERNELS=typescript', () => {
    expect(withKernels(undefined, () => createBackend().name)).toMatch(/^wasm-/);
    expect(withKernels('wasm', () => createBackend().name)).toMatch(/^wasm-/);
    expect(withKernels('typescript', () => createBackend().name)).toBe('typescript');
  });

  it('names the values it accepts for a bad RXGRAD_KERNELS', () => {
    expect(() => withKernels('cuda', () => createBackend())).toThrow(/RXGRAD_KERNELS must be one of auto, wasm, typescript, got 'cuda'/);
  });
});
