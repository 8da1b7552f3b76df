import { describe, expect, it } from "vitest";
import { joinByTime, toCsv } from "../../dashboard/src/dashboards/csv.ts";
import { heatmapCells } from "../../dashboard/src/dashboards/heatmap-buckets.ts";
import {
  appendSteps,
  legendName,
  nearestPoint,
  type PanelSeries,
  seriesOfAnswer,
  seriesStats,
} from "../../dashboard/src/dashboards/panel-series.ts";
import { cssColor, formatPanelValue, thresholdColor } from "../../dashboard/src/dashboards/value-format.ts";

const series = (
  name: string,
  labels: Record<string, string>,
  points: Array<[number, number]>,
): PanelSeries => ({
  name,
  refId: "A",
  labels,
  points: points.map(([x, y]) => ({ x, y })),
});

describe("a panel's series", () => {
  it("are named by legendFormat, a label it lacks left empty; without one, by their labels", () => {
    const labels = { __name__: "node_cpu_seconds_total", instance: "a:9100", mode: "idle" };
    expect(legendName("{{instance}} {{ mode }}", labels)).toBe("a:9100 idle");
    expect(legendName("{{job}}/{{mode}}", labels)).toBe("/idle");
    expect(legendName("", labels)).toBe('node_cpu_seconds_total{instance="a:9100", mode="idle"}');
    expect(legendName("", { __name__: "up" })).toBe("up");
    expect(legendName("", {})).toBe("{}");
  });

  it("come from matrix, vector and scalar answers, in ms, with NaN and ±Inf as numbers", () => {
    const matrix = seriesOfAnswer(
      {
        resultType: "matrix",
        result: [
          {
            metric: { instance: "a" },
            values: [
              [1700000000, "1.5"],
              [1700000015.5, "NaN"],
              [1700000030, "+Inf"],
            ],
          },
        ],
      },
      { refId: "A", legendFormat: "{{instance}}" },
    );
    expect(matrix).toEqual([
      series("a", { instance: "a" }, [
        [1700000000000, 1.5],
        [1700000015500, Number.NaN],
        [1700000030000, Number.POSITIVE_INFINITY],
      ]),
    ]);
    const vector = seriesOfAnswer(
      { resultType: "vector", result: [{ metric: {}, value: [1700000000, "-Inf"] }] },
      { refId: "B", legendFormat: "" },
    );
    expect(vector[0]).toMatchObject({
      name: "{}",
      refId: "B",
      points: [{ x: 1700000000000, y: Number.NEGATIVE_INFINITY }],
    });
    const scalar = seriesOfAnswer(
      { resultType: "scalar", result: [1700000000, "2"] },
      { refId: "C", legendFormat: "" },
    );
    expect(scalar).toEqual(
      [series("scalar", {}, [[1700000000000, 2]])].map((one) => ({ ...one, refId: "C" })),
    );
  });

  it("have min, max, avg and last over their finite values; NaN for a series without any", () => {
    const one = series("a", {}, [
      [1, 4],
      [2, Number.NaN],
      [3, 1],
      [4, Number.POSITIVE_INFINITY],
      [5, 7],
    ]);
    expect(seriesStats(one.points)).toEqual({ min: 1, max: 7, avg: 4, last: 7 });
    const none = seriesStats(series("b", {}, [[1, Number.NaN]]).points);
    expect(Object.values(none).every(Number.isNaN)).toBe(true);
  });

  it("find the point nearest a time under the crosshair", () => {
    const points = series("a", {}, [
      [10, 1],
      [20, 2],
      [30, 3],
    ]).points;
    expect(nearestPoint(points, 0)).toEqual({ x: 10, y: 1 });
    expect(nearestPoint(points, 16)).toEqual({ x: 20, y: 2 });
    expect(nearestPoint(points, 14)).toEqual({ x: 10, y: 1 });
    expect(nearestPoint(points, 99)).toEqual({ x: 30, y: 3 });
    expect(nearestPoint([], 5)).toBeNull();
  });
});

describe("a live panel's incremental refresh", () => {
  it("keeps the points still in range, replaces those from the fresh query's start, and adds new series", () => {
    const old = [
      series("a", { host: "a" }, [
        [10, 1],
        [20, 2],
        [30, 3],
        [40, 4],
      ]),
      series("gone", { host: "gone" }, [
        [10, 1],
        [20, 1],
      ]),
      series("left", { host: "left" }, [[30, 1]]),
    ];
    const fresh = [
      series("a", { host: "a" }, [
        [40, 4.5],
        [50, 5],
      ]),
      series("new", { host: "new" }, [[50, 9]]),
    ];
    const merged = appendSteps(old, fresh, 25, 40);
    expect(merged).toEqual([
      series("a", { host: "a" }, [
        [30, 3],
        [40, 4.5],
        [50, 5],
      ]),
      series("left", { host: "left" }, [[30, 1]]),
      series("new", { host: "new" }, [[50, 9]]),
    ]);
  });
});

describe("CSV and the table view", () => {
  it("join series by time, a time a series lacks an empty cell, and quote names as RFC 4180 does", () => {
    const table = joinByTime([
      series('cpu "a", total', {}, [
        [2000, 1],
        [1000, 0.5],
      ]),
      series("b", {}, [[2000, Number.NaN]]),
    ]);
    expect(table.columns).toEqual(["Time", 'cpu "a", total', "b"]);
    expect(table.rows).toEqual([
      [1000, 0.5, null],
      [2000, 1, Number.NaN],
    ]);
    expect(toCsv(table)).toBe(
      'Time,"cpu ""a"", total",b\r\n1970-01-01T00:00:01.000Z,0.5,\r\n1970-01-01T00:00:02.000Z,1,NaN\r\n',
    );
  });
});

describe("heatmap cells", () => {
  it("turn cumulative le buckets into each bucket's own count, summed over label sets, +Inf last", () => {
    const bucket = (le: string, pod: string, values: Array<[number, number]>) =>
      series(le, { le, pod }, values);
    const cells = heatmapCells([
      bucket("+Inf", "a", [[1, 10]]),
      bucket("0.5", "a", [[1, 6]]),
      bucket("0.1", "a", [[1, 2]]),
      bucket("0.1", "b", [[1, 1]]),
      bucket("0.5", "b", [[1, 1]]),
      bucket("+Inf", "b", [[1, 4]]),
    ]);
    expect(cells.rows).toEqual(["0.1", "0.5", "+Inf"]);
    expect(cells.counts).toEqual([[3, 4, 7]]);
    expect(cells.max).toBe(7);
  });

  it("draw series without le as rows of their own values", () => {
    const cells = heatmapCells([
      series("x", {}, [
        [1, 5],
        [2, 6],
      ]),
      series("y", {}, [[2, 1]]),
    ]);
    expect(cells).toEqual({
      rows: ["x", "y"],
      times: [1, 2],
      counts: [
        [5, null],
        [6, 1],
      ],
      max: 6,
    });
  });
});

describe("values in Grafana's units and thresholds", () => {
  it("formats the common units, with the panel's decimals when set", () => {
    expect(formatPanelValue(42.123, "percent")).toBe("42.1%");
    expect(formatPanelValue(0.4213, "percentunit", 1)).toBe("42.1%");
    expect(formatPanelValue(1536, "bytes")).toBe("1.5 KiB");
    expect(formatPanelValue(1_500_000, "decbytes")).toBe("1.5 MB");
    expect(formatPanelValue(0.25, "s")).toBe("250 ms");
    expect(formatPanelValue(90, "s")).toBe("1.5 min");
    expect(formatPanelValue(1234, "reqps")).toBe("1.23 k req/s");
    expect(formatPanelValue(21.5, "celsius", 1)).toBe("21.5 °C");
    expect(formatPanelValue(12345)).toBe("12.3 k");
    expect(formatPanelValue(3, "widgets")).toBe("3 widgets");
    expect(formatPanelValue(Number.NaN, "percent")).toBe("NaN");
    expect(formatPanelValue(Number.NEGATIVE_INFINITY, "bytes")).toBe("-Inf");
  });

  it("colors a value by the highest step it reaches, the base step reaching all", () => {
    const steps = [
      { value: null, color: "green" },
      { value: 80, color: "orange" },
      { value: 90, color: "red" },
    ];
    expect(thresholdColor(steps, 10)).toBe("green");
    expect(thresholdColor(steps, 80)).toBe("orange");
    expect(thresholdColor(steps, 95)).toBe("red");
    expect(thresholdColor(steps, Number.NaN)).toBe("green");
    expect(thresholdColor(undefined, 5)).toBeNull();
    expect(cssColor("red")).toBe("#f2495c");
    expect(cssColor("#123456")).toBe("#123456");
  });
});
