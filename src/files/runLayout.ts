import path from 'node:path';

/**
 * The names in a run directory (`train --save`, `babysit --dir`) besides its model: the run's
 * history and its report. This module is the one place they are spelled, with the checkpoint
 * folders' names.
 *
 * @example
 * import path from 'node:path';
 * path.join('runs/a', RUN_FILES.history) // 'runs/a/history.json'
 */
export const RUN_FILES = { history: 'history.json', report: 'report.html' } as const;

/** Checkpoint folders are named by the epochs completed: `epoch-0003/` after the third. */
const EPOCH_FOLDER = /^epoch-(\d{4,})$/;
/** Tuning trials named them `0003/` before rxgrad 0.2; such studies still resume. */
const LEGACY_FOLDER = /^(\d{4})$/;

/**
 * The folder of the checkpoint saved after `epoch` epochs.
 *
 * @example
 * checkpointPath('runs/a', 3); // 'runs/a/epoch-0003'
 */
export function checkpointPath(dir: string, epoch: number): string {
  return path.join(dir, `epoch-${String(epoch).padStart(4, '0')}`);
}

/**
 * The epochs completed of a checkpoint folder's name, or undefined for any other name.
 *
 * @example
 * checkpointEpoch('epoch-0003') // 3
 */
export function checkpointEpoch(name: string): number | undefined {
  const match = EPOCH_FOLDER.exec(name) ?? LEGACY_FOLDER.exec(name);
  return match ? Number(match[1]) : undefined;
}
