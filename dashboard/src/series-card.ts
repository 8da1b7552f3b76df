import { formatLabels, type SeriesDef, seriesName } from "../../worker/protocol/index.ts";
import type { AlertMark } from "./alert-state.ts";
import type { ChartSeries } from "./chart-geometry.ts";
import { child } from "./dom.ts";
import { formatClock, formatUnit, formatValue, lineUnit } from "./format.ts";
import { createLineChart, type LineChart, setAlertMarks, setThresholds, showBand } from "./line-chart.ts";
import { metricColor } from "./palette.ts";
import { type ChartPoint, SeriesWindow, type WindowLimits } from "./series-window.ts";
import { type AxisBounds, isStale } from "./time-axis.ts";

/** What a card asks of the board it is on: the shared time axis, zooming every card to a span, focusing on one. */
export interface CardView {
  axis(): AxisBounds | null;
  zoomTo(axis: AxisBounds): void;
  toggleFocus(card: SeriesCard): void;
}

/** A drag narrower than this many pixels is a click, not a zoom. */
const MIN_DRAG_PX = 6;

/** Sets text only when it changed: an unchanged text still costs a layout. */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

/** Sets a data attribute only when it changed: styles select on some, so each write may restyle the card. */
function setData(element: HTMLElement, key: string, value: string): void {
  if (element.dataset[key] !== value) element.dataset[key] = value;
}

/**
 * One series' card: title, latest value and a streaming chart of its buckets. The chart exists only while the card
 * is on screen (or near it): a board of hundreds of series keeps every card's data and text current but draws, and
 * holds in memory, only the charts in view.
 */
export class SeriesCard {
  readonly def: SeriesDef;
  readonly element: HTMLElement;
  readonly window: SeriesWindow;
  private readonly value: HTMLElement;
  private readonly updatedAt: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private chart: LineChart | null = null;
  private readonly chartUnit: string;
  private thresholds: number[] = [];
  private marks: AlertMark[] = [];
  private readonly view: CardView;
  /** Counters draw their rate per second (the window's `rates()`), not their running total. */
  private readonly rate: ChartSeries | null;

  /** `visible`: whether it starts on screen (false when the board will say once it is laid out). */
  constructor(def: SeriesDef, limits: WindowLimits, band: boolean, view: CardView, visible = true) {
    this.def = def;
    this.view = view;
    this.visible = visible;
    this.window = new SeriesWindow(limits);
    this.element = document.createElement("article");
    this.element.className = "card";
    this.element.dataset.testid = "series-card";
    this.element.dataset.series = seriesName(def);
    this.element.dataset.points = "0";

    const header = child(this.element, "header", "card-header");
    child(header, "span", "card-device", def.device);
    child(header, "span", "card-metric", def.metric);
    if (def.labels) child(header, "span", "card-labels", formatLabels(def.labels));
    const focus = child(header, "button", "card-focus", "⤢");
    focus.type = "button";
    focus.dataset.testid = "card-focus";
    focus.setAttribute("aria-label", `Focus on ${seriesName(def)}`);
    focus.addEventListener("click", () => view.toggleFocus(this));
    const reading = child(this.element, "div", "card-reading");
    this.value = child(reading, "span", "card-value");
    this.value.textContent = "–";
    this.updatedAt = child(reading, "span", "card-updated");
    const area = child(this.element, "div", "card-chart");
    const canvas = child(area, "canvas", "");
    this.canvas = canvas;
    canvas.setAttribute("aria-label", `${seriesName(def)} over time; drag across to zoom`);
    const window = this.window;
    this.rate =
      def.kind === "counter"
        ? {
            avg: [],
            min: [],
            max: [],
            get stepMs() {
              return window.stepMs;
            },
            ended: window.ended,
          }
        : null;
    this.element.dataset.rate = String(this.rate !== null);
    this.chartUnit = lineUnit(def);
    this.drawBand(band);
    this.element.dataset.drawn = "false";
    this.zoomByDragging(area, canvas);
  }

  /** The series' line as charts draw it: its buckets' averages, or for a counter its rates (refreshed now). */
  line(): ChartPoint[] {
    if (!this.rate) return this.window.avg;
    this.rate.avg.splice(0, this.rate.avg.length, ...this.window.rates());
    return this.rate.avg;
  }

  /** The chart, created when the card first needs drawing on screen. */
  private ensureChart(): LineChart {
    if (!this.chart) {
      const series = this.rate ?? this.window;
      this.chart = createLineChart(this.canvas, series, metricColor(this.def.metric), this.chartUnit);
      showBand(this.chart, this.element.dataset.band === "true");
      setThresholds(this.chart, this.thresholds);
      setAlertMarks(this.chart, this.marks);
      this.element.dataset.drawn = "true";
    }
    return this.chart;
  }

  /** Dragging across a chart zooms every card to the span dragged over (a shaded box shows it meanwhile). */
  private zoomByDragging(area: HTMLElement, canvas: HTMLCanvasElement): void {
    const box = child(area, "div", "card-selection");
    box.hidden = true;
    let start: number | null = null;
    const span = (x: number) => ({ left: Math.min(start!, x), right: Math.max(start!, x) });
    canvas.addEventListener("pointerdown", (event) => {
      if (event.pointerType === "touch" || event.button !== 0) return;
      start = event.offsetX;
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (start === null) return;
      const { left, right } = span(event.offsetX);
      box.hidden = right - left < MIN_DRAG_PX;
      box.style.left = `${left}px`;
      box.style.width = `${right - left}px`;
    });
    canvas.addEventListener("pointercancel", () => {
      start = null;
      box.hidden = true;
    });
    canvas.addEventListener("pointerup", (event) => {
      if (start === null) return;
      const { left, right } = span(event.offsetX);
      start = null;
      box.hidden = true;
      const x = this.chart?.scales.x;
      if (!x || right - left < MIN_DRAG_PX) return;
      this.view.zoomTo({ min: x.getValueForPixel(left)!, max: x.getValueForPixel(right)! });
    });
  }

  /** Starts over with other buckets (cleared until filled), drawn with or without their min/max band. */
  show(limits: WindowLimits, band: boolean): void {
    this.window.configure(limits);
    this.drawBand(band);
  }

  /** Whether the card is on screen (or near it): off-screen cards keep their numbers current but not their chart. */
  private visible: boolean;
  /** The chart lags the window (it was off screen when data came). */
  private chartStale = false;

  /** Shows the window's current points; call once per animation frame at most. */
  render(): void {
    const points = this.window.avg;
    setData(this.element, "points", String(points.length));
    setData(this.element, "samples", String(this.window.sampleCount));
    setData(this.element, "from", String(points[0]?.x ?? ""));
    // Redrawing is most of the cost (the chart, and the text's layout and paint): off screen, it waits until the
    // card scrolls into view.
    this.chartStale = !this.visible;
    if (this.visible) this.draw();
  }

  private draw(): void {
    const latest = this.window.latest;
    const axis = this.view.axis();
    const stale = axis !== null && isStale(this.window.avg, this.window.stepMs, axis.max);
    setData(this.element, "stale", String(stale));
    const rate = this.rate ? this.line().at(-1) : undefined;
    const unit = formatUnit(this.def.unit);
    const shown = this.rate
      ? rate
        ? `${formatValue(rate.y)}${unit}/s`
        : "–"
      : latest
        ? this.window.latestIsStale
          ? "stale"
          : `${formatValue(latest.y)}${unit}`
        : "–";
    setText(this.value, shown);
    const total = this.rate && latest ? `total ${formatValue(latest.y)} · ` : "";
    setText(this.updatedAt, latest ? `${total}${stale ? "stale since " : ""}${formatClock(latest.x)}` : "");
    this.drawChart(axis);
  }

  /** The card scrolled into view (it draws what it missed) or out of it (its chart is let go). */
  reveal(visible: boolean): void {
    this.visible = visible;
    if (!visible) {
      this.chart?.destroy();
      this.chart = null;
      this.element.dataset.drawn = "false";
      this.chartStale = true;
      return;
    }
    if (!this.chartStale) return;
    this.chartStale = false;
    this.draw();
  }

  private drawChart(axis: AxisBounds | null): void {
    const points = this.window.avg;
    // Every card shows the board's time axis (or the zoom); alone, a card would span its own points.
    const chart = this.ensureChart();
    const x = chart.options.scales!.x!;
    x.min = axis?.min ?? points[0]?.x;
    x.max = axis?.max ?? points[points.length - 1]?.x;
    // An axis of zero width (a single bucket on the board) draws nothing: centre it in a few buckets instead.
    if (x.min !== undefined && x.min === x.max) {
      x.min -= 5 * this.window.stepMs;
      x.max += 5 * this.window.stepMs;
    }
    chart.update("none");
  }

  /** Draws alert thresholds across the chart (none: an empty list). */
  showThresholds(values: number[]): void {
    const text = values.join(",");
    if (this.element.dataset.thresholds === text) return;
    this.element.dataset.thresholds = text;
    this.thresholds = values;
    if (!this.chart) return;
    setThresholds(this.chart, values);
    this.redecorate();
  }

  /** Draws the alert transitions of its series as vertical lines (none: an empty list). */
  showAlertMarks(values: AlertMark[]): void {
    const text = values.map((mark) => `${mark.at}:${mark.state}`).join(",");
    if (this.element.dataset.alertMarks === text) return;
    this.element.dataset.alertMarks = text;
    this.marks = values;
    if (!this.chart) return;
    setAlertMarks(this.chart, values);
    this.redecorate();
  }

  /** What is drawn over the line changed: redrawn now on screen, else when the card next shows. */
  private redecorate(): void {
    if (this.visible) this.drawChart(this.view.axis());
    else this.chartStale = true;
  }

  /** Marks the card while an alert fires on its series. */
  markAlerting(alerting: boolean): void {
    this.element.dataset.alerting = String(alerting);
  }

  markOffline(offline: boolean): void {
    this.element.dataset.offline = String(offline);
  }

  /** Counters never draw a band: their buckets' min and max are totals, not rates. */
  private drawBand(band: boolean): void {
    const shown = band && !this.rate;
    if (this.chart) showBand(this.chart, shown);
    this.element.dataset.band = String(shown);
  }

  destroy(): void {
    this.chart?.destroy();
    this.element.remove();
  }
}
