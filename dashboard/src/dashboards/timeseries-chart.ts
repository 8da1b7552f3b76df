import type { Panel } from "../../../worker/protocol/dashboards.ts";
import { PALETTE } from "../palette.ts";
import type { AnnotationMark } from "./annotation-marks.ts";
import { WorkerChart } from "./chart-client.ts";
import type { PlotGeometry } from "./chart-protocol.ts";
import type { Crosshair } from "./crosshair.ts";
import { nearestPoint, type PanelSeries } from "./panel-series.ts";
import type { AbsoluteRange } from "./time-expr.ts";
import { cssColor, formatPanelValue } from "./value-format.ts";

export interface TimeseriesHooks {
  crosshair: Crosshair;
  /** Dragging across the plot picks a range to zoom to. */
  onZoom: (range: AbsoluteRange) => void;
}

/**
 * A time series panel, drawn by Chart.js in the chart worker (see chart-worker.ts: no animation, no parsing,
 * min/max decimation, `update("none")`), so the page's main thread only hands over typed arrays. No responsive
 * observer of its own: the grid's one ResizeObserver calls `resize`. The crosshair, the zoom selection and the
 * annotations are DOM overlays placed by the plot's geometry the worker reports, so hovering never redraws.
 */
export class TimeseriesChart {
  private readonly chart: WorkerChart;
  private readonly canvas: HTMLCanvasElement;
  /** Where the last draw put the plot; null until the worker has drawn once. */
  private plot: PlotGeometry | null = null;
  private readonly overlay: HTMLElement;
  private readonly line: HTMLElement;
  private readonly tooltip: HTMLElement;
  private readonly selection: HTMLElement;
  private readonly marks: HTMLElement;
  private series: PanelSeries[] = [];
  private annotations: AnnotationMark[] = [];
  private readonly unsubscribe: () => void;

  private readonly box: HTMLElement;
  private readonly panel: Panel;
  private readonly hooks: TimeseriesHooks;

  constructor(box: HTMLElement, panel: Panel, hooks: TimeseriesHooks) {
    this.box = box;
    this.panel = panel;
    this.hooks = hooks;
    const canvas = document.createElement("canvas");
    this.overlay = div("ts-overlay");
    this.line = div("ts-crosshair");
    this.tooltip = div("ts-tooltip");
    this.selection = div("ts-selection");
    this.marks = div("ts-marks");
    this.line.hidden = this.tooltip.hidden = this.selection.hidden = true;
    this.overlay.append(this.marks, this.selection, this.line, this.tooltip);
    box.append(canvas, this.overlay);
    this.canvas = canvas;
    this.chart = new WorkerChart(
      canvas,
      {
        ...(panel.unit !== undefined ? { unit: panel.unit } : {}),
        ...(panel.decimals !== undefined ? { decimals: panel.decimals } : {}),
        ...(panel.min !== undefined ? { min: panel.min } : {}),
        ...(panel.max !== undefined ? { max: panel.max } : {}),
      },
      (geometry, data) => {
        this.plot = geometry;
        // `data-plotted`: the worker has drawn data (what tests and the benchmark wait for), set once.
        if (data && box.dataset.plotted === undefined) box.dataset.plotted = "";
        this.placeMarks();
      },
    );
    this.listen();
    this.unsubscribe = hooks.crosshair.subscribe((time) => this.showCrosshair(time));
  }

  /** Draws `series` over `range` (the x axis spans the range even where data is missing). */
  update(series: PanelSeries[], range: AbsoluteRange, hidden: ReadonlySet<string>): void {
    this.series = series;
    const threshold = this.panel.thresholds?.find((step) => step.value === null)?.color;
    this.chart.draw(
      range.from,
      range.to,
      series.map((one, i) => {
        const xs = new Float64Array(one.points.length);
        const ys = new Float64Array(one.points.length);
        one.points.forEach((point, k) => {
          xs[k] = point.x;
          ys[k] = point.y;
        });
        return {
          xs,
          ys,
          hidden: hidden.has(one.name),
          color: seriesColor(i, series.length === 1 ? threshold : undefined),
        };
      }),
    );
  }

  setAnnotations(marks: AnnotationMark[]): void {
    this.annotations = marks;
    this.placeMarks();
  }

  /** Fits the canvas to its box (the grid's ResizeObserver calls this). */
  resize(): void {
    const { clientWidth, clientHeight } = this.box;
    if (clientWidth === 0 || clientHeight === 0) return;
    // The worker sizes the canvas' pixels; its CSS box is the page's to set.
    this.canvas.style.width = `${clientWidth}px`;
    this.canvas.style.height = `${clientHeight}px`;
    this.chart.resize(clientWidth, clientHeight);
  }

  destroy(): void {
    this.unsubscribe();
    this.chart.destroy();
    this.box.replaceChildren();
  }

  /** The x pixel of a time on the last drawn plot (the x axis is linear). */
  private pixelFor(time: number): number | null {
    const plot = this.plot;
    if (!plot || plot.xMax <= plot.xMin) return null;
    return plot.left + ((time - plot.xMin) / (plot.xMax - plot.xMin)) * (plot.right - plot.left);
  }

  private placeMarks(): void {
    const plot = this.plot;
    // Most draws of a live panel have no marks to move: leave the DOM alone then.
    if (!plot || (this.annotations.length === 0 && this.marks.firstChild === null)) return;
    this.marks.replaceChildren(
      ...this.annotations
        .map((mark) => ({ mark, px: this.pixelFor(mark.at)! }))
        .filter(({ px }) => px >= plot.left && px <= plot.right)
        .map(({ mark, px }) => {
          const element = div("ts-annotation");
          element.dataset.testid = "annotation";
          element.style.left = `${px}px`;
          element.style.borderColor = cssColor(mark.color);
          element.title = mark.text;
          return element;
        }),
    );
  }

  private timeAt(clientX: number): number | null {
    const plot = this.plot;
    if (!plot || plot.right <= plot.left) return null;
    const px = clientX - this.box.getBoundingClientRect().left;
    if (px < plot.left || px > plot.right) return null;
    return plot.xMin + ((px - plot.left) / (plot.right - plot.left)) * (plot.xMax - plot.xMin);
  }

  private listen(): void {
    let dragFrom: number | null = null;
    let dragPx = 0;
    this.overlay.addEventListener("pointermove", (event) => {
      this.hooks.crosshair.set(this.timeAt(event.clientX));
      if (dragFrom === null) return;
      const px = event.clientX - this.box.getBoundingClientRect().left;
      this.selection.hidden = false;
      this.selection.style.left = `${Math.min(px, dragPx)}px`;
      this.selection.style.width = `${Math.abs(px - dragPx)}px`;
    });
    this.overlay.addEventListener("pointerleave", () => this.hooks.crosshair.set(null));
    this.overlay.addEventListener("pointerdown", (event) => {
      dragFrom = this.timeAt(event.clientX);
      dragPx = event.clientX - this.box.getBoundingClientRect().left;
      this.overlay.setPointerCapture(event.pointerId);
    });
    this.overlay.addEventListener("pointerup", (event) => {
      const from = dragFrom;
      const to = this.timeAt(event.clientX);
      const moved = Math.abs(event.clientX - this.box.getBoundingClientRect().left - dragPx);
      dragFrom = null;
      this.selection.hidden = true;
      if (from !== null && to !== null && moved > 4)
        this.hooks.onZoom({ from: Math.min(from, to), to: Math.max(from, to) });
    });
  }

  /** The shared crosshair: a line at `time` and each series' value there, on every time series panel. */
  private showCrosshair(time: number | null): void {
    const area = this.plot;
    const px = time === null ? null : this.pixelFor(time);
    if (time === null || px === null || !area || this.series.length === 0) {
      this.line.hidden = this.tooltip.hidden = true;
      return;
    }
    if (px < area.left || px > area.right) {
      this.line.hidden = this.tooltip.hidden = true;
      return;
    }
    this.line.hidden = this.tooltip.hidden = false;
    this.line.style.left = `${px}px`;
    this.line.style.top = `${area.top}px`;
    this.line.style.height = `${area.bottom - area.top}px`;
    const rows = this.series.slice(0, 10).map((one, i) => {
      const nearest = nearestPoint(one.points, time);
      const row = document.createElement("div");
      row.style.color = seriesColor(i);
      row.textContent = `${one.name}: ${nearest ? formatPanelValue(nearest.y, this.panel.unit, this.panel.decimals) : "–"}`;
      return row;
    });
    const head = document.createElement("div");
    head.className = "ts-tooltip-time";
    head.textContent = new Date(time).toLocaleString(undefined, { hour12: false });
    this.tooltip.replaceChildren(head, ...rows);
    const flip = px > this.box.clientWidth / 2;
    this.tooltip.style.left = flip ? "" : `${px + 8}px`;
    this.tooltip.style.right = flip ? `${this.box.clientWidth - px + 8}px` : "";
  }
}

const div = (className: string) => {
  const element = document.createElement("div");
  element.className = className;
  return element;
};

/** Line colors by position, or the panel's base threshold color for a lone series. */
export const seriesColor = (index: number, color?: string): string =>
  color ? cssColor(color) : PALETTE[index % PALETTE.length]!;
