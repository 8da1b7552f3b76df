import {
  Chart,
  Decimation,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  type ScaleOptions,
} from "chart.js";
import type { Panel } from "../../../worker/protocol/dashboards.ts";
import { formatClock } from "../format.ts";
import { PALETTE } from "../palette.ts";
import type { Crosshair } from "./crosshair.ts";
import { nearestPoint, type PanelPoint, type PanelSeries } from "./panel-series.ts";
import type { AbsoluteRange } from "./time-expr.ts";
import { cssColor, formatPanelValue } from "./value-format.ts";

Chart.register(LineController, LineElement, PointElement, LinearScale, Decimation);

type SeriesChart = Chart<"line", PanelPoint[]>;

/** A mark on the time axis: an alert transition, with what it says on hover. */
export interface AnnotationMark {
  at: number;
  color: string;
  text: string;
}

export interface TimeseriesHooks {
  crosshair: Crosshair;
  /** Dragging across the plot picks a range to zoom to. */
  onZoom: (range: AbsoluteRange) => void;
}

/**
 * A time series panel on Chart.js, set up for many panels on a page: no animation, no parsing (points are `{x, y}`
 * already, sorted: `normalized`), min/max decimation to the pixel width, no points drawn, `update("none")`, no
 * responsive observer of its own (the grid's one ResizeObserver calls `resize`). The crosshair, the zoom
 * selection and the annotations are DOM overlays, so hovering never redraws the canvas.
 */
export class TimeseriesChart {
  private readonly chart: SeriesChart;
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
    const value = (v: number | string) => formatPanelValue(Number(v), panel.unit, panel.decimals);
    const y: ScaleOptions<"linear"> = {
      type: "linear",
      ...(panel.min !== undefined ? { min: panel.min } : {}),
      ...(panel.max !== undefined ? { max: panel.max } : {}),
      grid: { color: "rgba(148, 163, 184, 0.12)" },
      ticks: { color: "#8b95a7", maxTicksLimit: 5, callback: value },
    };
    this.chart = new Chart(canvas, {
      type: "line",
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: false,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        spanGaps: false,
        events: [],
        elements: { point: { radius: 0 }, line: { borderWidth: 1.25 } },
        plugins: {
          decimation: { enabled: true, algorithm: "min-max" },
          legend: { display: false },
          tooltip: { enabled: false },
        },
        scales: {
          x: {
            type: "linear",
            grid: { color: "rgba(148, 163, 184, 0.12)" },
            ticks: {
              color: "#8b95a7",
              maxTicksLimit: 6,
              maxRotation: 0,
              callback: (v) => formatClock(Number(v)),
            },
          },
          y,
        },
      },
    });
    this.listen();
    this.unsubscribe = hooks.crosshair.subscribe((time) => this.showCrosshair(time));
  }

  /** Draws `series` over `range` (the x axis spans the range even where data is missing). */
  update(series: PanelSeries[], range: AbsoluteRange, hidden: ReadonlySet<string>): void {
    this.series = series;
    const x = this.chart.options.scales!.x!;
    x.min = range.from;
    x.max = range.to;
    const threshold = this.panel.thresholds?.find((step) => step.value === null)?.color;
    this.chart.data.datasets = series.map((one, i) => ({
      label: one.name,
      data: one.points,
      hidden: hidden.has(one.name),
      borderColor: seriesColor(i, series.length === 1 ? threshold : undefined),
      indexAxis: "x" as const,
    }));
    this.chart.update("none");
    this.placeMarks();
  }

  setAnnotations(marks: AnnotationMark[]): void {
    this.annotations = marks;
    this.placeMarks();
  }

  /** Fits the canvas to its box (the grid's ResizeObserver calls this). */
  resize(): void {
    const { clientWidth, clientHeight } = this.box;
    if (clientWidth > 0 && clientHeight > 0) this.chart.resize(clientWidth, clientHeight);
    this.placeMarks();
  }

  destroy(): void {
    this.unsubscribe();
    this.chart.destroy();
    this.box.replaceChildren();
  }

  private placeMarks(): void {
    const scale = this.chart.scales.x;
    if (!scale) return;
    const { left, right } = this.chart.chartArea ?? { left: 0, right: 0 };
    this.marks.replaceChildren(
      ...this.annotations
        .map((mark) => ({ mark, px: scale.getPixelForValue(mark.at) }))
        .filter(({ px }) => px >= left && px <= right)
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
    const scale = this.chart.scales.x;
    const area = this.chart.chartArea;
    if (!scale || !area) return null;
    const px = clientX - this.box.getBoundingClientRect().left;
    if (px < area.left || px > area.right) return null;
    return scale.getValueForPixel(px) ?? null;
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
    const scale = this.chart.scales.x;
    const area = this.chart.chartArea;
    if (time === null || !scale || !area || this.series.length === 0) {
      this.line.hidden = this.tooltip.hidden = true;
      return;
    }
    const px = scale.getPixelForValue(time);
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
