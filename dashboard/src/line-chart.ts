import {
  Chart,
  type ChartOptions,
  Decimation,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  type Plugin,
  PointElement,
  type ScriptableLineSegmentContext,
  Tooltip,
} from "chart.js";
import type { AlertMark } from "./alert-state.ts";
import { type ChartSeries, clippedPixel, isolated, spansGap } from "./chart-geometry.ts";
import { formatAxisValue, formatTick, formatTimestamp, formatValue } from "./format.ts";
import type { ChartPoint } from "./series-window.ts";

// Only what a streaming line chart draws, and its tooltip; no legend or time adapter.
Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Decimation, Tooltip);

export type LineChart = Chart<"line", ChartPoint[]>;

const GRID_COLOR = "rgba(148, 163, 184, 0.12)";
const TICK_COLOR = "#8b95a7";
const LINE = 0;
const BAND = [1, 2];
const THRESHOLD_COLOR = "#f87171";

/** Alert thresholds per chart, drawn as dashed lines where they fall within the y axis. */
const thresholds = new WeakMap<LineChart, number[]>();

const thresholdLines: Plugin<"line"> = {
  id: "thresholdLines",
  afterDatasetsDraw(chart) {
    const values = thresholds.get(chart as LineChart);
    if (!values?.length) return;
    const { ctx, chartArea, scales } = chart;
    ctx.save();
    ctx.strokeStyle = THRESHOLD_COLOR;
    ctx.setLineDash([4, 3]);
    ctx.lineWidth = 1;
    for (const value of values) {
      const y = scales.y!.getPixelForValue(value);
      if (y < chartArea.top || y > chartArea.bottom) continue;
      ctx.beginPath();
      ctx.moveTo(chartArea.left, y);
      ctx.lineTo(chartArea.right, y);
      ctx.stroke();
    }
    ctx.restore();
  },
};

const MARK_COLORS: Record<AlertMark["state"], string> = {
  pending: "#fbbf24",
  firing: "#f87171",
  resolved: "#34d399",
};

const marks = new WeakMap<LineChart, AlertMark[]>();

/** Alert transitions of the chart's series (annotations, as Grafana draws alert state changes) within its x axis. */
const alertMarks: Plugin<"line"> = {
  id: "alertMarks",
  afterDatasetsDraw(chart) {
    const shown = marks.get(chart as LineChart);
    if (!shown?.length) return;
    const { ctx, chartArea, scales } = chart;
    ctx.save();
    ctx.lineWidth = 1.5;
    for (const mark of shown) {
      const x = scales.x!.getPixelForValue(mark.at);
      if (x < chartArea.left || x > chartArea.right) continue;
      ctx.strokeStyle = MARK_COLORS[mark.state];
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
    }
    ctx.restore();
  },
};

/** Sets the alert transitions a chart draws (its next update shows them). */
export function setAlertMarks(chart: LineChart, values: AlertMark[]): void {
  marks.set(chart, values);
}

/** A vertical line through the point the tooltip shows: where the pointer is, in time. */
const crosshair: Plugin<"line"> = {
  id: "crosshair",
  afterDatasetsDraw(chart) {
    const active = chart.tooltip?.getActiveElements()[0];
    if (!active) return;
    const { ctx, chartArea } = chart;
    ctx.save();
    ctx.strokeStyle = TICK_COLOR;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(active.element.x, chartArea.top);
    ctx.lineTo(active.element.x, chartArea.bottom);
    ctx.stroke();
    ctx.restore();
  },
};

/** Moves ±Inf points to the plot area's edges once the points are laid out, before anything is drawn. */
const clipInfinities: Plugin<"line"> = {
  id: "clipInfinities",
  afterDatasetsUpdate(chart) {
    chart.data.datasets.forEach((_, index) => {
      const meta = chart.getDatasetMeta(index);
      meta.data.forEach((element, i) => {
        const y = (meta._parsed[i] as ChartPoint | undefined)?.y;
        if (y !== Number.POSITIVE_INFINITY && y !== Number.NEGATIVE_INFINITY) return;
        const point = element as unknown as { y: number; skip: boolean };
        point.y = clippedPixel(y, point.y, chart.chartArea);
        point.skip = false;
      });
    });
  },
};

/** Sets the thresholds a chart draws (its next update shows them). */
export function setThresholds(chart: LineChart, values: number[]): void {
  thresholds.set(chart, values);
}

/** What every chart here shares: no animation or parsing, pointer events only (tooltips and the crosshair follow the
 * pointer; data updates never animate), and the nearest point in time under the pointer. */
const STREAMING = {
  animation: false,
  parsing: false,
  normalized: true,
  responsive: true,
  maintainAspectRatio: false,
  events: ["mousemove", "mouseout", "touchstart", "touchmove"],
  interaction: { mode: "nearest", axis: "x", intersect: false },
} as const satisfies ChartOptions<"line">;

/** A linear time axis with clock labels (dates on long spans), and a compact value axis. */
function timeScales() {
  return {
    x: {
      type: "linear",
      grid: { color: GRID_COLOR },
      ticks: {
        color: TICK_COLOR,
        maxRotation: 0,
        maxTicksLimit: 4,
        // The axis bounds move with every point; labelling them would make the labels jitter.
        includeBounds: false,
        callback(value) {
          return formatTick(Number(value), (this.max ?? 0) - (this.min ?? 0));
        },
      },
    },
    y: {
      grid: { color: GRID_COLOR },
      ticks: { color: TICK_COLOR, maxTicksLimit: 4, callback: (value) => formatAxisValue(Number(value)) },
    },
  } satisfies ChartOptions<"line">["scales"];
}

/**
 * A line chart over `series.avg`, with a min/max band behind it when `showBand` turns it on; call
 * `update("none")` to redraw. The x axis is linear over epoch ms with clock labels (dates on long spans), so no date
 * adapter is needed.
 */
export function createLineChart(
  canvas: HTMLCanvasElement,
  series: ChartSeries,
  color: string,
  unit = "",
): LineChart {
  // A gap is a break, not a straight line (or band) across the time nothing arrived.
  const gapped = (context: ScriptableLineSegmentContext) =>
    spansGap(series, context.p0.parsed.x ?? 0, context.p1.parsed.x ?? 0) ? "transparent" : undefined;
  const segment = { borderColor: gapped, backgroundColor: gapped };
  const edge = { borderWidth: 0, pointRadius: 0, hidden: true, segment };
  return new Chart<"line", ChartPoint[]>(canvas, {
    type: "line",
    plugins: [clipInfinities, thresholdLines, alertMarks, crosshair],
    data: {
      // Chart.js draws the first dataset on top: the line over its band.
      datasets: [
        {
          data: series.avg,
          borderColor: color,
          backgroundColor: `${color}22`,
          borderWidth: 1.5,
          // A lone bucket (or one between gaps) draws no line: show it as a dot.
          pointRadius: (context) =>
            isolated(context.dataset.data as ChartPoint[], context.dataIndex) ? 2.5 : 0,
          pointBackgroundColor: color,
          fill: "start",
          segment,
        },
        { ...edge, data: series.min },
        { ...edge, data: series.max, backgroundColor: `${color}33`, fill: "-1" },
      ],
    },
    options: {
      ...STREAMING,
      plugins: {
        decimation: { enabled: true, algorithm: "lttb" },
        legend: { display: false },
        tooltip: {
          animation: false,
          displayColors: false,
          // The line's bucket; the band's edges are named in its text.
          filter: (item) => item.datasetIndex === LINE,
          callbacks: {
            title: (items) => formatTimestamp(items[0]?.parsed.x ?? 0),
            label: (item) => {
              const i = item.dataIndex;
              const low = series.min[i]?.y;
              const high = series.max[i]?.y;
              const suffix = unit ? ` ${unit}` : "";
              const band =
                low !== undefined && high !== undefined && low !== high
                  ? ` (min ${formatValue(low)}, max ${formatValue(high)})`
                  : "";
              return `${formatValue(item.parsed.y ?? 0)}${suffix}${band}`;
            },
          },
        },
      },
      scales: timeScales(),
    },
  });
}

/** Shows or hides the min/max band; the area under the line is drawn only without it. */
export function showBand(chart: LineChart, visible: boolean): void {
  const datasets = chart.data.datasets;
  datasets[LINE]!.fill = visible ? false : "start";
  for (const index of BAND) datasets[index]!.hidden = !visible;
}
