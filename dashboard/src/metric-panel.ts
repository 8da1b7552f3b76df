import type { Panel } from "../../worker/protocol/dashboards.ts";
import { formatLabels, type SeriesDef } from "../../worker/protocol/index.ts";
import type { PanelPoint, PanelSeries } from "./dashboards/panel-series.ts";
import { PanelView } from "./dashboards/panel-view.ts";
import type { TimeseriesHooks } from "./dashboards/timeseries-chart.ts";
import { lineUnit } from "./format.ts";
import type { SeriesCard } from "./series-card.ts";
import type { AxisBounds } from "./time-axis.ts";

/** How a series is named in its metric's legend: its device, and its labels when it has any. */
function legendName(def: SeriesDef): string {
  return def.labels ? `${def.device}{${formatLabels(def.labels)}}` : def.device;
}

/**
 * A metric's panel as a dashboard describes it: a time series panel of the bare selector `{__name__="<metric>"}`
 * (PromQL's view of the same series: a device is its `instance`), in the metric's line unit. A bare selector's
 * samples are exactly what the raw stream carries, so the live view feeds it from frames, not from a subscription.
 */
export function metricPanelDefinition(metric: string, first: SeriesDef): Panel {
  const unit = lineUnit(first);
  return {
    id: 0,
    title: unit ? `${metric} (${unit})` : metric,
    type: "timeseries",
    gridPos: { x: 0, y: 0, w: 24, h: 8 },
    targets: [{ refId: "A", expr: `{__name__=${JSON.stringify(metric)}}`, legendFormat: "" }],
    ...(unit ? { unit } : {}),
  };
}

/** A line with a gap after each bucket where the series ended (a staleness marker), as the dashboards draw NaN. */
function withEnds(line: PanelPoint[], ended: ReadonlyMap<number, number>): PanelPoint[] {
  if (ended.size === 0) return line;
  const points: PanelPoint[] = [];
  for (const point of line) {
    points.push(point);
    if (ended.has(point.x)) points.push({ x: point.x + 1, y: Number.NaN });
  }
  return points;
}

/**
 * One metric's panel in the live view's `metrics` layout: the dashboards' own panel (PanelView, drawn in the chart
 * worker, with its legend of min, max, avg and last that toggles lines, and the shared crosshair's tooltip), a line
 * per device and label set over the series' own windows (the cards keep them) on the board's shared time axis.
 * Counters draw their rates, like their cards. It draws only while shown.
 */
export class MetricPanel {
  readonly metric: string;
  readonly element: HTMLElement;
  private readonly view: PanelView;
  private readonly members: SeriesCard[] = [];
  private readonly resizes: ResizeObserver | null;

  constructor(metric: string, first: SeriesDef, hooks: TimeseriesHooks) {
    this.metric = metric;
    this.view = new PanelView(metricPanelDefinition(metric, first), {
      ...hooks,
      edit: () => {},
      remove: () => {},
    });
    this.element = this.view.element;
    this.element.classList.add("panel");
    this.element.dataset.testid = "metric-panel";
    this.element.dataset.metric = metric;
    this.resizes =
      typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => this.view.resize());
    this.resizes?.observe(this.view.body);
  }

  /** A series of this metric joins the panel with a line (and a legend row) of its own. */
  add(card: SeriesCard): void {
    this.members.push(card);
    this.element.dataset.lines = String(this.members.length);
  }

  /** Shown (the `metrics` layout) or not: a hidden panel keeps its data and draws when shown again. */
  setVisible(visible: boolean): void {
    this.view.setVisible(visible);
  }

  /** Redraws over `axis` (the lines are the cards' own, refreshed for counters). */
  render(axis: AxisBounds | null): void {
    const series: PanelSeries[] = this.members.map((card) => ({
      name: legendName(card.def),
      refId: "A",
      labels: { __name__: card.def.metric, instance: card.def.device, ...card.def.labels },
      points: withEnds(card.line(), card.window.ended),
    }));
    // No axis: no series has a point yet, so any span draws the same empty plot.
    const now = Date.now();
    this.view.setData(series, axis ? { from: axis.min, to: axis.max } : { from: now - 60_000, to: now });
  }

  destroy(): void {
    this.resizes?.disconnect();
    this.view.destroy();
  }
}
