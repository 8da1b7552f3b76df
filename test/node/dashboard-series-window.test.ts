import { describe, expect, it } from "vitest";
import { SeriesWindow } from "../../dashboard/src/series-window.ts";

const xs = (window: SeriesWindow) => window.avg.map((point) => point.x);
const ys = (points: Array<{ y: number }>) => points.map((point) => point.y);

describe("SeriesWindow", () => {
  it("folds live points into buckets that start at multiples of the step", () => {
    const window = new SeriesWindow({ spanMs: 60_000, stepMs: 1000 });
    window.append([1000, 1400, 1900], [1, 5, 3]);
    window.append([2100], [10]);
    expect(xs(window)).toEqual([1000, 2000]);
    expect(ys(window.avg)).toEqual([3, 10]);
    expect(ys(window.min)).toEqual([1, 10]);
    expect(ys(window.max)).toEqual([5, 10]);
    expect(window.sampleCount).toBe(4);
  });

  it("reports the newest reading unaggregated, whatever bucket it fell into", () => {
    const window = new SeriesWindow({ spanMs: 60_000, stepMs: 1000 });
    window.append([1000, 1900, 1400], [1, 3, 5]);
    expect(window.latest).toEqual({ x: 1900, y: 3 });
    window.note(1800, 7);
    expect(window.latest).toEqual({ x: 1900, y: 3 });
    window.note(2500, 7);
    expect(window.latest).toEqual({ x: 2500, y: 7 });
    expect(window.sampleCount).toBe(3);
  });

  it("loads history buckets and merges live points into the last one exactly", () => {
    const window = new SeriesWindow({ spanMs: 60_000, stepMs: 1000 });
    window.load({ ts: [0, 1000], avg: [2, 4], min: [1, 3], max: [3, 5], count: [2, 2], last: [3, 5] });
    expect(window.latest).toEqual({ x: 1000, y: 5 });
    window.append([1500, 2000], [10, 7]);
    expect(xs(window)).toEqual([0, 1000, 2000]);
    // (3 + 5 + 10) / 3
    expect(ys(window.avg)).toEqual([2, 6, 7]);
    expect(ys(window.min)).toEqual([1, 3, 7]);
    expect(ys(window.max)).toEqual([3, 10, 7]);
    expect(window.sampleCount).toBe(6);
  });

  it("drops buckets that start more than the span before the newest", () => {
    const window = new SeriesWindow({ spanMs: 2000, stepMs: 1000 });
    window.append([0, 1000, 2000, 3000], [0, 0, 0, 0]);
    expect(xs(window)).toEqual([1000, 2000, 3000]);
    window.append([9000], [1]);
    expect(xs(window)).toEqual([9000]);
  });

  it("slots a late point into its bucket, or a new bucket in time order", () => {
    const window = new SeriesWindow({ spanMs: 60_000, stepMs: 1000 });
    window.append([1000, 5000], [1, 5]);
    window.append([1500, 3000], [3, 9]);
    expect(xs(window)).toEqual([1000, 3000, 5000]);
    expect(ys(window.avg)).toEqual([2, 9, 5]);
  });

  it("mutates its arrays in place, so a chart holding them sees every change", () => {
    const window = new SeriesWindow({ spanMs: 60_000, stepMs: 1000 });
    const held = [window.avg, window.min, window.max];
    window.append([1, 2, 3], [1, 2, 3]);
    window.configure({ spanMs: 3_600_000, stepMs: 60_000 });
    expect([window.avg, window.min, window.max]).toEqual(held);
    expect(held.every((points) => points.length === 0)).toBe(true);
    expect(window.latest).toEqual({ x: 3, y: 3 });
    window.append([120_500], [4]);
    expect(xs(window)).toEqual([120_000]);
  });

  it("draws a counter as its rate between buckets, reading a drop as a reset", () => {
    const window = new SeriesWindow({ spanMs: 60_000, stepMs: 1000 });
    window.append([1000, 1500, 2500, 3500, 4500], [10, 20, 40, 5, 15]);
    // 20 -> 40 over 1 s; 40 -> 5 is a restart (+5); 5 -> 15 over 1 s.
    expect(window.rates()).toEqual([
      { x: 2000, y: 20 },
      { x: 3000, y: 5 },
      { x: 4000, y: 10 },
    ]);
  });

  it("uses the board's rates for history buckets, and its own after them", () => {
    const window = new SeriesWindow({ spanMs: 60_000, stepMs: 1000 });
    window.load({
      ts: [1000, 2000],
      avg: [5, 15],
      min: [0, 10],
      max: [10, 20],
      count: [2, 2],
      last: [10, 20],
      rate: [null, 7.5],
    });
    window.append([3999], [30]);
    // History's last bucket is taken to end at 2999: 10 more by 3999 is 10/s.
    expect(window.rates()).toEqual([
      { x: 2000, y: 7.5 },
      { x: 3000, y: 10 },
    ]);
  });
});
