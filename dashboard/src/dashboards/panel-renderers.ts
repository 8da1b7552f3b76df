import type { Panel } from "../../../worker/protocol/dashboards.ts";
import { formatClock } from "../format.ts";
import { joinByTime } from "./csv.ts";
import { heatmapCells } from "./heatmap-buckets.ts";
import { lastValue, type PanelSeries } from "./panel-series.ts";
import { cssColor, formatPanelValue, thresholdColor } from "./value-format.ts";

/**
 * How each non-time-series panel type draws its data into its box: stat (the last value, colored by the
 * thresholds), gauge (an SVG arc from min to max), bar gauge (a bar per series), table (a row per series and its
 * labels), heatmap (a canvas of bucket counts) and text (the panel's content, as text: nothing is parsed as HTML).
 */
export type DrawPanel = (box: HTMLElement, panel: Panel, series: PanelSeries[]) => void;

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string) => {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
};

const show = (panel: Panel, value: number) => formatPanelValue(value, panel.unit, panel.decimals);
const colorOf = (panel: Panel, value: number) => cssColor(thresholdColor(panel.thresholds, value) ?? "green");

const drawStat: DrawPanel = (box, panel, series) => {
  const list = el("div", "stat-list");
  for (const one of series.length > 0 ? series : [null]) {
    const value = one ? lastValue(one) : Number.NaN;
    const stat = el("div", "stat");
    stat.dataset.testid = "stat-value";
    const number = el("span", "stat-value", one ? show(panel, value) : "No data");
    number.style.color = colorOf(panel, value);
    stat.append(number);
    if (one && series.length > 1) stat.append(el("span", "stat-name", one.name));
    list.append(stat);
  }
  box.replaceChildren(list);
};

const SVG = "http://www.w3.org/2000/svg";
function arc(radius: number, fromTurn: number, toTurn: number, color: string, width: number): SVGPathElement {
  // The gauge spans 3/4 of a turn, from the lower left (turn 0) to the lower right (turn 1).
  const angle = (turn: number) => Math.PI * (0.75 + 1.5 * turn);
  const point = (turn: number) =>
    `${50 + radius * Math.cos(angle(turn))} ${50 + radius * Math.sin(angle(turn))}`;
  const path = document.createElementNS(SVG, "path");
  const large = (toTurn - fromTurn) * 1.5 > 1 ? 1 : 0;
  path.setAttribute("d", `M ${point(fromTurn)} A ${radius} ${radius} 0 ${large} 1 ${point(toTurn)}`);
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", color);
  path.setAttribute("stroke-width", String(width));
  return path;
}

const drawGauge: DrawPanel = (box, panel, series) => {
  const min = panel.min ?? 0;
  const max = panel.max ?? 100;
  const turn = (value: number) => Math.min(1, Math.max(0, (value - min) / (max - min || 1)));
  const list = el("div", "gauge-list");
  for (const one of series.length > 0 ? series : [null]) {
    const value = one ? lastValue(one) : Number.NaN;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 100 90");
    svg.classList.add("gauge");
    svg.append(arc(40, 0, 1, "rgba(148,163,184,0.18)", 10));
    const steps = panel.thresholds ?? [];
    steps.forEach((step, i) => {
      const next = steps[i + 1]?.value ?? max;
      svg.append(arc(47, turn(step.value ?? min), turn(next), cssColor(step.color), 2));
    });
    if (Number.isFinite(value))
      svg.append(arc(40, 0, Math.max(0.001, turn(value)), colorOf(panel, value), 10));
    const text = document.createElementNS(SVG, "text");
    text.setAttribute("x", "50");
    text.setAttribute("y", "56");
    text.setAttribute("text-anchor", "middle");
    text.classList.add("gauge-text");
    text.textContent = one ? show(panel, value) : "No data";
    svg.append(text);
    const item = el("figure", "gauge-item");
    item.dataset.testid = "gauge";
    item.append(svg);
    if (one && series.length > 1) item.append(el("figcaption", "stat-name", one.name));
    list.append(item);
  }
  box.replaceChildren(list);
};

const drawBarGauge: DrawPanel = (box, panel, series) => {
  const values = series.map(lastValue);
  const min = panel.min ?? 0;
  const max = panel.max ?? Math.max(min + 1, ...values.filter(Number.isFinite));
  const list = el("div", "bargauge");
  series.forEach((one, i) => {
    const value = values[i]!;
    const row = el("div", "bargauge-row");
    row.dataset.testid = "bargauge-row";
    const bar = el("div", "bargauge-bar");
    const fill = el("div", "bargauge-fill");
    fill.style.width = `${Math.min(100, Math.max(0, ((value - min) / (max - min || 1)) * 100))}%`;
    fill.style.background = colorOf(panel, value);
    bar.append(fill);
    row.append(el("span", "bargauge-name", one.name), bar, el("span", "bargauge-value", show(panel, value)));
    list.append(row);
  });
  if (series.length === 0) list.append(el("p", "panel-empty", "No data"));
  box.replaceChildren(list);
};

/** A table of the series' latest values: a column per label, then Value. */
const drawTable: DrawPanel = (box, panel, series) => {
  const labels = [...new Set(series.flatMap((one) => Object.keys(one.labels)))].sort();
  const table = el("table", "panel-table");
  const head = el("tr");
  for (const name of [...labels, "Value"]) head.append(el("th", undefined, name));
  table.append(head);
  for (const one of series) {
    const row = el("tr");
    for (const name of labels) row.append(el("td", undefined, one.labels[name] ?? ""));
    const value = lastValue(one);
    const cell = el("td", "panel-table-value", show(panel, value));
    const color = thresholdColor(panel.thresholds, value);
    if (color && (panel.thresholds?.length ?? 0) > 1) cell.style.color = cssColor(color);
    row.append(cell);
    table.append(row);
  }
  box.replaceChildren(table);
};

/** Any panel's data as a table by time: what "view as table" shows. */
export function drawDataTable(box: HTMLElement, panel: Panel, series: PanelSeries[]): void {
  const data = joinByTime(series);
  const table = el("table", "panel-table");
  table.dataset.testid = "data-table";
  const head = el("tr");
  for (const name of data.columns) head.append(el("th", undefined, name));
  table.append(head);
  for (const [time, ...values] of data.rows.slice(-500).reverse()) {
    const row = el("tr");
    row.append(el("td", undefined, new Date(time!).toLocaleString(undefined, { hour12: false })));
    for (const value of values) row.append(el("td", undefined, value === null ? "" : show(panel, value)));
    table.append(row);
  }
  box.replaceChildren(table);
}

const drawHeatmap: DrawPanel = (box, _panel, series) => {
  const cells = heatmapCells(series);
  const canvas = el("canvas", "heatmap");
  const labels = el("div", "heatmap-rows");
  for (const row of [...cells.rows].reverse()) labels.append(el("span", undefined, row));
  box.replaceChildren(labels, canvas);
  const width = Math.max(1, box.clientWidth - 48);
  const height = Math.max(1, box.clientHeight - 16);
  const ratio = devicePixelRatio || 1;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  if (!ctx || cells.times.length === 0) return;
  ctx.scale(ratio, ratio);
  const cellW = width / cells.times.length;
  const cellH = height / cells.rows.length;
  cells.counts.forEach((column, t) => {
    column.forEach((count, r) => {
      if (count === null || count === 0) return;
      ctx.fillStyle = `rgba(255, 152, 48, ${0.15 + 0.85 * (count / (cells.max || 1))})`;
      ctx.fillRect(t * cellW, height - (r + 1) * cellH, Math.ceil(cellW), Math.ceil(cellH));
    });
  });
  const first = cells.times[0]!;
  const last = cells.times.at(-1)!;
  canvas.title = `${formatClock(first)} – ${formatClock(last)}, ${cells.rows.length} buckets`;
};

/** A text panel's `options.content`: lines starting with `#` as headings, the rest as paragraphs, all as text. */
const drawText: DrawPanel = (box, panel) => {
  const content = typeof panel.options?.content === "string" ? panel.options.content : "";
  const text = el("div", "panel-text");
  for (const block of content.split(/\n{2,}/)) {
    const heading = /^(#{1,6})\s+(.*)$/s.exec(block.trim());
    if (heading) text.append(el(`h${Math.min(6, heading[1]!.length + 2)}` as "h3", undefined, heading[2]!));
    else if (block.trim()) text.append(el("p", undefined, block.trim()));
  }
  box.replaceChildren(text);
};

export const DRAW: Record<Exclude<Panel["type"], "timeseries">, DrawPanel> = {
  stat: drawStat,
  gauge: drawGauge,
  bargauge: drawBarGauge,
  table: drawTable,
  heatmap: drawHeatmap,
  text: drawText,
};
