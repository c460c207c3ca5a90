import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';

/** A data file's identity: its size and SHA-256. */
export interface DataDigest {
  readonly size: number;
  readonly sha256: string;
}

/**
 * The size and SHA-256 of a file, read as a stream.
 *
 * @example
 * const { size, sha256 } = await dataDigest('data/digits-train.arrow');
 */
export async function dataDigest(file: string): Promise<DataDigest> {
  const { size } = await fs.stat(file);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return { size, sha256: hash.digest('hex') };
}
