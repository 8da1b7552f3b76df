import { describe, expect, it } from "vitest";
import { clippedPixel, isolated, spansGap } from "../../dashboard/src/chart-geometry.ts";
import { formatValue } from "../../dashboard/src/format.ts";
import { SeriesWindow } from "../../dashboard/src/series-window.ts";

const ys = (points: Array<{ y: number }>) => points.map((point) => point.y);
const inf = Number.POSITIVE_INFINITY;

describe("drawing NaN, ±Inf and staleness markers", () => {
  it("makes a bucket with a NaN a gap (its average is NaN) and keeps min and max to the other values", () => {
    const window = new SeriesWindow({ spanMs: 60_000, stepMs: 1000 });
    window.append([1000, 1100, 1200, 2000, 3000], [1, Number.NaN, 3, 5, Number.NaN]);
    expect(ys(window.avg)).toEqual([Number.NaN, 5, Number.NaN]);
    expect(ys(window.min)).toEqual([1, 5, Number.NaN]);
    expect(ys(window.max)).toEqual([3, 5, Number.NaN]);
  });

  it("keeps ±Inf as ±Inf in its bucket, for the chart to clip", () => {
    const window = new SeriesWindow({ spanMs: 60_000, stepMs: 1000 });
    window.append([1000, 1500, 2000, 2500], [inf, 2, inf, -inf]);
    expect(ys(window.avg)).toEqual([inf, Number.NaN]);
    expect(ys(window.min)).toEqual([2, -inf]);
    expect(ys(window.max)).toEqual([inf, inf]);
  });

  it("loads history whose NaN and ±Inf came as text", () => {
    const window = new SeriesWindow({ spanMs: 60_000, stepMs: 1000 });
    window.load({
      ts: [0, 1000],
      avg: ["NaN", "+Inf"],
      min: [1, 2],
      max: [3, "+Inf"],
      count: [3, 2],
      last: [3, "-Inf"],
    });
    expect(ys(window.avg)).toEqual([Number.NaN, inf]);
    expect(ys(window.max)).toEqual([3, inf]);
    expect(window.latest).toEqual({ x: 1000, y: -inf });
  });

  it("ends the line after the bucket a staleness marker falls in, and shows the reading as stale until a value comes", () => {
    const window = new SeriesWindow({ spanMs: 60_000, stepMs: 1000 });
    window.append([1000, 1500, 2000], [1, Number.NaN, 2], [false, true, false]);
    // The marker is no value: the bucket keeps 1, and the line breaks after it.
    expect(ys(window.avg)).toEqual([1, 2]);
    expect(window.sampleCount).toBe(2);
    expect(spansGap(window, 1000, 2000)).toBe(true);
    window.append([5000, 5100], [3, Number.NaN], [false, true]);
    expect(window.latest).toEqual({ x: 5100, y: Number.NaN });
    expect(window.latestIsStale).toBe(true);
    window.append([6000], [4]);
    expect(window.latestIsStale).toBe(false);
    // A marker in an empty bucket ends the line after the newest bucket before it.
    window.append([8000], [Number.NaN], [true]);
    expect(spansGap(window, 6000, 9000)).toBe(true);
    expect(spansGap(window, 2000, 3000)).toBe(false);
  });

  it("draws on when the series comes back within the marker's bucket", () => {
    const window = new SeriesWindow({ spanMs: 60_000, stepMs: 1000 });
    window.append([1000, 1500, 1800, 2000], [1, Number.NaN, 5, 2], [false, true, false, false]);
    expect(spansGap(window, 1000, 2000)).toBe(false);
    expect(ys(window.avg)).toEqual([3, 2]);
  });

  it("clips +Inf to the plot area's top and -Inf to its bottom, leaving other values where their scale put them", () => {
    const area = { top: 10, bottom: 200 };
    expect(clippedPixel(inf, 32767, area)).toBe(10);
    expect(clippedPixel(-inf, -32768, area)).toBe(200);
    expect(clippedPixel(5, 120, area)).toBe(120);
  });

  it("shows a bucket between gaps as a dot, as it draws no line", () => {
    const points = [1, Number.NaN, 2, 3, Number.NaN, 4].map((y, x) => ({ x, y }));
    expect(points.map((_, i) => isolated(points, i))).toEqual([true, false, false, false, false, true]);
    expect(isolated([{ x: 0, y: 5 }], 0)).toBe(true);
  });

  it("names NaN and the infinities on a card", () => {
    expect([Number.NaN, inf, -inf].map(formatValue)).toEqual(["NaN", "+Inf", "−Inf"]);
  });
});
