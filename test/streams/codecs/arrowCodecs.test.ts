import { CompressionType, compressionRegistry } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { registerArrowCodecs } from '../../../src/streams/codecs/arrowCodecs.js';

/** A compressed IPC buffer as apache-arrow hands it to a codec: the bytes after their 8-byte length prefix. */
function prefixed(compressed: Uint8Array, declared: number): Uint8Array {
  const buffer = new Uint8Array(8 + compressed.length);
  new DataView(buffer.buffer).setBigInt64(0, BigInt(declared), true);
  buffer.set(compressed, 8);
  return buffer.subarray(8);
}

describe('registerArrowCodecs', () => {
  for (const [name, type] of [
    ['LZ4', CompressionType.LZ4_FRAME],
    ['ZSTD', CompressionType.ZSTD],
  ] as const) {
    it(`${name}: a buffer decodes only to exactly the length its prefix declares`, async () => {
      await registerArrowCodecs();
      const codec = compressionRegistry.get(type)!;
      const data = Uint8Array.from({ length: 100 }, (_, i) => (i * 7) % 256);
      const compressed = codec.encode!(data);
      expect(Array.from(codec.decode!(prefixed(compressed, 100)))).toEqual(Array.from(data));
      // Shorter than declared (the rest of the column would be read from nothing) or longer: damaged.
      for (const declared of [120, 80]) {
        const message =
          name === 'LZ4'
            ? `^a LZ4 buffer cannot be decoded to the ${declared} bytes its header says: `
            : `^a ZSTD buffer decompressed to \\d+ bytes, its header says ${declared}$`;
        expect(() => codec.decode!(prefixed(compressed, declared)), `declared ${declared}`).toThrow(new RegExp(message));
      }
    });
  }
});
