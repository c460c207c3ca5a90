import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The names in a model directory (`train --save`, each checkpoint): its index, which names the
 * weights file; the weights file of models saved before format 3; the lock of a saving process.
 * This module is the one place they are spelled.
 *
 * @example
 * import path from 'node:path';
 * path.join('models/digits', MODEL_FILES.index) // 'models/digits/model.json'
 */
export const MODEL_FILES = { index: 'model.json', legacyWeights: 'weights.bin', lock: 'save.lock' } as const;

/**
 * The index file of the model in `dir`.
 *
 * @example
 * modelIndexFile('runs/a/epoch-0003') // 'runs/a/epoch-0003/model.json'
 */
export function modelIndexFile(dir: string): string {
  return path.join(dir, MODEL_FILES.index);
}

/**
 * Whether `dir` holds a saved model (its index was written: a save writes it last).
 *
 * @example
 * hasModel('models/digits') // true after train --save models/digits
 */
export function hasModel(dir: string): boolean {
  return existsSync(modelIndexFile(dir));
}
