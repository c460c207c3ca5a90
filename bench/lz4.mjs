// npm run bench (bench/lz4.mjs): rxgrad's LZ4 frame codec (TypeScript, streams/codecs/lz4Frame.ts)
// against lz4-napi (the reference C library, a native addon) in the same run, on what Arrow
// compresses: Fashion-MNIST's pixels (uint8) and float32 features, in 5.7 MB buffers (one
// record batch of 7,300 images). Decode and encode throughput, best of 5; both checked equal.
// Writes bench/results/lz4.json and lz4.md.
//
//   node bench/lz4.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { decodeLz4Frame, encodeLz4Frame } from '../dist/streams/codecs/lz4Frame.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const fashion = path.join(root, 'data/fashion-mnist/train.arrow');
const digits = path.join(root, 'data/digits-train.arrow');

/** Fashion-MNIST's pixel bytes when prepared (rxgrad prepare fashion-mnist), else the digits' features repeated. */
function datasets() {
  const sets = [];
  try {
    const table = tableFromIPC(readFileSync(fashion));
    const bytes = new Uint8Array(table.numRows * 784);
    let at = 0;
    for (const data of table.getChild('pixels').data) {
      const values = data.children[0].values.subarray(data.offset * 784, (data.offset + data.length) * 784);
      bytes.set(values, at);
      at += values.length;
    }
    sets.push({ name: 'Fashion-MNIST pixels (uint8)', bytes: bytes.subarray(0, at) });
  } catch {
    // not prepared
  }
  const table = tableFromIPC(readFileSync(digits));
  const features = new Float32Array(1 << 21);
  const source = table.getChild('pixels') ?? table.getChildAt(0);
  const flat = [];
  for (const data of source.data) flat.push(...(data.children[0]?.values ?? data.values));
  for (let i = 0; i < features.length; i++) features[i] = flat[i % flat.length] / 16;
  sets.push({ name: 'digits features as float32', bytes: new Uint8Array(features.buffer) });
  return sets;
}

const CHUNK = 7300 * 784;
const best = (f) => {
  let fastest = Infinity;
  for (let run = 0; run < 5; run++) {
    const started = process.hrtime.bigint();
    f();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e9);
  }
  return fastest;
};

const rows = [];
for (const { name, bytes } of datasets()) {
  const chunks = [];
  for (let at = 0; at < bytes.length; at += CHUNK) chunks.push(bytes.subarray(at, Math.min(bytes.length, at + CHUNK)));
  const reference = chunks.map((c) => new Uint8Array(compressFrameSync(Buffer.from(c.buffer, c.byteOffset, c.byteLength))));
  const ours = chunks.map((c) => encodeLz4Frame(c));
  chunks.forEach((c, i) => {
    if (Buffer.compare(Buffer.from(decodeLz4Frame(reference[i], c.length)), Buffer.from(c)) !== 0)
      throw new Error('our decoder disagrees with lz4-napi');
    if (Buffer.compare(decompressFrameSync(Buffer.from(ours[i])), Buffer.from(c)) !== 0) throw new Error('lz4-napi cannot read our frames');
  });
  const mb = bytes.length / 1e6;
  const decodeOurs = best(() => reference.forEach((f, i) => decodeLz4Frame(f, chunks[i].length)));
  const decodeNapi = best(() => reference.forEach((f) => decompressFrameSync(Buffer.from(f.buffer, f.byteOffset, f.byteLength))));
  const encodeOurs = best(() => chunks.forEach((c) => encodeLz4Frame(c)));
  const encodeNapi = best(() => chunks.forEach((c) => compressFrameSync(Buffer.from(c.buffer, c.byteOffset, c.byteLength))));
  const size = (frames) => frames.reduce((n, f) => n + f.length, 0);
  rows.push({
    data: name,
    megabytes: Number(mb.toFixed(1)),
    decodeMBps: { rxgrad: Math.round(mb / decodeOurs), lz4napi: Math.round(mb / decodeNapi) },
    encodeMBps: { rxgrad: Math.round(mb / encodeOurs), lz4napi: Math.round(mb / encodeNapi) },
    ratio: { rxgrad: Number((bytes.length / size(ours)).toFixed(2)), lz4napi: Number((bytes.length / size(reference)).toFixed(2)) },
  });
}
const out = path.join(root, 'bench/results');
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'lz4.json'), `${JSON.stringify(rows, null, 2)}\n`);
const md = [
  '| data | MB | decode MB/s rxgrad | lz4-napi | encode MB/s rxgrad | lz4-napi | ratio rxgrad | lz4-napi |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.data} | ${r.megabytes} | ${r.decodeMBps.rxgrad} | ${r.decodeMBps.lz4napi} | ${r.encodeMBps.rxgrad} | ${r.encodeMBps.lz4napi} | ${r.ratio.rxgrad} | ${r.ratio.lz4napi} |`,
  ),
];
writeFileSync(path.join(out, 'lz4.md'), `${md.join('\n')}\n`);
console.log(md.join('\n'));
