import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { DataError } from '../errors.js';

/** A data file's identity: its size and SHA-256. */
export interface DataDigest {
  readonly size: number;
  readonly sha256: string;
}

/**
 * The size and SHA-256 of a file, read as a stream. Only a regular file is read: a job may name
 * any path, and a device or a pipe (`/dev/zero`) would never end.
 *
 * @example
 * const { size, sha256 } = await dataDigest('data/digits-train.arrow');
 */
export async function dataDigest(file: string): Promise<DataDigest> {
  const stat = await fs.stat(file);
  if (!stat.isFile()) throw new DataError("not a regular file; a training file is read whole to check it is the study's", { file });
  const { size } = stat;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return { size, sha256: hash.digest('hex') };
}
