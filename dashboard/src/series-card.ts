import { formatLabels, type SeriesDef, seriesName } from "../../worker/protocol/index.ts";
import { formatClock, formatValue } from "./format.ts";
import { createLineChart, type LineChart, setThresholds, showBand } from "./line-chart.ts";
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

/** Sets text only when it changed: an unchanged text still costs a layout. */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

/** One series' card: title, latest value and a streaming chart of its buckets. */
export class SeriesCard {
  readonly def: SeriesDef;
  readonly element: HTMLElement;
  readonly window: SeriesWindow;
  private readonly value: HTMLElement;
  private readonly updatedAt: HTMLElement;
  private readonly chart: LineChart;

  constructor(def: SeriesDef, limits: WindowLimits, band: boolean) {
    this.def = def;
    this.window = new SeriesWindow(limits);
    this.element = document.createElement("article");
    this.element.className = "card";
    this.element.dataset.testid = "series-card";
    this.element.dataset.series = seriesName(def);
    this.element.dataset.points = "0";

    const header = child(this.element, "header", "card-header");
    child(header, "span", "card-device").textContent = def.device;
    child(header, "span", "card-metric").textContent = def.metric;
    if (def.labels) child(header, "span", "card-labels").textContent = formatLabels(def.labels);
    const reading = child(this.element, "div", "card-reading");
    this.value = child(reading, "span", "card-value");
    this.value.textContent = "–";
    this.updatedAt = child(reading, "span", "card-updated");
    const canvas = child(child(this.element, "div", "card-chart"), "canvas", "");
    this.chart = createLineChart(canvas, this.window, metricColor(def.metric));
    this.drawBand(band);
  }

  /** Starts over with other buckets (cleared until filled), drawn with or without their min/max band. */
  show(limits: WindowLimits, band: boolean): void {
    this.window.configure(limits);
    this.drawBand(band);
  }

  /** Whether the card is on screen (or near it): off-screen cards keep their numbers current but not their chart. */
  visible = true;
  /** The chart lags the window (it was off screen when data came). */
  private chartStale = false;

  /** Shows the window's current points; call once per animation frame at most. */
  render(): void {
    const points = this.window.avg;
    this.element.dataset.points = String(points.length);
    this.element.dataset.samples = String(this.window.sampleCount);
    this.element.dataset.from = String(points[0]?.x ?? "");
    // Redrawing is most of the cost (the chart, and the text's layout and paint): off screen, it waits until the
    // card scrolls into view.
    this.chartStale = !this.visible;
    if (this.visible) this.draw();
  }

  private draw(): void {
    const latest = this.window.latest;
    setText(this.value, latest ? `${formatValue(latest.y)}${this.def.unit ? ` ${this.def.unit}` : ""}` : "–");
    setText(this.updatedAt, latest ? formatClock(latest.x) : "");
    this.drawChart();
  }

  /** The card scrolled into view or out of it: one coming into view draws what it missed. */
  reveal(visible: boolean): void {
    this.visible = visible;
    if (!visible || !this.chartStale) return;
    this.chartStale = false;
    this.draw();
  }

  private drawChart(): void {
    const points = this.window.avg;
    const newest = points[points.length - 1];
    // Scroll: the axis ends at the newest bucket and spans the window (trimmed to the range), or less while it fills.
    const x = this.chart.options.scales!.x!;
    x.max = newest?.x;
    x.min = points[0]?.x;
    // A lone bucket would make an axis of zero width, and draw nothing: centre it in a few buckets instead.
    if (points.length === 1 && newest) {
      x.min = newest.x - 5 * this.window.stepMs;
      x.max = newest.x + 5 * this.window.stepMs;
    }
    this.chart.update("none");
  }

  /** Draws alert thresholds across the chart (none: an empty list). */
  showThresholds(values: number[]): void {
    const text = values.join(",");
    if (this.element.dataset.thresholds === text) return;
    this.element.dataset.thresholds = text;
    setThresholds(this.chart, values);
    if (this.visible) this.chart.update("none");
    else this.chartStale = true;
  }

  /** Marks the card while an alert fires on its series. */
  markAlerting(alerting: boolean): void {
    this.element.dataset.alerting = String(alerting);
  }

  markOffline(offline: boolean): void {
    this.element.dataset.offline = String(offline);
  }

  private drawBand(band: boolean): void {
    showBand(this.chart, band);
    this.element.dataset.band = String(band);
  }

  destroy(): void {
    this.chart.destroy();
    this.element.remove();
  }
}
