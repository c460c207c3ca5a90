import path from 'node:path';

/**
 * The names in a study directory (`tune --study`): its settings, the best trial's configuration,
 * the data's digest (on Redis) and the ASHA decision log, and its folders. This module is the one
 * place they are spelled; `tuning/studyStore` reads and writes them.
 *
 * @example
 * import path from 'node:path';
 * path.join('studies/digits', STUDY_FILES.best) // 'studies/digits/best.json'
 */
export const STUDY_FILES = {
  settings: 'study.json',
  best: 'best.json',
  data: 'data.json',
  ashaLog: 'asha-log.json',
  report: 'report.html',
  trials: 'trials',
  rounds: 'rounds',
  suggestions: 'suggestions',
  checkpoints: 'checkpoints',
} as const;

/**
 * A path in the study directory `dir`.
 *
 * @example
 * studyPath('studies/digits', 'best') // 'studies/digits/best.json'
 */
export function studyPath(dir: string, name: keyof typeof STUDY_FILES): string {
  return path.join(dir, STUDY_FILES[name]);
}
