import { Chart, Decimation, Filler, LinearScale, LineController, LineElement, PointElement } from "chart.js";
import { formatAxisValue, formatClock } from "./format.ts";
import type { ChartPoint } from "./series-window.ts";

// Only what a streaming line chart draws; no tooltips, legend or time adapter.
Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Decimation);

export type LineChart = Chart<"line", ChartPoint[]>;

/** The arrays a chart draws, which the caller keeps mutating: the line, and the band's lower and upper edge. */
export interface ChartSeries {
  avg: ChartPoint[];
  min: ChartPoint[];
  max: ChartPoint[];
}

const GRID_COLOR = "rgba(148, 163, 184, 0.12)";
const TICK_COLOR = "#8b95a7";
const LINE = 0;
const BAND = [1, 2];

/**
 * A line chart over `series.avg`, with a min/max band behind it when `showBand` turns it on; call
 * `update("none")` to redraw. The x axis is linear over epoch ms with clock labels, so no date adapter is needed.
 */
export function createLineChart(canvas: HTMLCanvasElement, series: ChartSeries, color: string): LineChart {
  const edge = { borderWidth: 0, pointRadius: 0, hidden: true };
  return new Chart<"line", ChartPoint[]>(canvas, {
    type: "line",
    data: {
      // Chart.js draws the first dataset on top: the line over its band.
      datasets: [
        {
          data: series.avg,
          borderColor: color,
          backgroundColor: `${color}22`,
          borderWidth: 1.5,
          // A lone bucket draws no line: show it as a dot.
          pointRadius: (context) => (context.dataset.data.length === 1 ? 2.5 : 0),
          pointBackgroundColor: color,
          fill: "start",
        },
        { ...edge, data: series.min },
        { ...edge, data: series.max, backgroundColor: `${color}33`, fill: "-1" },
      ],
    },
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      events: [],
      plugins: { decimation: { enabled: true, algorithm: "lttb" } },
      scales: {
        x: {
          type: "linear",
          grid: { color: GRID_COLOR },
          ticks: {
            color: TICK_COLOR,
            maxRotation: 0,
            maxTicksLimit: 4,
            // The axis bounds move with every point; labelling them would make the labels jitter.
            includeBounds: false,
            callback: (value) => formatClock(Number(value)),
          },
        },
        y: {
          grid: { color: GRID_COLOR },
          ticks: { color: TICK_COLOR, maxTicksLimit: 4, callback: (value) => formatAxisValue(Number(value)) },
        },
      },
    },
  });
}

/** Shows or hides the min/max band; the area under the line is drawn only without it. */
export function showBand(chart: LineChart, visible: boolean): void {
  const datasets = chart.data.datasets;
  datasets[LINE]!.fill = visible ? false : "start";
  for (const index of BAND) datasets[index]!.hidden = !visible;
}
