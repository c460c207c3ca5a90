import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TrialRecord } from '../../src/tuning/trial.js';

/** A fresh temporary directory for one test. */
export function tempDir(prefix = 'rxgrad-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Names in a directory that look like leftover temporary files. */
export function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.includes('.tmp-'));
}

export const DIGITS_TRAIN = path.resolve('data/digits-train.arrow');
export const DIGITS_TEST = path.resolve('data/digits-test.arrow');

/** A study directory's trial records, in id order. */
export const studyRecords = (study: string): TrialRecord[] =>
  readdirSync(path.join(study, 'trials'))
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => JSON.parse(readFileSync(path.join(study, 'trials', n), 'utf8')) as TrialRecord);
