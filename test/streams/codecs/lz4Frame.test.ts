import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/model/random.js';
import { decodeLz4Frame, encodeLz4Frame, Lz4Error, xxh32 } from '../../../src/streams/codecs/lz4Frame.js';

// rxgrad's LZ4 frame codec against the reference C library (lz4-napi, a dev dependency only):
// each decodes the other's frames to the same bytes, over sizes around the format's limits and
// data that compresses well, badly and not at all; damaged frames are Lz4Errors, never anything else.

const rng = createRandom(11);
const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog ');
function sample(kind: string, n: number): Uint8Array {
  const a = new Uint8Array(n);
  if (kind === 'random') for (let i = 0; i < n; i++) a[i] = Math.floor(rng.next() * 256);
  if (kind === 'runs') for (let i = 0; i < n; i++) a[i] = Math.floor(i / 37) % 7;
  if (kind === 'text') for (let i = 0; i < n; i++) a[i] = rng.next() < 0.05 ? Math.floor(rng.next() * 256) : text[i % text.length]!;
  if (kind === 'floats') {
    const f = new Float32Array(a.buffer, 0, n >> 2);
    for (let i = 0; i < f.length; i++) f[i] = Math.round(rng.next() * 16) / 16;
  }
  return a;
}
const SIZES = [0, 1, 5, 12, 13, 16, 17, 100, 65_535, 65_536, 300_001, (1 << 22) + 17];
const KINDS = ['random', 'runs', 'text', 'floats'];

describe('LZ4 frames', () => {
  it('XXH32 gives the reference values', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(xxh32(bytes(''))).toBe(0x02cc5d05);
    expect(xxh32(bytes('abc'))).toBe(0x32d153ff);
    expect(xxh32(bytes('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });

  it('decodes what the reference encodes, and the reference decodes what it encodes, to the same bytes', () => {
    for (const n of SIZES) {
      for (const kind of KINDS) {
        const data = sample(kind, n);
        const reference = new Uint8Array(compressFrameSync(Buffer.from(data)));
        expect(Buffer.from(decodeLz4Frame(reference, n)).equals(Buffer.from(data)), `${kind} ${n}`).toBe(true);
        const ours = encodeLz4Frame(data);
        expect(Buffer.from(decompressFrameSync(Buffer.from(ours))).equals(Buffer.from(data)), `${kind} ${n}`).toBe(true);
        // As small as the reference's at its default level, give or take 2%; stored when it would not shrink.
        if (n > 1000) expect(ours.length, `${kind} ${n}`).toBeLessThanOrEqual(Math.ceil(reference.length * 1.02));
      }
    }
  });

  it('checks the block and content checksums and the content size a frame carries', () => {
    const data = sample('text', 5000);
    // A frame with block checksums, content checksum and content size, built by hand around stored blocks.
    const header = Uint8Array.of(
      0x04,
      0x22,
      0x4d,
      0x18,
      0x40 | 0x10 | 0x08 | 0x04,
      0x40,
      ...new Uint8Array(new BigUint64Array([BigInt(data.length)]).buffer),
    );
    const hc = (xxh32(header, 4, header.length) >>> 8) & 0xff;
    const word = (v: number) => new Uint8Array(new Uint32Array([v >>> 0]).buffer);
    const frame = (blockSum: number, contentSum: number) =>
      Uint8Array.from([...header, hc, ...word(data.length | 0x80000000), ...data, ...word(blockSum), ...word(0), ...word(contentSum)]);
    const good = frame(xxh32(data), xxh32(data));
    expect(Buffer.from(decodeLz4Frame(good, data.length)).equals(Buffer.from(data))).toBe(true);
    expect(() => decodeLz4Frame(frame(xxh32(data) ^ 1, xxh32(data)), data.length)).toThrow('a block checksum does not match');
    expect(() => decodeLz4Frame(frame(xxh32(data), xxh32(data) ^ 1), data.length)).toThrow('the content checksum does not match');
    const wrongHeader = good.slice();
    wrongHeader[6]! ^= 1;
    expect(() => decodeLz4Frame(wrongHeader, data.length)).toThrow('the frame header checksum does not match');
  });

  it('a damaged frame is an Lz4Error or bytes of the declared length, never another error, a hang or an overrun', () => {
    const data = sample('text', 20_000);
    const frame = new Uint8Array(compressFrameSync(Buffer.from(data)));
    let refused = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const damaged = trial % 3 === 0 ? frame.subarray(0, Math.floor(rng.next() * frame.length)) : frame.slice();
      if (trial % 3 !== 0)
        for (let k = 0; k < 1 + (trial % 4); k++) damaged[Math.floor(rng.next() * damaged.length)] = Math.floor(rng.next() * 256);
      try {
        expect(decodeLz4Frame(damaged, data.length)).toHaveLength(data.length);
      } catch (error) {
        expect(error, `trial ${trial}`).toBeInstanceOf(Lz4Error);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(2000);
    // More or fewer bytes than declared: refused.
    expect(() => decodeLz4Frame(frame, data.length - 1)).toThrow(Lz4Error);
    expect(() => decodeLz4Frame(frame, data.length + 1)).toThrow('decode to 20000 bytes, not 20001');
  });
});
