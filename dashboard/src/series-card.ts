import type { SeriesDef } from "../../worker/protocol/index.ts";
import { formatClock, formatValue } from "./format.ts";
import { createLineChart, type LineChart } from "./line-chart.ts";
import { metricColor } from "./palette.ts";
import { SeriesWindow, type WindowLimits } from "./series-window.ts";

function child<K extends keyof HTMLElementTagNameMap>(
  parent: HTMLElement,
  tag: K,
  className: string,
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  element.className = className;
  parent.append(element);
  return element;
}

/** One series' card: title, latest value and a streaming line chart over its window. */
export class SeriesCard {
  readonly def: SeriesDef;
  readonly element: HTMLElement;
  readonly window: SeriesWindow;
  private readonly limits: WindowLimits;
  private readonly value: HTMLElement;
  private readonly updatedAt: HTMLElement;
  private readonly chart: LineChart;

  constructor(def: SeriesDef, limits: WindowLimits) {
    this.def = def;
    this.limits = limits;
    this.window = new SeriesWindow(limits);
    this.element = document.createElement("article");
    this.element.className = "card";
    this.element.dataset.testid = "series-card";
    this.element.dataset.series = `${def.device}:${def.metric}`;
    this.element.dataset.points = "0";

    const header = child(this.element, "header", "card-header");
    child(header, "span", "card-device").textContent = def.device;
    child(header, "span", "card-metric").textContent = def.metric;
    const reading = child(this.element, "div", "card-reading");
    this.value = child(reading, "span", "card-value");
    this.value.textContent = "–";
    this.updatedAt = child(reading, "span", "card-updated");
    const canvas = child(child(this.element, "div", "card-chart"), "canvas", "");
    this.chart = createLineChart(canvas, this.window.points, metricColor(def.metric));
  }

  /** Shows the window's current points; call once per animation frame at most. */
  render(): void {
    const points = this.window.points;
    const latest = this.window.latest;
    this.element.dataset.points = String(points.length);
    this.value.textContent = latest ? formatValue(latest.y) : "–";
    this.updatedAt.textContent = latest ? formatClock(latest.x) : "";
    // Scroll: the axis ends at the newest point and spans the window, or less while it fills.
    const x = this.chart.options.scales!.x!;
    x.max = latest?.x;
    x.min = latest ? Math.max(points[0]!.x, latest.x - this.limits.spanMs) : undefined;
    this.chart.update("none");
  }

  destroy(): void {
    this.chart.destroy();
    this.element.remove();
  }
}
