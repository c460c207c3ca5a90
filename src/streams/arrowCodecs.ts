import { compressionRegistry, CompressionType } from 'apache-arrow';

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
  if (decoded.length !== declared) throw new Error(`a ${codec} buffer decompressed to ${decoded.length} bytes, its header says ${declared}`);
  return decoded;
}

let ready: Promise<void> | undefined;

/**
 * Lets apache-arrow read IPC files whose record batches are compressed, as pyarrow and
 * `df.to_feather()` write them by default: LZ4 frames (lz4-napi, the reference C library) and
 * ZSTD (the reference C library in WebAssembly: zstddec decodes, @bokuweb/zstd-wasm encodes). A ZSTD buffer is decoded into exactly
 * its declared, already bounded, length, so a damaged frame can never allocate more. Resolves
 * once the codecs can be used; calling it again returns the same promise.
 *
 * @example
 * await registerArrowCodecs();
 * const table = tableFromIPC(readFileSync('x.feather'));
 */
export function registerArrowCodecs(): Promise<void> {
  ready ??= (async () => {
    // Loaded on first use, so that importing rxgrad loads no codec.
    const [{ compressFrameSync, decompressFrameSync }, { ZSTDDecoder }, { compress: zstdCompress, init: initZstdEncoder }] = await Promise.all([import('lz4-napi'), import('zstddec'), import('@bokuweb/zstd-wasm')]);
    const zstd = new ZSTDDecoder();
    await Promise.all([zstd.init(), initZstdEncoder()]);
    compressionRegistry.set(CompressionType.LZ4_FRAME, {
      encode: (data) => new Uint8Array(compressFrameSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength))),
      decode: (bytes) => {
        const declared = declaredLength(bytes);
        const out = decompressFrameSync(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        return exactly(new Uint8Array(out.buffer, out.byteOffset, out.byteLength), declared, 'LZ4');
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
