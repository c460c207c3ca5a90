import { classificationScores } from '../model/metrics.js';
import { type Schedule, scheduleText } from '../model/schedule.js';
import type { HistoryEpoch, RunHistory } from '../training/runHistory.js';
import { axis, type ChartSpec, GRID, renderChart } from './charts.js';
import { escapeHtml, readableNumber } from './format.js';

/** One line of a run chart: a metric along one branch. */
export interface RunSeries {
  readonly name: string;
  readonly branch: number;
  /** Whether a later rollback abandoned this branch's epochs after the point it went back to. */
  readonly abandoned: boolean;
  readonly points: readonly (readonly [number, number])[];
}

/** What a run report draws, computed from the history alone (and tested against it). */
export interface RunReportData {
  readonly kind: RunHistory['kind'];
  readonly loss: readonly RunSeries[];
  readonly accuracy: readonly RunSeries[];
  readonly learningRate: readonly RunSeries[];
  /** Epochs where a control changed the run (babysit): learning rate, pause, rollback… */
  readonly controls: readonly { readonly epoch: number; readonly label: string }[];
  readonly confusion?: RunHistory['confusion'];
  readonly classNames: readonly string[];
}

/**
 * The series of a run report: per branch, training and validation loss and accuracy and the
 * learning rate per epoch. A branch that a rollback left is drawn as far as it went, marked
 * abandoned, beside the branch that replaced it; nothing is overwritten.
 *
 * @example
 * runReportData(await readRunHistory('runs/a')).loss[0]?.points // [[1, 0.41], [2, 0.22], …]
 */
export function runReportData(history: RunHistory): RunReportData {
  const branches = history.branches.map((b) => b.id);
  const byBranch = (branch: number) => history.epochs.filter((e) => e.branch === branch);
  // A branch is abandoned when a later branch starts before its last epoch.
  const abandoned = (branch: number) => history.branches.some((b) => b.id > branch && byBranch(branch).some((e) => e.epoch > b.from));
  const series = (name: string, value: (e: HistoryEpoch) => number | undefined): RunSeries[] =>
    branches
      .map((branch) => {
        const points = byBranch(branch)
          .map((e) => [e.epoch, value(e)] as const)
          .filter((p): p is readonly [number, number] => p[1] !== undefined && Number.isFinite(p[1]));
        return { name: branch === 0 ? name : `${name} (branch ${branch})`, branch, abandoned: abandoned(branch), points };
      })
      .filter((s) => s.points.length > 0);
  const classes = history.confusion?.matrix.length ?? 0;
  // The per-epoch evaluation is of the validation data, or of the test file when that is all there was.
  const judged = history.data.validation === undefined && history.data.test !== undefined ? 'test' : 'validation';
  return {
    kind: history.kind,
    loss: [...series('training', (e) => e.trainLoss), ...series(judged, (e) => e.validationLoss)],
    accuracy: [...series('training', (e) => e.trainAccuracy), ...series(judged, (e) => e.validationAccuracy)],
    learningRate: series('learning rate', (e) => e.learningRate),
    controls: history.controls.map((c) => ({ epoch: c.epoch, label: controlLabel(c.control) })),
    ...(history.confusion ? { confusion: history.confusion } : {}),
    classNames: history.classNames ?? Array.from({ length: classes }, (_, i) => String(i)),
  };
}

function controlLabel(control: Readonly<Record<string, unknown>>): string {
  const type = String(control.type);
  if (type === 'learningRate') return `lr ${readableNumber(Number(control.value))}${control.resumed ? ' (resumed)' : ''}`;
  if (type === 'rollback') return `rollback to ${String(control.epoch)}`;
  return type;
}

function lineChart(
  id: string,
  title: string,
  yName: string,
  lines: readonly RunSeries[],
  scale: 'value' | 'log',
  controls: RunReportData['controls'] = [],
): ChartSpec {
  return {
    id,
    title,
    xScale: 'value',
    yScale: scale,
    option: {
      grid: GRID,
      legend: { top: 0, type: 'scroll' },
      xAxis: axis('epoch', 'value', { minInterval: 1 }),
      yAxis: axis(yName, scale),
      series: lines.map((s, i) => ({
        type: 'line',
        name: s.name,
        data: s.points.map((p) => [...p]),
        showSymbol: s.points.length <= 30,
        symbolSize: 4,
        lineStyle: { width: 2, type: s.abandoned ? 'dashed' : 'solid', opacity: s.abandoned ? 0.6 : 1 },
        ...(i === 0 && controls.length > 0
          ? {
              markLine: {
                symbol: 'none',
                silent: true,
                label: { formatter: '{b}', fontSize: 10 },
                lineStyle: { type: 'dotted', color: '#888' },
                data: controls.map((c) => ({ xAxis: c.epoch, name: c.label })),
              },
            }
          : {}),
      })),
    },
  };
}

function confusionChart(data: RunReportData): ChartSpec | undefined {
  const confusion = data.confusion;
  if (!confusion) return undefined;
  const names = data.classNames.length === confusion.matrix.length ? data.classNames : confusion.matrix.map((_, i) => String(i));
  const cells = confusion.matrix.flatMap((row, actual) => row.map((count, predicted) => [predicted, actual, count]));
  const most = Math.max(1, ...cells.map((c) => c[2]!));
  const size = Math.min(640, 120 + 36 * names.length);
  return {
    id: 'confusion',
    title: `Confusion matrix, ${confusion.set} set after epoch ${confusion.epoch}`,
    caption: 'Rows: the actual class; columns: the predicted class; the count in each cell.',
    xScale: 'category',
    yScale: 'category',
    width: size + 80,
    height: size,
    option: {
      grid: { left: 80, right: 24, top: 24, bottom: 56 },
      xAxis: { type: 'category', data: [...names], name: 'predicted', nameLocation: 'middle', nameGap: 34, splitArea: { show: true } },
      yAxis: {
        type: 'category',
        data: [...names],
        name: 'actual',
        nameLocation: 'middle',
        nameGap: 56,
        inverse: true,
        splitArea: { show: true },
      },
      visualMap: { min: 0, max: most, show: false, inRange: { color: ['#f4f7fb', '#2f6fb0'] } },
      series: [{ type: 'heatmap', data: cells, label: { show: names.length <= 20, fontSize: 10 } }],
    },
  };
}

/** Each class's precision, recall, F1 and support on the set the confusion matrix is of, with the averages and (two classes) ROC-AUC. */
function scoreTable(data: RunReportData): string {
  const confusion = data.confusion;
  if (!confusion) return '';
  const scores = classificationScores(confusion.matrix);
  const names = data.classNames.length === confusion.matrix.length ? data.classNames : confusion.matrix.map((_, i) => String(i));
  const row = (name: string, c: { precision: number; recall: number; f1: number; support: number }) =>
    `<tr><th>${escapeHtml(name)}</th>${[c.precision, c.recall, c.f1].map((v) => `<td>${v.toFixed(4)}</td>`).join('')}<td>${c.support}</td></tr>`;
  const auc =
    confusion.rocAuc === undefined ? '' : `<p>ROC-AUC ${confusion.rocAuc.toFixed(4)} (the second class's probability as the score).</p>`;
  return [
    `<div><h2>Per-class scores, ${confusion.set} set after epoch ${confusion.epoch}</h2>`,
    '<table class="scores"><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>',
    ...scores.perClass.map((c, i) => row(names[i]!, c)),
    row('macro avg', scores.macro),
    row('weighted avg', scores.weighted),
    `</table>${auc}</div>`,
  ].join('');
}

/**
 * The body of a run report: learning curves, the learning rate, the confusion matrix with each
 * class's precision, recall and F1, and the model's architecture and configuration.
 *
 * @example
 * const html = runReportBody(await readRunHistory('runs/a'));
 */
export function runReportBody(history: RunHistory): string {
  const data = runReportData(history);
  const charts: ChartSpec[] = [
    lineChart('loss', 'Loss per epoch', 'mean cross-entropy', data.loss, 'value', data.controls),
    lineChart('accuracy', 'Accuracy per epoch', 'accuracy', data.accuracy, 'value', data.controls),
    lineChart('learning-rate', 'Learning rate per epoch', 'learning rate', data.learningRate, 'log', data.controls),
  ];
  const confusion = confusionChart(data);
  if (confusion) charts.push(confusion);
  const last = history.epochs.at(-1);
  const summary = last
    ? `${history.epochs.length} epochs recorded${history.branches.length > 1 ? ` over ${history.branches.length} branches (rollbacks keep the abandoned epochs, dashed)` : ''}; last: training loss ${readableNumber(last.trainLoss)}, accuracy ${readableNumber(last.trainAccuracy)}${last.validationAccuracy !== undefined ? `, validation accuracy ${readableNumber(last.validationAccuracy)}` : ''}.`
    : 'No epoch recorded yet.';
  const layers = history.network.layers
    .map((l) => {
      const fields = Object.entries(l)
        .filter(([k]) => k !== 'type')
        .map(([k, v]) => `${k} ${typeof v === 'number' ? readableNumber(v) : String(v)}`);
      return `<li>${escapeHtml(l.type)}${fields.length ? ` (${escapeHtml(fields.join(', '))})` : ''}</li>`;
    })
    .join('');
  const config = Object.entries(history.config)
    .filter(([, v]) => v !== undefined)
    .map(
      ([k, v]) =>
        `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(k === 'lrDecay' && typeof v === 'object' ? scheduleText(v as Schedule) : typeof v === 'number' ? readableNumber(v) : typeof v === 'string' ? v : JSON.stringify(v))}</td></tr>`,
    )
    .join('');
  const data$ = Object.entries(history.data)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
    .join('');
  return [
    `<p class="summary">${escapeHtml(summary)}</p>`,
    `<section class="charts">${charts.map(renderChart).join('')}</section>`,
    `<section class="tables"><div><h2>Architecture</h2><ol class="layers">${layers}</ol><p>${history.network.inputSize} inputs, ${history.network.classes} classes.</p></div>`,
    `<div><h2>Configuration</h2><table>${config}</table></div><div><h2>Data</h2><table>${data$}</table></div>${scoreTable(data)}</section>`,
  ].join('\n');
}
