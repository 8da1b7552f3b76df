import { formatLabels, type SeriesDef } from "../../worker/protocol/index.ts";
import { isolated } from "./chart-geometry.ts";
import { child, element } from "./dom.ts";
import { lineUnit } from "./format.ts";
import { createPanelChart, type LineChart } from "./line-chart.ts";
import { PALETTE } from "./palette.ts";
import type { SeriesCard } from "./series-card.ts";
import type { ChartPoint } from "./series-window.ts";
import type { AxisBounds } from "./time-axis.ts";

/** How a series is named in its metric's legend: its device, and its labels when it has any. */
function legendName(def: SeriesDef): string {
  return def.labels ? `${def.device}{${formatLabels(def.labels)}}` : def.device;
}

/**
 * One metric's panel: a line per device and label set over the series' own windows (the cards keep them), a legend
 * that toggles lines, and the board's shared time axis. Counters draw their rates, like their cards.
 */
export class MetricPanel {
  readonly metric: string;
  readonly element: HTMLElement;
  private readonly chart: LineChart;
  private readonly members: SeriesCard[] = [];

  constructor(metric: string, first: SeriesDef) {
    this.metric = metric;
    this.element = element("article", "panel");
    this.element.dataset.testid = "metric-panel";
    this.element.dataset.metric = metric;
    const unit = lineUnit(first);
    child(this.element, "header", "panel-title", unit ? `${metric} (${unit})` : metric);
    const canvas = child(child(this.element, "div", "panel-chart"), "canvas", "");
    canvas.setAttribute("aria-label", `${metric}, a line per device`);
    this.chart = createPanelChart(canvas, unit);
  }

  /** A series of this metric joins the panel with a line (and a legend entry) of its own. */
  add(card: SeriesCard): void {
    const color = PALETTE[this.members.length % PALETTE.length]!;
    this.members.push(card);
    this.chart.data.datasets.push({
      label: legendName(card.def),
      data: card.line(),
      borderColor: color,
      backgroundColor: color,
      borderWidth: 1.5,
      pointRadius: (context) => (isolated(context.dataset.data as ChartPoint[], context.dataIndex) ? 2.5 : 0),
      // The series ended there (a staleness marker): no line on to where it came back.
      segment: {
        borderColor: (context) =>
          card.window.ended.has(context.p0.parsed.x ?? 0) ? "transparent" : undefined,
      },
    });
    this.element.dataset.lines = String(this.members.length);
  }

  /** Redraws over `axis` (the lines' arrays are the cards' own, refreshed for counters). */
  render(axis: AxisBounds | null): void {
    this.members.forEach((card, i) => {
      this.chart.data.datasets[i]!.data = card.line();
    });
    const x = this.chart.options.scales!.x!;
    x.min = axis?.min;
    x.max = axis?.max;
    this.chart.update("none");
  }

  destroy(): void {
    this.chart.destroy();
    this.element.remove();
  }
}
