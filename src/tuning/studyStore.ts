import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import { StudyError } from '../errors.js';
import { writeFileAtomic } from '../files/atomicFiles.js';
import { isSafeName, pathInside, safeName } from '../files/safePaths.js';
import { STUDY_FILES } from '../files/studyLayout.js';
import type { UnitBox } from './samplers.js';
import type { Params } from './space.js';
import type { StudySettings } from './study.js';
import { lockStudy, type StudyLock } from './studyLock.js';
import type { TrialRecord } from './trial.js';

/**
 * The study directory, the one module that knows its layout:
 *
 * ```
 * study.json            the space and settings (what makes the study this study)
 * study.lock            the process running it
 * trials/ID.json        one record per finished trial
 * rounds/R.json         each coarse-to-fine round's size and box, fixed when it begins
 * suggestions/ID.json   TPE's point for a trial that has begun but not finished
 * checkpoints/ID/       a running (or interrupted) trial's checkpoints
 * best.json             the best trial's configuration, for train --config
 * ```
 *
 * Every read checks what it reads and names the file when it is not what rxgrad wrote; every
 * write goes to a temporary file renamed into place.
 */
export const STUDY_FILE = STUDY_FILES.settings;

/** A coarse-to-fine round as `rounds/R.json` records it. */
export interface RoundRecord {
  readonly round: number;
  readonly count: number;
  readonly box: UnitBox;
}

/** A trial whose point was chosen before it began: a planned sampler's, or TPE's suggestion. */
export interface PlannedTrial {
  readonly id: string;
  readonly round: number;
  readonly params: Params;
  readonly unit: number[];
}

/** What `study.json` holds. */
export interface StudyDocument {
  /**
   * The study's random id (16 hex digits), made when it is created: what names its jobs and keys
   * in Redis, so that a new study in the same folder never meets an old one's. Studies from
   * before it had one have `studyId`'s fallback.
   */
  readonly id?: string;
  readonly space: unknown;
  readonly settings: StudySettings;
}

/**
 * A new study's id: 64 random bits as 16 hex digits.
 *
 * @example
 * newStudyId() // "9f2c61d0b8e4a7f3"
 */
export function newStudyId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * The id of the study in `dir`: `study.json`'s, or for a study made before ids, a hash of its
 * folder's absolute path (what named its Redis keys then).
 *
 * @example
 * studyId(await readStudy('studies/a'), 'studies/a') // "9f2c61d0b8e4a7f3"
 */
export function studyId(document: StudyDocument, dir: string): string {
  if (document.id !== undefined) {
    if (!/^[0-9a-f]{16}$/.test(document.id))
      throw new StudyError(
        `${path.join(dir, STUDY_FILE)}: its id ${JSON.stringify(String(document.id).slice(0, 40))} is not 16 hex digits; the study was not changed`,
      );
    return document.id;
  }
  return createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16);
}

/** A study directory's reads and writes (see `STUDY_FILE` for its layout). */
export interface StudyStore {
  readonly dir: string;
  /** Whether the directory holds a study yet. */
  exists(): boolean;
  readStudy(): Promise<StudyDocument>;
  /** Writes `study.json` (and the folders a study needs). */
  create(document: StudyDocument): Promise<void>;
  /** Holds the study for this process until released. */
  lock(): Promise<StudyLock>;
  /** Temporary files left by a process killed mid-write. */
  removeTemporaries(): Promise<void>;
  readRecords(): Promise<TrialRecord[]>;
  /** Records a finished trial, then drops what it needed while running (its checkpoints, its suggestion). */
  writeRecord(record: TrialRecord): Promise<void>;
  /** Every round begun so far, in order. */
  readRounds(): Promise<RoundRecord[]>;
  writeRound(round: RoundRecord): Promise<void>;
  /** Suggestions of trials that have no record (a suggestion whose trial finished is removed). */
  readSuggestions(): Promise<Map<string, PlannedTrial>>;
  writeSuggestion(trial: PlannedTrial): Promise<void>;
  /** Where a trial keeps its checkpoints while it runs. */
  checkpointDir(trial: string): string;
  /** Trials with a checkpoint folder: running, or interrupted. */
  checkpointed(): Promise<string[]>;
  removeCheckpoints(trial: string): Promise<void>;
  writeBest(document: unknown): Promise<void>;
  /** Removes what `create` wrote, when no trial has run yet (nothing else is there); whether it did. */
  discardUnstarted(): Promise<boolean>;
}

/** Parses a study file, naming it when it is not JSON. */
function readJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new StudyError(`${file}: not valid JSON (${(cause as Error).message}); the study was not changed`, { cause });
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumberList = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v));
const writeJson = (file: string, value: unknown) => writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);

async function jsonFiles(folder: string): Promise<string[]> {
  return existsSync(folder) ? (await fs.readdir(folder)).filter((n) => n.endsWith('.json')).sort() : [];
}

/**
 * The study in `dir`, read and written through one seam: `runStudy`, `rxgrad study` and the study
 * report all go through it.
 *
 * @example
 * const store = studyStore('studies/digits');
 * const records = await store.readRecords();
 */
export function studyStore(dir: string): StudyStore {
  const file = (...parts: string[]) => path.join(dir, ...parts);
  // A trial id may come from a worker on another machine or a file: it names a path only through
  // pathInside, which refuses anything that would leave the study's folders.
  const trialFile = (folder: typeof STUDY_FILES.trials | typeof STUDY_FILES.suggestions, id: unknown) =>
    pathInside(file(folder), `${safeName(id, 'trial id')}.json`, 'trial id');
  const checkpointsOf = (trial: string) => pathInside(file(STUDY_FILES.checkpoints), trial, 'trial id');
  const suggestionFile = (id: string) => trialFile(STUDY_FILES.suggestions, id);
  return {
    dir,
    exists: () => existsSync(file(STUDY_FILE)),
    async readStudy() {
      const where = file(STUDY_FILE);
      let text: string;
      try {
        text = await fs.readFile(where, 'utf8');
      } catch {
        throw new StudyError(`${dir}: not a study directory (no ${STUDY_FILE})`);
      }
      const document = readJson(where, text);
      if (!isObject(document) || document.format !== 'rxgrad-study' || !isObject(document.settings))
        throw new StudyError(`${where}: not an rxgrad study`);
      return document as unknown as StudyDocument;
    },
    async create(document) {
      await fs.mkdir(file(STUDY_FILES.trials), { recursive: true });
      await writeJson(file(STUDY_FILE), { format: 'rxgrad-study', version: 1, ...document });
    },
    lock: () => lockStudy(dir),
    async removeTemporaries() {
      for (const folder of [dir, file(STUDY_FILES.trials), file(STUDY_FILES.rounds), file(STUDY_FILES.suggestions)]) {
        if (!existsSync(folder)) continue;
        for (const name of await fs.readdir(folder))
          if (/\.tmp-\d+-[0-9a-f]+$/.test(name)) await fs.rm(path.join(folder, name), { force: true });
      }
    },
    async readRecords() {
      return Promise.all(
        (await jsonFiles(file(STUDY_FILES.trials))).map(async (n) => {
          const where = file(STUDY_FILES.trials, n);
          const record = readJson(where, await fs.readFile(where, 'utf8'));
          if (
            !isObject(record) ||
            typeof record.id !== 'string' ||
            !['completed', 'pruned', 'failed'].includes(record.status as string) ||
            !Array.isArray(record.curve)
          ) {
            throw new StudyError(`${where}: not a trial record (expected an id, a status and a curve)`);
          }
          if (!isSafeName(record.id) || `${record.id}.json` !== n)
            throw new StudyError(`${where}: not a trial record (its id ${JSON.stringify(record.id.slice(0, 80))} is not its file's name)`);
          return record as unknown as TrialRecord;
        }),
      );
    },
    async writeRecord(record) {
      const where = trialFile(STUDY_FILES.trials, record.id);
      const checkpoints = checkpointsOf(record.id);
      await writeJson(where, record);
      await fs.rm(checkpoints, { recursive: true, force: true });
      await fs.rm(suggestionFile(record.id), { force: true });
    },
    async readRounds() {
      const rounds: RoundRecord[] = [];
      for (const name of await jsonFiles(file(STUDY_FILES.rounds))) {
        const match = /^(\d+)\.json$/.exec(name);
        if (!match) continue;
        const where = file(STUDY_FILES.rounds, name);
        const round = readJson(where, await fs.readFile(where, 'utf8'));
        const count = isObject(round) ? round.count : undefined;
        if (typeof count !== 'number' || !Number.isInteger(count) || count < 1)
          throw new StudyError(`${where}: not a round record (expected a positive integer count)`);
        const box = (round as Record<string, unknown>).box;
        if (!isObject(box) || !isNumberList(box.low) || !isNumberList(box.high) || box.low.length !== box.high.length)
          throw new StudyError(`${where}: not a round record (expected a box)`);
        rounds.push({ round: Number(match[1]), count, box: { low: box.low, high: box.high } });
      }
      return rounds.sort((a, b) => a.round - b.round);
    },
    async writeRound(round) {
      await fs.mkdir(file(STUDY_FILES.rounds), { recursive: true });
      await writeJson(file(STUDY_FILES.rounds, `${round.round}.json`), round);
    },
    async readSuggestions() {
      const suggestions = new Map<string, PlannedTrial>();
      for (const name of await jsonFiles(file(STUDY_FILES.suggestions))) {
        const where = file(STUDY_FILES.suggestions, name);
        const t = readJson(where, await fs.readFile(where, 'utf8'));
        if (!isObject(t) || typeof t.id !== 'string' || !isNumberList(t.unit) || !isObject(t.params) || typeof t.round !== 'number') {
          throw new StudyError(`${where}: not a suggestion (expected an id, a round, params and unit coordinates)`);
        }
        if (existsSync(trialFile(STUDY_FILES.trials, t.id))) await fs.rm(where, { force: true });
        else suggestions.set(t.id, t as unknown as PlannedTrial);
      }
      return suggestions;
    },
    async writeSuggestion(trial) {
      await fs.mkdir(file(STUDY_FILES.suggestions), { recursive: true });
      await writeJson(suggestionFile(trial.id), trial);
    },
    checkpointDir: checkpointsOf,
    async checkpointed() {
      return existsSync(file(STUDY_FILES.checkpoints)) ? (await fs.readdir(file(STUDY_FILES.checkpoints))).filter(isSafeName).sort() : [];
    },
    removeCheckpoints: async (trial) => fs.rm(checkpointsOf(trial), { recursive: true, force: true }),
    writeBest: (document) => writeJson(file(STUDY_FILES.best), document),
    async discardUnstarted() {
      const folders = [STUDY_FILES.trials, STUDY_FILES.rounds, STUDY_FILES.suggestions, STUDY_FILES.checkpoints].map((folder) =>
        file(folder),
      );
      if (folders.some((folder) => existsSync(folder) && readdirSync(folder).length > 0)) return false;
      for (const folder of folders) await fs.rm(folder, { recursive: true, force: true });
      await fs.rm(file(STUDY_FILE), { force: true });
      return true;
    },
  };
}

/**
 * Reads a study directory's finished trial records.
 *
 * @example
 * const summary = summarizeStudy(await readTrialRecords('studies/digits'));
 */
export function readTrialRecords(dir: string): Promise<TrialRecord[]> {
  return studyStore(dir).readRecords();
}

/**
 * Reads a study's space and settings.
 *
 * @example
 * const { space, settings } = await readStudy('studies/digits');
 */
export function readStudy(dir: string): Promise<StudyDocument> {
  return studyStore(dir).readStudy();
}
