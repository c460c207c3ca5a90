import * as echarts from 'echarts';
import { escapeHtml, readableNumber } from './format.js';

/** An axis scale as a chart declares it: what a test (or a reader of the HTML) can check. */
export type AxisScale = 'value' | 'log' | 'category';

/** One chart of a report: its id, a caption, the ECharts option, and the scale of each axis. */
export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly caption?: string | undefined;
  /** An ECharts option (typed loosely: the report builds it from plain data). */
  readonly option: Readonly<Record<string, unknown>>;
  readonly xScale?: AxisScale;
  readonly yScale?: AxisScale;
  readonly width?: number;
  readonly height?: number;
}

/** Axis labels with at most 4 significant digits. */
export const numberLabels = { formatter: (value: number | string) => (typeof value === 'number' ? readableNumber(value) : String(value)) };

export const PALETTE = ['#2f6fb0', '#d1603d', '#3a9a5b', '#8c5bb5', '#c9a227', '#3fa7b8', '#b5487a', '#6b7a8f'];

/**
 * Renders a chart to an SVG string on the server (ECharts' SSR renderer, no browser, no canvas),
 * inside a `<figure>` that names it and its axis scales. No animation and no random ids, so the
 * same option gives the same bytes.
 *
 * @example
 * const html = renderChart({ id: 'loss', title: 'Loss', option: { xAxis: {}, yAxis: {}, series: [] } });
 */
export function renderChart(spec: ChartSpec): string {
  const width = spec.width ?? 640;
  const height = spec.height ?? 320;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({
      animation: false,
      color: PALETTE,
      textStyle: { fontFamily: 'system-ui, sans-serif' },
      ...spec.option,
    } as echarts.EChartsOption);
    // ZRender numbers its instances (zr0-, zr1-…) in the ids and class names inside each SVG, and
    // counts hover classes across charts: both are named after the chart and renumbered in order
    // of appearance, so the same report is the same bytes however many charts came before.
    const prefix = `c-${spec.id.replace(/[^\w-]/g, '_')}-`;
    const renumbered = new Map<string, number>();
    const svg = chart
      .renderToSVGString()
      .replace(/\bzr\d+-/g, prefix)
      .replace(new RegExp(`${prefix}cls-(\\d+)`, 'g'), (_, n: string) => {
        if (!renumbered.has(n)) renumbered.set(n, renumbered.size);
        return `${prefix}cls-${renumbered.get(n)!}`;
      });
    const scales = `${spec.xScale ? ` data-x-scale="${spec.xScale}"` : ''}${spec.yScale ? ` data-y-scale="${spec.yScale}"` : ''}`;
    const caption = spec.caption ? `<p class="caption">${escapeHtml(spec.caption)}</p>` : '';
    return `<figure class="chart" data-chart="${escapeHtml(spec.id)}"${scales}><figcaption>${escapeHtml(spec.title)}</figcaption>${svg}${caption}</figure>`;
  } finally {
    chart.dispose();
  }
}

/** A grid with room for axis names. */
export const GRID = { left: 64, right: 24, top: 36, bottom: 48, containLabel: false };

/** A value (or log) axis with readable labels and a name in the middle. */
export function axis(name: string, scale: 'value' | 'log' = 'value', extra: Record<string, unknown> = {}) {
  return { type: scale, name, nameLocation: 'middle', nameGap: 30, axisLabel: numberLabels, scale: scale === 'value', ...extra };
}
