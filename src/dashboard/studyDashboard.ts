import { escapeHtml } from '../report/format.js';
import { studyReportBody } from '../report/studyReport.js';
import { readStudyInput } from '../report/writeReport.js';
import type { StudyEvent } from '../tuning/study.js';
import { type DashboardOptions, startDashboard } from './server.js';

/** A study's live view: its address, what it is told of the study, and its end. */
export interface StudyDashboard {
  readonly url: string;
  /** Tell it of one event of `runStudy`. */
  observe(event: StudyEvent): void;
  /** Say the study has ended (`message`, e.g. where its report is), let open pages show its final state, and stop serving. */
  close(message?: string): Promise<void>;
}

/**
 * The live view of a study in `dir`: the report's views of the records so far, and the running
 * trials' latest epochs; the pages are told at most twice a second that there is something new.
 *
 * @example
 * import { finalize, tap } from 'rxjs';
 * const live = await startStudyDashboard('studies/a', { port: 0 });
 * runStudy({ dir: 'studies/a', space: defaultSearchSpace(), settings, trials: 20 })
 *   .pipe(tap((e) => live.observe(e)), finalize(() => live.close()))
 *   .subscribe();
 */
export async function startStudyDashboard(dir: string, where: DashboardOptions): Promise<StudyDashboard> {
  const running = new Map<string, string>();
  const body = async () => {
    const now =
      running.size > 0
        ? `<p class="summary" id="running">Running: ${[...running.entries()].map(([id, line]) => escapeHtml(`${id} ${line}`)).join('; ')}</p>`
        : '';
    try {
      return now + studyReportBody(await readStudyInput(dir));
    } catch {
      return `${now}<p class="summary">Waiting for the first trial to finish…</p>`;
    }
  };
  const dashboard = await startDashboard({ title: `Study ${dir}`, body }, where);
  let timer: NodeJS.Timeout | undefined;
  let message = '';
  const soon = (text: string) => {
    message = text;
    timer ??= setTimeout(() => {
      timer = undefined;
      dashboard.notify(message);
    }, 500);
  };
  return {
    url: dashboard.url,
    observe(event) {
      if (event.type === 'trial-start') running.set(event.trial, 'starting');
      else if (event.type === 'epoch') {
        running.set(event.trial, `epoch ${event.epoch}, validation accuracy ${event.validationAccuracy.toFixed(4)}`);
        soon(`${event.trial}: epoch ${event.epoch}`);
      } else if (event.type === 'trial-end') {
        running.delete(event.record.id);
        soon(`${event.record.id} ${event.record.status}`);
      }
    },
    async close(ending = 'the study has ended') {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      running.clear();
      dashboard.end(ending);
      await dashboard.close();
    },
  };
}
