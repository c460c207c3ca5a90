import { runReportBody } from '../report/runReport.js';
import { controlFromJson } from '../training/babysitControls.js';
import type { BabysitControl } from '../training/babysitLoop.js';
import type { RunHistory } from '../training/runHistory.js';
import { type DashboardOptions, startDashboard } from './server.js';

/** A babysat run's live view: its address, what it is told of the run, and its end. */
export interface BabysitDashboard {
  readonly url: string;
  /** Show this history (what `babysit`'s `onHistory` gives). */
  history(history: RunHistory): void;
  /** Say the run has ended (`message`, e.g. where its report is), let open pages show its final state, and stop serving. */
  close(message?: string): Promise<void>;
}

/**
 * The live view of a babysat run in `dir`: the run's report, redrawn at every saved history, with
 * a button for each of `BABYSIT_CONTROLS`; a control from the page is checked and handed to
 * `send` (what `babysit` reads as its `controls`), one that fails the check is answered.
 *
 * @example
 * const controls = new Subject<BabysitControl>();
 * const live = await startBabysitDashboard('runs/a', { port: 0 }, (c) => controls.next(c));
 * babysit({ data: 'train.arrow', config, dir: 'runs/a', controls, onHistory: (h) => live.history(h) }).subscribe();
 */
export async function startBabysitDashboard(
  dir: string,
  where: DashboardOptions,
  send: (control: BabysitControl) => void,
): Promise<BabysitDashboard> {
  let latest: RunHistory | undefined;
  const dashboard = await startDashboard(
    {
      title: `Babysitting ${dir}`,
      body: () => (latest ? runReportBody(latest) : '<p class="summary">Waiting for the first epoch…</p>'),
      control: (json) => {
        const control = controlFromJson(json);
        if (typeof control === 'string') return control;
        send(control);
        return `${control.type} sent`;
      },
    },
    where,
  );
  return {
    url: dashboard.url,
    history(history) {
      latest = history;
      const epoch = history.epochs.at(-1);
      dashboard.notify(epoch ? `epoch ${epoch.epoch} trained` : 'started');
    },
    async close(ending = 'the run has ended') {
      dashboard.end(ending);
      await dashboard.close();
    },
  };
}
