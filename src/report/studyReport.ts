import { type Distribution, type ParamValue, valueAt } from '../tuning/distributions.js';
import { curveValue, objectiveLabel, objectiveSetting, scoreOf } from '../tuning/objective.js';
import type { UnitBox } from '../tuning/samplers.js';
import type { SearchSpace } from '../tuning/space.js';
import { type StudySettings, studyAsha } from '../tuning/study.js';
import { summarizeStudy } from '../tuning/studySummary.js';
import type { TrialRecord } from '../tuning/trial.js';
import { type AxisScale, axis, type ChartSpec, GRID, numberLabels, PALETTE, renderChart } from './charts.js';
import { escapeHtml, readableNumber } from './format.js';
import { importanceCoordinate, importanceDimension, pedAnovaImportances } from './importance.js';

/** What a study report is drawn from: the study's files, read. */
export interface StudyInput {
  readonly space: SearchSpace;
  readonly settings: StudySettings;
  readonly records: readonly TrialRecord[];
  /** Each coarse-to-fine round's box, in unit coordinates (the space's sorted parameter order). */
  readonly rounds: readonly { readonly round: number; readonly count: number; readonly box: UnitBox }[];
}

/** How a parameter is drawn: its values on the axis, and the axis. */
export interface ParameterAxis {
  readonly name: string;
  /** The axis title: the parameter, or `1 − name` for a β on the log scale of 1 − β. */
  readonly label: string;
  readonly scale: AxisScale;
  /** Category names, for `choice`. */
  readonly categories?: readonly string[];
  /** A trial's value as plotted (1 − β for `oneMinusLogUniform`, the choice's name for `choice`). */
  readonly plotted: (value: ParamValue) => number | string;
}

/**
 * A parameter's axis on its own scale: log for `logUniform` and `intLogUniform`, a log axis of
 * 1 − β for `oneMinusLogUniform`, categories for `choice`, linear otherwise.
 *
 * @example
 * parameterAxis('momentum', oneMinusLogUniform(0.9, 0.999)).label // "1 − momentum"
 */
export function parameterAxis(name: string, d: Distribution): ParameterAxis {
  switch (d.type) {
    case 'logUniform':
    case 'intLogUniform':
      return { name, label: name, scale: 'log', plotted: (v) => Number(v) };
    case 'oneMinusLogUniform':
      return { name, label: `1 − ${name}`, scale: 'log', plotted: (v) => Number((1 - Number(v)).toPrecision(12)) };
    case 'choice':
      return { name, label: name, scale: 'category', categories: d.values.map(String), plotted: (v) => String(v) };
    default:
      return { name, label: name, scale: 'value', plotted: (v) => Number(v) };
  }
}

/** One trial's learning curve as drawn. */
export interface CurveSeries {
  readonly id: string;
  readonly status: TrialRecord['status'];
  readonly points: readonly (readonly [number, number])[];
}

/** What a study report draws, computed from the records alone (and tested against them). */
export interface StudyReportData {
  readonly objective: { readonly name: string; readonly direction: 'maximize' | 'minimize'; readonly label: string };
  /** Trials in order: the objective at their last epoch (non-failed only). */
  readonly history: readonly {
    readonly trial: number;
    readonly id: string;
    readonly value: number;
    readonly status: TrialRecord['status'];
  }[];
  /** The best value so far after each of those trials. */
  readonly bestSoFar: readonly (readonly [number, number])[];
  /** Curves drawn one by one: every trial's up to `curveLimit`, else the best `bestCurves`. */
  readonly curves: readonly CurveSeries[];
  /** With more trials than `curveLimit`: per epoch, the 10th, 50th and 90th percentile of every trial's value. */
  readonly band?: readonly { readonly epoch: number; readonly p10: number; readonly p50: number; readonly p90: number }[];
  readonly rungs: readonly number[];
  readonly axes: readonly ParameterAxis[];
  /** One point per non-failed trial and parameter: the parameter as plotted, the objective. */
  readonly slices: Readonly<Record<string, readonly (readonly [number | string, number])[]>>;
  readonly importances: Readonly<Record<string, number>>;
  /**
   * The trials the importances were computed over: those that reached `epoch` (the end, or with
   * ASHA the highest rung that holds `IMPORTANCE_TRIALS` of them), scored there; `enough` is false
   * when no level holds that many (the importances then say little).
   */
  readonly importanceTrials: { readonly count: number; readonly epoch: number; readonly rung: boolean; readonly enough: boolean };
  readonly best: ReturnType<typeof summarizeStudy>['best'];
  readonly leaderboard: readonly TrialRecord[];
}

/** Options of the study report. */
export interface StudyReportOptions {
  /** Up to this many trials, every learning curve is drawn; past it, the best `bestCurves` and a percentile band. Default 200. */
  readonly curveLimit?: number;
  readonly bestCurves?: number;
}

/** The fewest trials whose importances a report shows as meaningful (the top 10% is then one trial or more). */
export const IMPORTANCE_TRIALS = 10;

/**
 * The trials importances are computed over, scored at one epoch: those that finished the study's
 * epochs, or, with ASHA (where few do), the highest rung that at least `IMPORTANCE_TRIALS` trials
 * reached, each scored at that rung; failing both, the level that most trials reached.
 */
function importanceBasis(
  scored: readonly TrialRecord[],
  rungs: readonly number[],
  epochs: number,
  scoreAt: (point: TrialRecord['curve'][number]) => number | undefined,
) {
  const finished = scored.filter((r) => r.status === 'completed').map((record) => ({ record, score: scoreOf(record)! }));
  const levels = [
    { epoch: epochs, rung: false, trials: finished.filter((t) => Number.isFinite(t.score)) },
    ...[...rungs]
      .sort((a, b) => b - a)
      .map((epoch) => ({
        epoch,
        rung: true,
        trials: scored.flatMap((record) => {
          const point = record.curve.find((p) => p.epoch === epoch);
          const score = point ? scoreAt(point) : undefined;
          return score === undefined ? [] : [{ record, score }];
        }),
      })),
  ];
  return (
    levels.find((level) => level.trials.length >= IMPORTANCE_TRIALS) ??
    levels.reduce((most, level) => (level.trials.length > most.trials.length ? level : most))
  );
}

const percentile = (sorted: readonly number[], q: number) => {
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
};

/**
 * The data of a study report.
 *
 * @example
 * studyReportData(input).bestSoFar.at(-1) // [40, 0.987]
 */
export function studyReportData(input: StudyInput, options: StudyReportOptions = {}): StudyReportData {
  const { curveLimit = 200, bestCurves = 20 } = options;
  const objective = objectiveSetting(input.settings);
  const label = objectiveLabel(objective);
  const objectiveOf = (r: TrialRecord): number | null =>
    r.objective?.value ?? (objective.name === 'val-loss' ? r.validationLoss : r.validationAccuracy);
  // Per epoch: a built-in metric, or what the study recorded for a custom objective (NaN, not drawn, where it recorded none).
  const perEpoch = curveValue(objective);
  const pointValue = (p: TrialRecord['curve'][number]) => perEpoch(p) ?? Number.NaN;
  const records = [...input.records].sort((a, b) => a.id.localeCompare(b.id));
  const scored = records.filter((r) => r.status !== 'failed' && objectiveOf(r) !== null && Number.isFinite(objectiveOf(r)!));
  const better = (a: number, b: number) => (objective.direction === 'maximize' ? a > b : a < b);
  const history = scored.map((r, i) => ({ trial: i + 1, id: r.id, value: objectiveOf(r)!, status: r.status }));
  const bestSoFar: [number, number][] = [];
  let best: number | undefined;
  for (const h of history) {
    if (best === undefined || better(h.value, best)) best = h.value;
    bestSoFar.push([h.trial, best]);
  }

  const curveOf = (r: TrialRecord): CurveSeries => ({
    id: r.id,
    status: r.status,
    points: r.curve.map((p) => [p.epoch, pointValue(p)] as const),
  });
  const ranked = [...scored].sort(
    (a, b) => (scoreOf(b) ?? -Infinity) - (scoreOf(a) ?? -Infinity) || b.epochs - a.epochs || a.id.localeCompare(b.id),
  );
  const many = scored.length > curveLimit;
  const curves = (many ? ranked.slice(0, bestCurves) : scored).map(curveOf);
  let band: { epoch: number; p10: number; p50: number; p90: number }[] | undefined;
  if (many) {
    const epochs = Math.max(...scored.map((r) => r.curve.length));
    band = [];
    for (let e = 1; e <= epochs; e++) {
      const values = scored
        .flatMap((r) => r.curve.filter((p) => p.epoch === e).map(pointValue))
        .filter(Number.isFinite)
        .sort((a, b) => a - b);
      if (values.length > 0)
        band.push({ epoch: e, p10: percentile(values, 0.1), p50: percentile(values, 0.5), p90: percentile(values, 0.9) });
    }
  }
  const names = Object.keys(input.space).sort();
  const axes = names.map((name) => parameterAxis(name, input.space[name]!));
  const slices = Object.fromEntries(axes.map((a) => [a.name, scored.map((r) => [a.plotted(r.params[a.name]!), objectiveOf(r)!] as const)]));
  const rungs = studyAsha(input.settings)?.rungs ?? [];
  const basis = importanceBasis(scored, rungs, input.settings.base.epochs, (p) => {
    const value = perEpoch(p);
    return value === undefined || !Number.isFinite(value) ? undefined : objective.direction === 'maximize' ? value : -value;
  });
  const dimensions = names.map((name) => importanceDimension(name, input.space[name]!));
  const importances = pedAnovaImportances(
    dimensions,
    basis.trials.map(({ record, score }) => ({
      unit: names.map((name) => importanceCoordinate(input.space[name]!, record.params[name]!)),
      score,
    })),
  );
  const summary = summarizeStudy(records);
  return {
    objective: { ...objective, label },
    history,
    bestSoFar,
    curves,
    ...(band ? { band } : {}),
    rungs,
    axes,
    slices,
    importances,
    importanceTrials: {
      count: basis.trials.length,
      epoch: basis.epoch,
      rung: basis.rung,
      enough: basis.trials.length >= IMPORTANCE_TRIALS,
    },
    best: summary.best,
    leaderboard: summary.leaderboard,
  };
}

function historyChart(data: StudyReportData): ChartSpec {
  const point = (status: string) => data.history.filter((h) => h.status === status).map((h) => [h.trial, h.value]);
  return {
    id: 'history',
    title: `${data.objective.label} by trial, and the best so far`,
    xScale: 'value',
    yScale: 'value',
    option: {
      grid: GRID,
      legend: { top: 0 },
      xAxis: axis('trial', 'value', { minInterval: 1 }),
      yAxis: axis(data.objective.label),
      series: [
        { type: 'scatter', name: 'completed', data: point('completed'), symbolSize: 5 },
        { type: 'scatter', name: 'pruned', data: point('pruned'), symbolSize: 5, itemStyle: { color: '#aaa' } },
        {
          type: 'line',
          name: 'best so far',
          step: 'end',
          data: data.bestSoFar.map((p) => [...p]),
          showSymbol: false,
          lineStyle: { width: 2 },
          itemStyle: { color: PALETTE[1] },
        },
      ],
    },
  };
}

function curvesChart(data: StudyReportData): ChartSpec {
  const lines = data.curves.map((c, i) => ({
    type: 'line' as const,
    name: c.status === 'pruned' ? 'pruned' : 'completed',
    data: c.points.map((p) => [...p]),
    // A trial pruned at its first rung has a single point: drawn as a dot.
    showSymbol: c.points.length <= 2,
    symbolSize: 3,
    silent: true,
    lineStyle:
      c.status === 'pruned'
        ? { width: 1, type: 'dashed' as const, color: '#999', opacity: 0.7 }
        : { width: 1.5, color: PALETTE[i % PALETTE.length], opacity: 0.85 },
    itemStyle: { color: c.status === 'pruned' ? '#999' : PALETTE[0] },
  }));
  const band = data.band
    ? [
        {
          type: 'line' as const,
          name: '10–90th percentile',
          data: data.band.map((b) => [b.epoch, b.p10]),
          stack: 'band',
          showSymbol: false,
          lineStyle: { opacity: 0 },
          silent: true,
        },
        {
          type: 'line' as const,
          name: '10–90th percentile',
          data: data.band.map((b) => [b.epoch, b.p90 - b.p10]),
          stack: 'band',
          showSymbol: false,
          lineStyle: { opacity: 0 },
          areaStyle: { color: '#2f6fb0', opacity: 0.15 },
          silent: true,
        },
        {
          type: 'line' as const,
          name: 'median',
          data: data.band.map((b) => [b.epoch, b.p50]),
          showSymbol: false,
          lineStyle: { width: 2, color: '#2f6fb0', type: 'dotted' as const },
        },
      ]
    : [];
  const rungs =
    data.rungs.length > 0
      ? {
          markLine: {
            symbol: 'none',
            silent: true,
            label: { formatter: 'rung {c}', fontSize: 10 },
            lineStyle: { type: 'dotted', color: '#d1603d' },
            data: data.rungs.map((r) => ({ xAxis: r })),
          },
        }
      : {};
  const series = [...band, ...lines];
  if (series[0]) Object.assign(series[0], rungs);
  return {
    id: 'curves',
    title: data.band
      ? `Learning curves: the best ${data.curves.length} trials, and the band of all`
      : 'Learning curves of every trial (pruned dashed)',
    caption: data.rungs.length > 0 ? `ASHA's rungs at epochs ${data.rungs.join(', ')}.` : undefined,
    xScale: 'value',
    yScale: 'value',
    option: { grid: GRID, xAxis: axis('epoch', 'value', { minInterval: 1 }), yAxis: axis(data.objective.label), series },
  };
}

function sliceChart(data: StudyReportData, a: ParameterAxis): ChartSpec {
  const x =
    a.scale === 'category'
      ? { type: 'category', data: [...a.categories!], name: a.label, nameLocation: 'middle', nameGap: 30 }
      : axis(a.label, a.scale as 'value' | 'log');
  return {
    id: `slice-${a.name}`,
    title: `${data.objective.label} against ${a.label}`,
    xScale: a.scale,
    yScale: 'value',
    width: 420,
    height: 280,
    option: {
      grid: GRID,
      xAxis: x,
      yAxis: axis(data.objective.label),
      series: [{ type: 'scatter', data: data.slices[a.name]!.map((p) => [...p]), symbolSize: 5, itemStyle: { opacity: 0.7 } }],
    },
  };
}

function parallelChart(data: StudyReportData, records: readonly TrialRecord[]): ChartSpec {
  const scored = new Map(data.history.map((h) => [h.id, h.value]));
  const rows = [...records].sort((a, b) => a.id.localeCompare(b.id)).filter((r) => scored.has(r.id));
  const values = rows.map((r) => scored.get(r.id)!);
  const dims = data.axes.map((a, i) => ({
    dim: i,
    name: a.label,
    type: a.scale,
    ...(a.categories ? { data: [...a.categories] } : {}),
    axisLabel: numberLabels,
    nameTextStyle: { fontSize: 11 },
  }));
  return {
    id: 'parallel',
    title: 'Parallel coordinates (each parameter on its own scale)',
    width: 900,
    height: 340,
    option: {
      parallel: { left: 60, right: 100, top: 48, bottom: 32 },
      parallelAxis: [...dims, { dim: dims.length, name: data.objective.label, type: 'value', scale: true, axisLabel: numberLabels }],
      visualMap: {
        show: true,
        dimension: dims.length,
        min: Math.min(...values),
        max: Math.max(...values),
        right: 0,
        top: 'middle',
        calculable: false,
        inRange: { color: ['#d9e2ec', '#2f6fb0'] },
        formatter: (v: number) => readableNumber(v),
      },
      series: [
        {
          type: 'parallel',
          lineStyle: { width: 1, opacity: 0.5 },
          data: rows.map((r, i) => [...data.axes.map((a) => a.plotted(r.params[a.name]!)), values[i]!]),
        },
      ],
    },
  };
}

function importanceCaption({ count, epoch, rung, enough }: StudyReportData['importanceTrials']): string {
  const over = `Over the ${count} trials that reached epoch ${epoch}${rung ? ' (an ASHA rung: fewer trials reached the end), scored there' : ''}`;
  const what = "how differently the top 10% are spread than all of them, on a grid of each parameter's values; the importances sum to 1.";
  return enough
    ? `${over}: ${what}`
    : `Too few trials to tell: ${count} reached epoch ${epoch}, and at least ${IMPORTANCE_TRIALS} are needed; these bars say little. (${what})`;
}

function importanceChart(data: StudyReportData): ChartSpec {
  const entries = Object.entries(data.importances).sort((a, b) => a[1] - b[1]);
  return {
    id: 'importances',
    title: 'Hyperparameter importances (PED-ANOVA)',
    caption: importanceCaption(data.importanceTrials),
    xScale: 'value',
    yScale: 'category',
    height: 60 + 28 * entries.length,
    option: {
      grid: { left: 110, right: 40, top: 16, bottom: 40 },
      xAxis: axis('importance', 'value', { min: 0, max: 1 }),
      yAxis: { type: 'category', data: entries.map(([name]) => name) },
      series: [
        {
          type: 'bar',
          data: entries.map(([, v]) => Number(v.toPrecision(4))),
          label: { show: true, position: 'right', formatter: (p: { value: number }) => readableNumber(p.value) },
        },
      ],
    },
  };
}

const cell = (v: unknown) => `<td>${escapeHtml(typeof v === 'number' ? readableNumber(v) : String(v ?? '–'))}</td>`;

function roundsTable(input: StudyInput): string {
  const names = Object.keys(input.space).sort();
  if (input.rounds.length === 0) return '';
  const rangeOf = (name: string, low: number, high: number) => {
    const d = input.space[name]!;
    if (d.type === 'choice') {
      const first = Math.floor(low * d.values.length);
      const last = Math.max(first, Math.ceil(high * d.values.length) - 1);
      return d.values
        .slice(first, Math.min(last, d.values.length - 1) + 1)
        .map(String)
        .join(', ');
    }
    const [a, b] = [valueAt(d, low), valueAt(d, Math.min(high, 1 - 1e-12))].map(Number);
    return `${readableNumber(Math.min(a!, b!))} – ${readableNumber(Math.max(a!, b!))}`;
  };
  const head = `<tr><th>round</th><th>trials</th>${names.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}</tr>`;
  const rows = input.rounds
    .map(
      (r) =>
        `<tr>${cell(r.round + 1)}${cell(r.count)}${names.map((n, d) => cell(rangeOf(n, r.box.low[d]!, r.box.high[d]!))).join('')}</tr>`,
    )
    .join('');
  return `<div><h2>Coarse-to-fine: each round's box</h2><table data-table="rounds">${head}${rows}</table></div>`;
}

function bestTable(data: StudyReportData): string {
  const names = data.axes.map((a) => a.name);
  const head = `<tr><th>rank</th><th>trial</th><th>status</th><th>epochs</th><th>${escapeHtml(data.objective.label)}</th>${names.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}</tr>`;
  const rows = data.leaderboard
    .slice(0, 10)
    .map(
      (r, i) =>
        `<tr>${cell(i + 1)}${cell(r.id)}${cell(r.status)}${cell(r.epochs)}${cell(r.objective?.value ?? r.validationAccuracy)}${names.map((n) => cell(r.params[n])).join('')}</tr>`,
    )
    .join('');
  return `<div><h2>The best trials</h2><p>Ranked among the trials that trained the most epochs first (a trial pruned early is not compared with finished ones), then by the objective.</p><table data-table="best">${head}${rows}</table></div>`;
}

/**
 * The body of a study report: history and best so far, learning curves (with ASHA's rungs),
 * one slice per parameter on its own scale, parallel coordinates, importances, each round's box
 * and the best trials.
 *
 * @example
 * const html = studyReportBody(input);
 */
export function studyReportBody(input: StudyInput, options: StudyReportOptions = {}): string {
  const data = studyReportData(input, options);
  const counts = summarizeStudy(input.records);
  const best = data.best;
  const sampler = typeof input.settings.sampler === 'object' ? input.settings.sampler.type : input.settings.sampler;
  const summary = `${counts.finished} trials: ${counts.completed} completed, ${counts.pruned} pruned, ${counts.failed} failed; ${sampler} sampler, ${input.settings.prune === 'asha' ? `ASHA (η ${input.settings.eta})` : 'no pruning'}, up to ${input.settings.base.epochs} epochs; ${data.objective.direction === 'maximize' ? 'maximizing' : 'minimizing'} ${data.objective.label}.${best ? ` Best: ${best.id}, ${readableNumber(best.objective.value)} after ${best.epochs} epochs.` : ''}`;
  const charts = [
    historyChart(data),
    curvesChart(data),
    ...data.axes.map((a) => sliceChart(data, a)),
    parallelChart(data, input.records),
    importanceChart(data),
  ];
  return [
    `<p class="summary">${escapeHtml(summary)}</p>`,
    `<section class="charts">${charts.map(renderChart).join('')}</section>`,
    `<section class="tables">${bestTable(data)}${roundsTable(input)}</section>`,
  ].join('\n');
}
