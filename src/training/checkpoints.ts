import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { hasModel, modelIndexFile } from '../files/modelLayout.js';
import { checkpointEpoch, checkpointPath } from '../files/runLayout.js';
import { type ModelBundle, saveModel } from '../files/serialization.js';

export { checkpointPath };

/** A complete checkpoint: where it is and the epochs completed when it was saved. */
export interface Checkpoint {
  readonly path: string;
  readonly epoch: number;
}

/**
 * The complete checkpoints in `dir` (those whose model.json was written), oldest first. A folder
 * is written whole before it appears, so a kill at any moment leaves complete ones only.
 *
 * @example
 * const all = await listCheckpoints('runs/a'); // [{ path: 'runs/a/epoch-0001', epoch: 1 }, …]
 */
export async function listCheckpoints(dir: string): Promise<Checkpoint[]> {
  if (!existsSync(dir)) return [];
  return (await fs.readdir(dir))
    .map((name) => {
      const epoch = checkpointEpoch(name);
      return epoch !== undefined && hasModel(path.join(dir, name)) ? { path: path.join(dir, name), epoch } : undefined;
    })
    .filter((c): c is Checkpoint => c !== undefined)
    .sort((a, b) => a.epoch - b.epoch);
}

/**
 * The newest complete checkpoint in `dir`, or undefined.
 *
 * @example
 * const latest = await latestCheckpoint('study/checkpoints/r0-004');
 */
export async function latestCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  return (await listCheckpoints(dir)).at(-1);
}

/**
 * Saves the checkpoint of `epoch` (epochs completed) into its own folder of `dir`. With a number
 * for `keep`, only that many of the newest checkpoints stay once the new one is whole (older ones
 * and any other leftovers are removed: 2 keeps one to fall back on if the newest is damaged); with
 * `keep: 'all'` (for rollbacks) every one stays.
 *
 * @example
 * await saveCheckpoint('runs/a', 3, { network, optimizer, progress }, { keep: 'all' });
 */
export async function saveCheckpoint(
  dir: string,
  epoch: number,
  bundle: ModelBundle,
  options: { readonly keep: 'all' | number },
): Promise<string> {
  const target = checkpointPath(dir, epoch);
  await saveModel(target, bundle);
  if (options.keep !== 'all') {
    const kept = new Set((await listCheckpoints(dir)).slice(-options.keep).map((c) => path.basename(c.path)));
    kept.add(path.basename(target));
    for (const entry of await fs.readdir(dir)) {
      if (!kept.has(entry)) await fs.rm(path.join(dir, entry), { recursive: true, force: true });
    }
  }
  return target;
}

/**
 * Removes the checkpoints of `dir` but the `newest` few and those of the epochs in `protect` (a
 * babysat run's best epoch, the epochs it rolled back to). Only checkpoint directories go: the
 * run's history and anything set aside stay.
 *
 * @example
 * await pruneCheckpoints('runs/a', 20, [bestEpoch]);
 */
export async function pruneCheckpoints(dir: string, newest: number, protect: Iterable<number> = []): Promise<void> {
  const checkpoints = await listCheckpoints(dir);
  const kept = new Set([...checkpoints.slice(-newest).map((c) => c.epoch), ...protect]);
  for (const checkpoint of checkpoints) {
    if (!kept.has(checkpoint.epoch)) await fs.rm(checkpoint.path, { recursive: true, force: true });
  }
}

/**
 * The notes saved with a checkpoint (a trial's learning curve and its pruning decision), read
 * from its model.json alone; undefined when they cannot be read.
 *
 * @example
 * const notes = await checkpointNotes('study/checkpoints/r0-004/epoch-0003');
 */
export async function checkpointNotes(checkpoint: string): Promise<Readonly<Record<string, unknown>> | undefined> {
  try {
    const document = JSON.parse(await fs.readFile(modelIndexFile(checkpoint), 'utf8')) as { notes?: unknown };
    return typeof document.notes === 'object' && document.notes !== null ? (document.notes as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Moves the checkpoints after `epoch` into a folder of their own, `abandoned-<n>/` (n counts up
 * from 1), so that a run rolled back to `epoch` retrains from there without overwriting them, and a
 * resume continues the branch that was chosen. Returns that folder, or undefined when there was
 * nothing after `epoch`.
 *
 * @example
 * await setAsideAfter('runs/a', 2); // 'runs/a/abandoned-1', holding epoch-0003/ and epoch-0004/
 */
export async function setAsideAfter(dir: string, epoch: number): Promise<string | undefined> {
  const later = (await listCheckpoints(dir)).filter((c) => c.epoch > epoch);
  if (later.length === 0) return undefined;
  const taken = new Set(await fs.readdir(dir));
  let n = 1;
  while (taken.has(`abandoned-${n}`)) n++;
  const aside = path.join(dir, `abandoned-${n}`);
  await fs.mkdir(aside);
  for (const checkpoint of later) await fs.rename(checkpoint.path, path.join(aside, path.basename(checkpoint.path)));
  return aside;
}
