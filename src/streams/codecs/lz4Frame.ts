/**
 * The LZ4 frame format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md), as Arrow IPC
 * compresses its buffers with it (pyarrow, `df.to_feather()`, polars), in TypeScript: no native
 * addon to install. Decoding writes into an output of the length the caller expects and checks
 * every length, offset and checksum the frame carries, so a damaged frame is an error, never a
 * read or write out of bounds.
 */

const MAGIC = 0x184d2204;
/** Skippable frames (0x184D2A50 to 0x184D2A5F) carry user data a decoder passes over. */
const SKIPPABLE = 0x184d2a50;
const MIN_MATCH = 4;
/** The last match starts at least 12 bytes before the end of a block; the last 5 bytes are literals. */
const MF_LIMIT = 12;
const LAST_LITERALS = 5;
const BLOCK_SIZES: Record<number, number> = { 4: 1 << 16, 5: 1 << 18, 6: 1 << 20, 7: 1 << 22 };
/** The block size this encoder writes (4 MiB, the largest). */
const ENCODE_BLOCK = 1 << 22;
const HASH_LOG = 16;

const PRIME1 = 2654435761;
const PRIME2 = 2246822519;
const PRIME3 = 3266489917;
const PRIME4 = 668265263;
const PRIME5 = 374761393;

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
const read32 = (b: Uint8Array, i: number) => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;

/**
 * XXH32 of `bytes[start, end)` with seed 0: the checksum of LZ4 frames' headers, blocks and
 * contents.
 *
 * @example
 * xxh32(new TextEncoder().encode('abc')) // 0x32d153ff
 */
export function xxh32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let i = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (PRIME1 + PRIME2) | 0;
    let v2 = PRIME2 | 0;
    let v3 = 0;
    let v4 = -PRIME1 | 0;
    for (const limit = end - 16; i <= limit; i += 16) {
      v1 = Math.imul(rotl((v1 + Math.imul(read32(bytes, i), PRIME2)) | 0, 13), PRIME1);
      v2 = Math.imul(rotl((v2 + Math.imul(read32(bytes, i + 4), PRIME2)) | 0, 13), PRIME1);
      v3 = Math.imul(rotl((v3 + Math.imul(read32(bytes, i + 8), PRIME2)) | 0, 13), PRIME1);
      v4 = Math.imul(rotl((v4 + Math.imul(read32(bytes, i + 12), PRIME2)) | 0, 13), PRIME1);
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = PRIME5 | 0;
  }
  h = (h + (end - start)) | 0;
  for (; i + 4 <= end; i += 4) h = Math.imul(rotl((h + Math.imul(read32(bytes, i), PRIME3)) | 0, 17), PRIME4);
  for (; i < end; i++) h = Math.imul(rotl((h + Math.imul(bytes[i]!, PRIME5)) | 0, 11), PRIME1);
  h = Math.imul(h ^ (h >>> 15), PRIME2);
  h = Math.imul(h ^ (h >>> 13), PRIME3);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A damaged LZ4 frame: what was wrong with it. */
export class Lz4Error extends Error {
  override readonly name = 'Lz4Error';
}

/**
 * Decodes one LZ4 block `src[start, end)` into `out` from `at`, matches reaching back to
 * `out[0]` at most (a frame of linked blocks refers to the blocks before). Returns the end of
 * what it wrote.
 */
function decodeBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, at: number): number {
  let ip = start;
  let op = at;
  const outEnd = out.length;
  for (;;) {
    if (ip >= end) throw new Lz4Error('a block ends inside a sequence');
    const token = src[ip++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let byte: number;
      do {
        if (ip >= end) throw new Lz4Error('a block ends inside a literal length');
        byte = src[ip++]!;
        literals += byte;
      } while (byte === 255);
    }
    if (literals > end - ip || literals > outEnd - op)
      throw new Lz4Error(
        literals > end - ip ? 'literals run past the end of their block' : 'the frame decodes to more bytes than declared',
      );
    if (literals > 64) {
      out.set(src.subarray(ip, ip + literals), op);
    } else {
      for (let k = 0; k < literals; k++) out[op + k] = src[ip + k]!;
    }
    ip += literals;
    op += literals;
    // The last sequence of a block has literals only.
    if (ip === end) return op;
    if (ip + 2 > end) throw new Lz4Error('a block ends inside a match offset');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new Lz4Error(`a match refers ${offset} bytes back, before the start of the data`);
    let length = (token & 15) + MIN_MATCH;
    if (length === 15 + MIN_MATCH) {
      let byte: number;
      do {
        if (ip >= end) throw new Lz4Error('a block ends inside a match length');
        byte = src[ip++]!;
        length += byte;
      } while (byte === 255);
    }
    if (length > outEnd - op) throw new Lz4Error('the frame decodes to more bytes than declared');
    const from = op - offset;
    if (length <= 32) {
      // Short: byte by byte, which also repeats an overlapping run (offset < length) correctly.
      for (let k = 0; k < length; k++) out[op + k] = out[from + k]!;
      op += length;
    } else if (offset === 1) {
      out.fill(out[from]!, op, op + length);
      op += length;
    } else if (offset >= length) {
      out.copyWithin(op, from, from + length);
      op += length;
    } else {
      // A long run repeating the last `offset` bytes: copied in doubling steps, each a whole number of periods.
      for (let step = offset, left = length; left > 0; step *= 2) {
        const n = Math.min(step, left);
        out.copyWithin(op, op - step, op - step + n);
        op += n;
        left -= n;
      }
    }
  }
}

/**
 * Decodes an LZ4 frame (or several, and skippable frames) to exactly `length` bytes: what Arrow
 * declares a compressed buffer holds. Checks the header checksum, each block's and the content's
 * when the frame has them, and the content size when it says one; anything else is an `Lz4Error`.
 *
 * @example
 * const bytes = decodeLz4Frame(encodeLz4Frame(new Uint8Array(4096)), 4096); // Uint8Array(4096)
 */
export function decodeLz4Frame(src: Uint8Array, length: number): Uint8Array {
  // Not zeroed: every byte is written before the output is returned (op === length is checked).
  const out = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
  let ip = 0;
  let op = 0;
  while (ip < src.length) {
    if (src.length - ip < 4) throw new Lz4Error('a frame is cut short');
    const magic = read32(src, ip);
    if ((magic & 0xfffffff0) === SKIPPABLE) {
      if (src.length - ip < 8) throw new Lz4Error('a skippable frame is cut short');
      const size = read32(src, ip + 4);
      if (size > src.length - ip - 8) throw new Lz4Error('a skippable frame runs past the end');
      ip += 8 + size;
      continue;
    }
    if (magic !== MAGIC) throw new Lz4Error(`not an LZ4 frame (magic number 0x${magic.toString(16)})`);
    ip += 4;
    if (src.length - ip < 3) throw new Lz4Error('a frame header is cut short');
    const descriptor = ip;
    const flags = src[ip++]!;
    const bd = src[ip++]!;
    if (flags >>> 6 !== 1) throw new Lz4Error(`a frame of version ${flags >>> 6} (expected 1)`);
    if ((flags & 2) !== 0 || (bd & 0x8f) !== 0) throw new Lz4Error('a frame header sets reserved bits');
    const blockMax = BLOCK_SIZES[(bd >>> 4) & 7];
    if (blockMax === undefined) throw new Lz4Error(`a frame of unknown block size ${(bd >>> 4) & 7}`);
    const blockChecksums = (flags & 0x10) !== 0;
    const hasSize = (flags & 0x08) !== 0;
    const contentChecksum = (flags & 0x04) !== 0;
    if ((flags & 0x01) !== 0) throw new Lz4Error('a frame that needs a dictionary');
    let declared = -1;
    if (hasSize) {
      if (src.length - ip < 8) throw new Lz4Error('a frame header is cut short');
      declared = read32(src, ip) + read32(src, ip + 4) * 2 ** 32;
      ip += 8;
    }
    if (ip >= src.length) throw new Lz4Error('a frame header is cut short');
    if (src[ip] !== ((xxh32(src, descriptor, ip) >>> 8) & 0xff)) throw new Lz4Error('the frame header checksum does not match');
    ip++;
    const first = op;
    for (;;) {
      if (src.length - ip < 4) throw new Lz4Error('a frame ends without its end mark');
      const word = read32(src, ip);
      ip += 4;
      if (word === 0) break;
      const raw = word >>> 31 === 1;
      const size = word & 0x7fffffff;
      if (size > blockMax) throw new Lz4Error(`a block of ${size} bytes in a frame of ${blockMax}-byte blocks`);
      if (size > src.length - ip - (blockChecksums ? 4 : 0)) throw new Lz4Error('a block runs past the end of the frame');
      if (blockChecksums && read32(src, ip + size) !== xxh32(src, ip, ip + size)) throw new Lz4Error('a block checksum does not match');
      if (raw) {
        if (size > length - op) throw new Lz4Error('the frame decodes to more bytes than declared');
        out.set(src.subarray(ip, ip + size), op);
        op += size;
      } else {
        const start = op;
        op = decodeBlock(src, ip, ip + size, out, op);
        if (op - start > blockMax) throw new Lz4Error(`a block decodes to more than ${blockMax} bytes`);
      }
      ip += size + (blockChecksums ? 4 : 0);
    }
    if (contentChecksum) {
      if (src.length - ip < 4) throw new Lz4Error('a frame ends without its content checksum');
      if (read32(src, ip) !== xxh32(out, first, op)) throw new Lz4Error('the content checksum does not match');
      ip += 4;
    }
    if (declared >= 0 && declared !== op - first) throw new Lz4Error(`a frame says it holds ${declared} bytes and holds ${op - first}`);
  }
  if (op !== length) throw new Lz4Error(`the frames decode to ${op} bytes, not ${length}`);
  return out;
}

/** Compresses `src[start, end)` as one LZ4 block into `out` at `at`; returns the end, or −1 when it would not fit in `limit`. */
function encodeBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, at: number, limit: number, table: Int32Array): number {
  table.fill(-1);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const read32 = (i: number) => view.getUint32(i, true);
  // A hash of 5 bytes, as the reference encoder's on 64-bit machines: a candidate then tends to share a fifth byte.
  const hash5 = (i: number) => (Math.imul(view.getUint32(i, true), PRIME1) ^ Math.imul(src[i + 4]!, PRIME2)) >>> (32 - HASH_LOG);
  let op = at;
  let anchor = start;
  let ip = start;
  const matchLimit = end - MF_LIMIT;
  const writeLength = (n: number): boolean => {
    for (; n >= 255; n -= 255) {
      if (op >= limit) return false;
      out[op++] = 255;
    }
    if (op >= limit) return false;
    out[op++] = n;
    return true;
  };
  const emit = (literalEnd: number, matchLength: number, offset: number): boolean => {
    const literals = literalEnd - anchor;
    if (op + 1 + literals + (literals >= 15 ? 1 + literals / 255 : 0) + 2 > limit) return false;
    const tokenAt = op++;
    out[tokenAt] = (Math.min(literals, 15) << 4) | (matchLength < 0 ? 0 : Math.min(matchLength - MIN_MATCH, 15));
    if (literals >= 15 && !writeLength(literals - 15)) return false;
    if (literals > 16) out.set(src.subarray(anchor, literalEnd), op);
    else for (let k = 0; k < literals; k++) out[op + k] = src[anchor + k]!;
    op += literals;
    if (matchLength < 0) return true;
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    return matchLength - MIN_MATCH < 15 || writeLength(matchLength - MIN_MATCH - 15);
  };
  // Past a run of misses the search skips ahead faster (the reference's acceleration): data that
  // does not compress is passed over quickly.
  let misses = 1 << 6;
  while (ip < matchLimit) {
    const sequence = read32(ip);
    const hash = hash5(ip);
    const candidate = table[hash]!;
    table[hash] = ip;
    if (candidate < 0 || ip - candidate > 0xffff || read32(candidate) !== sequence) {
      ip += misses++ >> 6;
      continue;
    }
    misses = 1 << 6;
    let length = MIN_MATCH;
    const stop = end - LAST_LITERALS;
    while (ip + length + 4 <= stop && read32(ip + length) === read32(candidate + length)) length += 4;
    while (ip + length < stop && src[ip + length] === src[candidate + length]) length++;
    // The match may begin earlier than the bytes that found it.
    let from = candidate;
    while (ip > anchor && from > start && src[ip - 1] === src[from - 1]) {
      ip--;
      from--;
      length++;
    }
    if (!emit(ip, length, ip - from)) return -1;
    ip += length;
    anchor = ip;
    // As the reference encoder does: remember a position inside the match, for the next one.
    if (ip - 2 < matchLimit) table[hash5(ip - 2)] = ip - 2;
  }
  return emit(end, -1, 0) ? op : -1;
}

/**
 * Compresses bytes as one LZ4 frame of independent 4 MiB blocks, without checksums (as Arrow
 * writers do by default); a block that does not shrink is stored as it is.
 *
 * @example
 * const bytes = new TextEncoder().encode('abcabcabc');
 * decodeLz4Frame(encodeLz4Frame(bytes), bytes.length) // bytes again
 */
export function encodeLz4Frame(src: Uint8Array): Uint8Array {
  const blocks = Math.ceil(src.length / ENCODE_BLOCK);
  const out = new Uint8Array(7 + src.length + blocks * 4 + 4);
  out.set([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70], 0);
  out[6] = (xxh32(out, 4, 6) >>> 8) & 0xff;
  let op = 7;
  const table = new Int32Array(1 << HASH_LOG);
  const view = new DataView(out.buffer);
  for (let start = 0; start < src.length; start += ENCODE_BLOCK) {
    const end = Math.min(src.length, start + ENCODE_BLOCK);
    const raw = end - start;
    const written = encodeBlock(src, start, end, out, op + 4, op + 4 + raw - 1, table);
    if (written < 0) {
      view.setUint32(op, (raw | 0x80000000) >>> 0, true);
      out.set(src.subarray(start, end), op + 4);
      op += 4 + raw;
    } else {
      view.setUint32(op, written - op - 4, true);
      op = written;
    }
  }
  view.setUint32(op, 0, true);
  return out.slice(0, op + 4);
}
