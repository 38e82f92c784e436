/**
 * The page's charts, drawn by Vega-Lite (compiled to Vega, rendered to SVG on the server, so they show
 * without JavaScript). One spec per metric; each is compiled and parsed once per process and only the data
 * changes between renders. Same series in, same SVG out.
 */
import { parse, View, type Runtime } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { SeriesPoint } from '../queries.js';

/** The charts of a stage, one per metric. */
export type ChartKind = 'deployments' | 'lead-time' | 'failure-rate' | 'restore';

interface ChartSpec {
  /** The y axis title. */
  y: string;
  mark: 'bar' | 'line';
  /** The value of a bar (null: no value that bucket). */
  value: (p: SeriesPoint) => number | null;
  /** What the chart shows, for screen readers. */
  description: string;
}

const HOUR_MS = 3_600_000;
const hours = (ms: number | null): number | null => (ms === null ? null : Math.round((ms / HOUR_MS) * 100) / 100);

const SPECS: Record<ChartKind, ChartSpec> = {
  deployments: { y: 'verified deployments', mark: 'bar', value: (p) => p.verified, description: 'Verified deployments per period' },
  'lead-time': { y: 'median lead time (hours)', mark: 'line', value: (p) => hours(p.leadMedianMs), description: 'Median lead time for changes per period, in hours' },
  'failure-rate': {
    y: 'change failure rate (%)',
    mark: 'bar',
    value: (p) => (p.withVerdict === 0 ? null : Math.round((p.failed / p.withVerdict) * 1000) / 10),
    description: 'Change failure rate per period, in percent of deployments with a verdict',
  },
  restore: { y: 'median time to restore (hours)', mark: 'bar', value: (p) => hours(p.restoreMedianMs), description: 'Median time to restore per period, in hours' },
};

function specOf(kind: ChartKind): TopLevelSpec {
  const c = SPECS[kind];
  return {
    width: 300,
    height: 110,
    description: c.description,
    background: 'white',
    data: { name: 'series' },
    mark: c.mark === 'line' ? { type: 'line', point: true, color: '#0550ae' } : { type: 'bar', color: '#0550ae' },
    encoding: {
      x: { field: 'bucket', type: 'ordinal', title: null, sort: null, axis: { labelAngle: -45, labelFontSize: 9 } },
      y: { field: 'value', type: 'quantitative', title: c.y, axis: { titleFontSize: 10, tickMinStep: 1 } },
      tooltip: [
        { field: 'bucket', type: 'ordinal', title: 'from' },
        { field: 'value', type: 'quantitative', title: c.y },
      ],
    },
    config: { font: 'system-ui, sans-serif', axis: { labelColor: '#1f2328', titleColor: '#1f2328' }, view: { stroke: null } },
  };
}

const parsed = new Map<ChartKind, Runtime>();

function runtimeOf(kind: ChartKind): Runtime {
  let r = parsed.get(kind);
  if (!r) {
    const spec = compile(specOf(kind)).spec;
    // A mark container with no item (a period without a value) is still an SVG graphic to screen readers: Vega's
    // mark-level `description` gives it a name (aria-label), as WCAG's svg-img-alt asks.
    for (const m of spec.marks ?? []) m.description ??= SPECS[kind].description;
    r = parse(spec);
    parsed.set(kind, r);
  }
  return r;
}

/** The values a chart plots: one per bucket (null where there is nothing to plot). */
export function chartValues(kind: ChartKind, series: readonly SeriesPoint[]): Array<{ bucket: string; value: number | null }> {
  return series.map((p) => ({ bucket: p.bucket.label, value: SPECS[kind].value(p) }));
}

/** The chart of one metric over a stage's series, as an SVG document fragment. */
export async function renderChart(kind: ChartKind, series: readonly SeriesPoint[]): Promise<string> {
  const view = new View(runtimeOf(kind), { renderer: 'none' });
  try {
    view.data('series', chartValues(kind, series));
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
