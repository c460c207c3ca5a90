import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { StudyError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../files/atomicFiles.js';
import { hasModel } from '../files/modelLayout.js';
import { fileHead, outputProblem } from '../files/outputGuard.js';
import { RUN_FILES } from '../files/runLayout.js';
import { STUDY_FILES } from '../files/studyLayout.js';
import { listCheckpoints } from '../training/checkpoints.js';
import { HISTORY_FILE, readRunHistory } from '../training/runHistory.js';
import { parseSearchSpace } from '../tuning/space.js';
import { STUDY_FILE, studyStore } from '../tuning/studyStore.js';
import { GENERATOR_META, reportPage } from './page.js';
import { runReportBody } from './runReport.js';
import { type StudyInput, type StudyReportOptions, studyReportBody } from './studyReport.js';

/** What a directory holds, for a report: a study, a run, or neither (with why). */
export type ReportSource = { readonly kind: 'study'; readonly dir: string } | { readonly kind: 'run'; readonly dir: string };

/**
 * Whether `dir` is a study (`study.json`) or a run (`history.json`, from `train --save` or
 * `babysit`); anything else is a `StudyError` that says what was expected.
 *
 * @example
 * (await reportSource('studies/digits')).kind // 'study'
 */
export async function reportSource(dir: string): Promise<ReportSource> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory())
    throw new StudyError(`${dir}: no such directory (expected a study from rxgrad tune, or a run from train --save or babysit)`);
  if (studyStore(dir).exists()) return { kind: 'study', dir };
  if (existsSync(path.join(dir, HISTORY_FILE))) return { kind: 'run', dir };
  if (hasModel(dir) || (await listCheckpoints(dir)).length > 0) {
    throw new StudyError(
      `${dir}: a model or run without a ${HISTORY_FILE}: it was saved by an older rxgrad, which kept no per-epoch history; train it again (or resume it) with this version to report on it`,
    );
  }
  throw new StudyError(
    `${dir}: neither a study (no ${STUDY_FILES.settings}) nor a run (no ${HISTORY_FILE}); give a directory written by rxgrad tune --study, train --save or babysit --dir`,
  );
}

/**
 * Reads a study directory into what its report draws; a study with no finished trial is an error.
 *
 * @example
 * const input = await readStudyInput('studies/digits');
 */
export async function readStudyInput(dir: string): Promise<StudyInput> {
  const store = studyStore(dir);
  const { space, settings } = await store.readStudy();
  const records = await store.readRecords();
  if (records.length === 0)
    throw new StudyError(
      `${dir}: the study has no finished trial yet; report on it once one has finished (or watch it live with tune --dashboard)`,
    );
  return { space: parseSearchSpace(space, path.join(dir, STUDY_FILE)), settings, records, rounds: await store.readRounds() };
}

/**
 * The HTML report of a run or a study directory: one self-contained page.
 *
 * @example
 * const html = await renderReport('studies/digits');
 */
export async function renderReport(dir: string, options: StudyReportOptions = {}): Promise<string> {
  const source = await reportSource(dir);
  if (source.kind === 'study') return reportPage(`Study ${dir}`, studyReportBody(await readStudyInput(dir), options));
  const history = await readRunHistory(dir);
  return reportPage(`${history.kind === 'babysit' ? 'Babysat run' : 'Training run'} ${dir}`, runReportBody(history));
}

/**
 * Whether `file` is an HTML report rxgrad wrote (its generator mark is in its head): what a
 * report replaces without `force`.
 *
 * @example
 * await isReportFile('studies/digits/report.html'); // true
 */
export async function isReportFile(file: string): Promise<boolean> {
  const head = await fileHead(file, 4096).catch(() => undefined);
  return head?.toString('utf8').includes(GENERATOR_META) ?? false;
}

/**
 * Writes the report of `dir` to `out` (default `dir/report.html`) through a temporary file, so a
 * failure leaves no half-written report. `out` is checked first (`outputProblem`): never a file
 * of a model, run or study (but `dir/report.html`), and an existing file that is not an rxgrad
 * report only with `force`; a refusal is a `UsageError` and writes nothing.
 *
 * @example
 * await writeReport('studies/digits', 'studies/digits/report.html');
 */
export async function writeReport(
  dir: string,
  out = path.join(dir, RUN_FILES.report),
  options: StudyReportOptions & { readonly force?: boolean | undefined } = {},
): Promise<{ readonly file: string; readonly bytes: number }> {
  const problem = await outputProblem(out, {
    kind: 'a report',
    inputs: [dir],
    isOwnKind: isReportFile,
    force: options.force,
    allowed: path.join(dir, RUN_FILES.report),
  });
  if (problem) throw new UsageError(`--out ${out}: ${problem}`);
  const html = await renderReport(dir, options);
  await writeFileAtomic(out, html);
  return { file: out, bytes: Buffer.byteLength(html) };
}
