import { CompressionType, compressionRegistry } from 'apache-arrow';

/**
 * The uncompressed length apache-arrow read just before the compressed bytes it hands a codec
 * (the 8-byte little-endian prefix of every compressed IPC buffer). `checkFileMessages` and
 * `checkStream` have bounded it by the column's type and row count before any decoding.
 */
function declaredLength(bytes: Uint8Array): number {
  if (bytes.byteOffset < 8) throw new Error('a compressed Arrow buffer without its length prefix');
  return Number(new DataView(bytes.buffer, bytes.byteOffset - 8, 8).getBigInt64(0, true));
}

/** Decoded output must be exactly what the buffer declared: anything else is a damaged file. */
function exactly(decoded: Uint8Array, declared: number, codec: string): Uint8Array {
  if (decoded.length !== declared)
    throw new Error(`a ${codec} buffer decompressed to ${decoded.length} bytes, its header says ${declared}`);
  return decoded;
}

let ready: Promise<void> | undefined;

/**
 * Lets apache-arrow read IPC files whose record batches are compressed, as pyarrow and
 * `df.to_feather()` write them by default: LZ4 frames (rxgrad's own TypeScript codec,
 * `lz4Frame.ts`: no native addon) and ZSTD (the reference C library in WebAssembly: zstddec
 * decodes, @bokuweb/zstd-wasm encodes). A buffer is decoded into exactly its declared, already
 * bounded, length, so a damaged frame can never allocate more. Resolves once the codecs can be
 * used; calling it again returns the same promise.
 *
 * @example
 * import { readFileSync } from 'node:fs';
 * import { tableFromIPC } from 'apache-arrow';
 * await registerArrowCodecs();
 * const table = tableFromIPC(readFileSync('x.feather'));
 */
export function registerArrowCodecs(): Promise<void> {
  ready ??= (async () => {
    // Loaded on first use, so that importing rxgrad loads no codec.
    const [{ decodeLz4Frame, encodeLz4Frame }, { ZSTDDecoder }, { compress: zstdCompress, init: initZstdEncoder }] = await Promise.all([
      import('./lz4Frame.js'),
      import('zstddec'),
      import('@bokuweb/zstd-wasm'),
    ]);
    const zstd = new ZSTDDecoder();
    await Promise.all([zstd.init(), initZstdEncoder()]);
    compressionRegistry.set(CompressionType.LZ4_FRAME, {
      encode: (data) => encodeLz4Frame(data),
      // Decoded into exactly its declared, already bounded, length: a frame holding more or less is an error.
      decode: (bytes) => {
        const declared = declaredLength(bytes);
        try {
          return decodeLz4Frame(bytes, declared);
        } catch (error) {
          throw new Error(`a LZ4 buffer cannot be decoded to the ${declared} bytes its header says: ${(error as Error).message}`);
        }
      },
    });
    compressionRegistry.set(CompressionType.ZSTD, {
      // Two libraries, each for what it does safely: @bokuweb/zstd-wasm compresses; its decoder
      // takes the output size from the frame, zstddec takes it from us.
      encode: (data) => zstdCompress(data, 3),
      decode: (bytes) => {
        const declared = declaredLength(bytes);
        // zstddec reads a size of 0 as "take it from the frame": never let the frame say.
        if (declared === 0) return new Uint8Array(0);
        return exactly(zstd.decode(bytes, declared), declared, 'ZSTD');
      },
    });
  })();
  return ready;
}

/** The IPC compressions rxgrad writes when asked (`--compression`): none by default, since not every reader has the codecs. */
export type ArrowCompression = 'lz4' | 'zstd';

/** apache-arrow's name for a compression. @internal */
export function compressionType(compression: ArrowCompression): CompressionType {
  return compression === 'lz4' ? CompressionType.LZ4_FRAME : CompressionType.ZSTD;
}
