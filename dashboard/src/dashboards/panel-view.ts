import type { Panel } from "../../../worker/protocol/dashboards.ts";
import type { AnnotationMark } from "./annotation-marks.ts";
import { joinByTime, toCsv } from "./csv.ts";
import { DRAW, drawDataTable } from "./panel-renderers.ts";
import { type PanelSeries, seriesStats } from "./panel-series.ts";
import type { AbsoluteRange } from "./time-expr.ts";
import { seriesColor, TimeseriesChart, type TimeseriesHooks } from "./timeseries-chart.ts";
import { formatPanelValue } from "./value-format.ts";

/** What a panel's frame asks of the dashboard. */
export interface PanelHooks extends TimeseriesHooks {
  /** Without it, the panel has no full screen button (the live view's per-metric panels). */
  fullScreen?: (panel: Panel) => void;
  /** Edit mode only. */
  edit: (panel: Panel) => void;
  remove: (panel: Panel) => void;
}

const button = (text: string, title: string, testid: string) => {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.title = title;
  element.dataset.testid = testid;
  return element;
};

/**
 * One panel on the grid: a header (title, view as table, CSV, full screen; edit and remove in edit mode), its
 * drawing, and for time series a legend with min, max, avg and last whose rows hide and show lines. It draws only
 * when told it is on screen; data that arrives off screen waits until it is.
 */
export class PanelView {
  readonly element: HTMLElement;
  /** The drawing's box: the grid's ResizeObserver watches it (a legend growing shrinks it). */
  readonly body: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly status: HTMLElement;
  private chart: TimeseriesChart | null = null;
  private series: PanelSeries[] = [];
  private range: AbsoluteRange = { from: 0, to: 0 };
  private annotations: AnnotationMark[] = [];
  private readonly hidden = new Set<string>();
  /** The legend's rows as last built, by series name: a refresh with the same series only rewrites its figures. */
  private legendRows: Array<{ name: string; row: HTMLTableRowElement; cells: HTMLTableCellElement[] }> = [];
  private asTable = false;
  private visible = false;
  private dirty = false;
  /** Draws so far (`data-drawn`): what tests and the benchmark wait for. */
  private drawn = 0;

  readonly panel: Panel;
  private readonly hooks: PanelHooks;

  constructor(panel: Panel, hooks: PanelHooks) {
    this.panel = panel;
    this.hooks = hooks;
    this.element = document.createElement("article");
    this.element.className = `dash-panel dash-panel-${panel.type}`;
    this.element.dataset.testid = "panel";
    this.element.dataset.panelId = String(panel.id);
    this.element.dataset.type = panel.type;
    this.element.dataset.state = "waiting";
    const header = document.createElement("header");
    header.className = "dash-panel-header";
    const title = document.createElement("h3");
    title.className = "dash-panel-title";
    title.textContent = panel.title;
    const tools = document.createElement("span");
    tools.className = "dash-panel-tools";
    const table = button("▦", "View as table", "panel-table");
    table.addEventListener("click", () => {
      this.asTable = !this.asTable;
      table.setAttribute("aria-pressed", String(this.asTable));
      this.redraw(true);
    });
    const csv = button("CSV", "Download what the panel shows as CSV", "panel-csv");
    csv.addEventListener("click", () => this.downloadCsv());
    const full = button("⤢", "Full screen (Esc leaves)", "panel-fullscreen");
    full.addEventListener("click", () => hooks.fullScreen?.(panel));
    const edit = button("✎", "Edit panel", "panel-edit");
    edit.classList.add("edit-only");
    edit.addEventListener("click", () => hooks.edit(panel));
    const remove = button("✕", "Remove panel", "panel-remove");
    remove.classList.add("edit-only");
    remove.addEventListener("click", () => hooks.remove(panel));
    if (panel.type !== "text") tools.append(table, csv);
    if (hooks.fullScreen) tools.append(full);
    tools.append(edit, remove);
    header.append(title, tools);
    this.body = document.createElement("div");
    this.body.className = "dash-panel-body";
    this.legend = document.createElement("div");
    this.legend.className = "dash-legend";
    this.status = document.createElement("p");
    this.status.className = "dash-panel-status";
    this.status.hidden = true;
    const resize = document.createElement("span");
    resize.className = "dash-resize edit-only";
    resize.dataset.testid = "panel-resize";
    this.element.append(header, this.body, this.legend, this.status, resize);
  }

  setData(series: PanelSeries[], range: AbsoluteRange): void {
    this.series = series;
    this.range = range;
    // What tests read; written only when it changes (a live panel's counts mostly stay).
    const counts = {
      state: "ready",
      series: String(series.length),
      points: String(series.reduce((sum, one) => sum + one.points.length, 0)),
    };
    for (const [key, value] of Object.entries(counts))
      if (this.element.dataset[key] !== value) this.element.dataset[key] = value;
    if (!this.status.hidden) this.status.hidden = true;
    this.redraw(false);
  }

  setError(message: string): void {
    this.element.dataset.state = "error";
    this.status.hidden = false;
    this.status.textContent = message;
  }

  setLoading(): void {
    if (this.element.dataset.state !== "ready") this.element.dataset.state = "loading";
  }

  setAnnotations(marks: AnnotationMark[]): void {
    this.annotations = marks;
    this.chart?.setAnnotations(marks);
  }

  /** On screen or not: a panel off screen keeps its data and draws when it comes back. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible && this.dirty) this.redraw(false);
  }

  resize(): void {
    if (this.chart) this.chart.resize();
    else if (this.panel.type === "heatmap" || this.panel.type === "gauge") this.redraw(false);
  }

  destroy(): void {
    this.chart?.destroy();
    this.element.remove();
  }

  private redraw(rebuild: boolean): void {
    if (!this.visible) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    this.drawn++;
    this.element.dataset.drawn = String(this.drawn);
    if (this.asTable) {
      this.dropChart();
      drawDataTable(this.body, this.panel, this.series);
      this.legend.replaceChildren();
      this.legendRows = [];
      return;
    }
    if (this.panel.type !== "timeseries") {
      DRAW[this.panel.type](this.body, this.panel, this.series);
      return;
    }
    if (rebuild) this.dropChart();
    if (!this.chart) {
      this.body.replaceChildren();
      this.chart = new TimeseriesChart(this.body, this.panel, this.hooks);
      this.chart.resize();
      this.chart.setAnnotations(this.annotations);
    }
    this.chart.update(this.series, this.range, this.hidden);
    this.drawLegend();
  }

  private dropChart(): void {
    this.chart?.destroy();
    this.chart = null;
  }

  private drawLegend(): void {
    const legend = this.panel.options?.legend as { showLegend?: boolean; displayMode?: string } | undefined;
    if (legend?.showLegend === false || legend?.displayMode === "hidden") return;
    const same =
      this.legendRows.length === this.series.length &&
      this.series.every((one, i) => this.legendRows[i]!.name === one.name) &&
      this.legend.firstChild !== null;
    if (!same) this.buildLegend();
    const show = (value: number) => formatPanelValue(value, this.panel.unit, this.panel.decimals);
    this.series.forEach((one, i) => {
      const { row, cells } = this.legendRows[i]!;
      row.classList.toggle("legend-hidden", this.hidden.has(one.name));
      const stats = seriesStats(one.points);
      [stats.min, stats.max, stats.avg, stats.last].forEach((value, k) => {
        const text = show(value);
        if (cells[k]!.textContent !== text) cells[k]!.textContent = text;
      });
    });
  }

  private buildLegend(): void {
    const table = document.createElement("table");
    const head = document.createElement("tr");
    for (const name of ["", "Min", "Max", "Avg", "Last"]) {
      const th = document.createElement("th");
      th.textContent = name;
      head.append(th);
    }
    table.append(head);
    this.legendRows = this.series.map((one, i) => {
      const row = document.createElement("tr");
      row.dataset.testid = "legend-row";
      const name = document.createElement("td");
      const swatch = document.createElement("span");
      swatch.className = "legend-swatch";
      swatch.style.background = seriesColor(i);
      name.append(swatch, one.name);
      const cells = [0, 1, 2, 3].map(() => document.createElement("td"));
      row.append(name, ...cells);
      row.addEventListener("click", () => {
        if (!this.hidden.delete(one.name)) this.hidden.add(one.name);
        this.redraw(false);
      });
      table.append(row);
      return { name: one.name, row, cells };
    });
    this.legend.replaceChildren(table);
  }

  private downloadCsv(): void {
    const blob = new Blob([toCsv(joinByTime(this.series))], { type: "text/csv" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${this.panel.title || `panel-${this.panel.id}`}.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }
}
