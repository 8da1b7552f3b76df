/// <reference lib="webworker" />
import { Chart, Decimation, LinearScale, LineController, LineElement, PointElement } from "chart.js";
import { isolated } from "../chart-geometry.ts";
import { formatClock } from "../format.ts";
import type { FromChartWorker, ToChartWorker } from "./chart-protocol.ts";
import type { PanelPoint } from "./panel-series.ts";
import { formatPanelValue } from "./value-format.ts";

/**
 * The dashboard's time series charts, drawn off the main thread: each panel hands over its canvas
 * (transferControlToOffscreen) and then only its lines as typed arrays; Chart.js lays out and draws here, and
 * posts back where the plot is so the page can place its crosshair and marks.
 */
Chart.register(LineController, LineElement, PointElement, LinearScale, Decimation);

const charts = new Map<number, Chart<"line", PanelPoint[]>>();
/** The newest data per chart not drawn yet: data arriving faster than frames is drawn once a frame. */
const pending = new Map<number, Extract<ToChartWorker, { type: "data" }>>();
let scheduled = false;
const nextFrame: (run: () => void) => void =
  typeof requestAnimationFrame === "function"
    ? (run) => requestAnimationFrame(run)
    : (run) => setTimeout(run, 0);
const GRID = "rgba(148, 163, 184, 0.12)";
const TICKS = "#8b95a7";

function geometry(id: number, data: boolean): void {
  const chart = charts.get(id);
  const x = chart?.scales.x;
  if (!chart || !x) return;
  const { left, right, top, bottom } = chart.chartArea;
  const message: FromChartWorker = {
    type: "drawn",
    id,
    data,
    geometry: { left, right, top, bottom, xMin: x.min, xMax: x.max },
  };
  postMessage(message);
}

/** Points from typed arrays, NaN kept (a gap). */
function points(xs: Float64Array, ys: Float64Array): PanelPoint[] {
  const out = new Array<PanelPoint>(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = { x: xs[i]!, y: ys[i]! };
  return out;
}

/** 0 for a line with no point standing alone, else a radius per point: a lone point (NaN both sides) is a dot. */
function loneDots(data: readonly PanelPoint[]): number | number[] {
  if (!data.some((_, i) => isolated(data, i))) return 0;
  return data.map((_, i) => (isolated(data, i) ? 2.5 : 0));
}

function drawPending(): void {
  scheduled = false;
  for (const message of pending.values()) {
    const chart = charts.get(message.id);
    if (!chart) continue;
    const x = chart.options.scales!.x!;
    x.min = message.from;
    x.max = message.to;
    chart.data.datasets = message.lines.map((line) => {
      const data = points(line.xs, line.ys);
      return {
        data,
        pointRadius: loneDots(data),
        hidden: line.hidden,
        borderColor: line.color,
        pointBackgroundColor: line.color,
        indexAxis: "x" as const,
      };
    });
    chart.update("none");
    geometry(message.id, true);
  }
  pending.clear();
}

self.onmessage = (event: MessageEvent<ToChartWorker>) => {
  const message = event.data;
  switch (message.type) {
    case "create": {
      const { panel } = message;
      const value = (v: number | string) => formatPanelValue(Number(v), panel.unit, panel.decimals);
      const chart = new Chart<"line", PanelPoint[]>(message.canvas as unknown as HTMLCanvasElement, {
        type: "line",
        data: { datasets: [] },
        options: {
          animation: false,
          responsive: false,
          maintainAspectRatio: false,
          devicePixelRatio: message.ratio,
          parsing: false,
          normalized: true,
          spanGaps: false,
          events: [],
          elements: { point: { radius: 0 }, line: { borderWidth: 1.25 } },
          plugins: { decimation: { enabled: true, algorithm: "min-max" } },
          scales: {
            x: {
              type: "linear",
              grid: { color: GRID },
              ticks: {
                color: TICKS,
                maxTicksLimit: 6,
                maxRotation: 0,
                callback: (v) => formatClock(Number(v)),
              },
            },
            y: {
              type: "linear",
              ...(panel.min !== undefined ? { min: panel.min } : {}),
              ...(panel.max !== undefined ? { max: panel.max } : {}),
              grid: { color: GRID },
              ticks: { color: TICKS, maxTicksLimit: 5, callback: value },
            },
          },
        },
      });
      charts.set(message.id, chart);
      break;
    }
    case "resize": {
      const chart = charts.get(message.id);
      if (!chart) break;
      chart.resize(message.width, message.height);
      geometry(message.id, false);
      break;
    }
    case "data":
      pending.set(message.id, message);
      if (!scheduled) {
        scheduled = true;
        nextFrame(drawPending);
      }
      break;
    case "destroy":
      charts.get(message.id)?.destroy();
      charts.delete(message.id);
      pending.delete(message.id);
      break;
  }
};
