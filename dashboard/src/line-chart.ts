import { Chart, Decimation, Filler, LinearScale, LineController, LineElement, PointElement } from "chart.js";
import { formatAxisValue, formatClock } from "./format.ts";
import type { ChartPoint } from "./series-window.ts";

// Only what a streaming line chart draws; no tooltips, legend or time adapter.
Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Decimation);

export type LineChart = Chart<"line", ChartPoint[]>;

const GRID_COLOR = "rgba(148, 163, 184, 0.12)";
const TICK_COLOR = "#8b95a7";

/**
 * A line chart over `points`, which the caller keeps mutating; call `update("none")` to redraw.
 * The x axis is linear over epoch ms with clock labels, so no date adapter is needed.
 */
export function createLineChart(canvas: HTMLCanvasElement, points: ChartPoint[], color: string): LineChart {
  return new Chart<"line", ChartPoint[]>(canvas, {
    type: "line",
    data: {
      datasets: [
        {
          data: points,
          borderColor: color,
          backgroundColor: `${color}22`,
          borderWidth: 1.5,
          pointRadius: 0,
          fill: "start",
        },
      ],
    },
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      events: [],
      plugins: { decimation: { enabled: true, algorithm: "min-max" } },
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
