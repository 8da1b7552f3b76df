import { describe, expect, it } from "vitest";
import { SeriesWindow } from "../../dashboard/src/series-window.ts";

const xs = (window: SeriesWindow) => window.points.map((point) => point.x);

describe("SeriesWindow", () => {
  it("appends points in time order and reports the latest", () => {
    const window = new SeriesWindow({ maxPoints: 10, spanMs: 60_000 });
    window.append([1000, 2000], [1, 2]);
    window.append([3000], [3]);
    expect(window.points).toEqual([
      { x: 1000, y: 1 },
      { x: 2000, y: 2 },
      { x: 3000, y: 3 },
    ]);
    expect(window.latest).toEqual({ x: 3000, y: 3 });
  });

  it("keeps at most maxPoints, dropping the oldest", () => {
    const window = new SeriesWindow({ maxPoints: 3, spanMs: 60_000 });
    window.append([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]);
    expect(xs(window)).toEqual([3, 4, 5]);
  });

  it("drops points older than the span before the newest one", () => {
    const window = new SeriesWindow({ maxPoints: 100, spanMs: 1000 });
    window.append([0, 500, 1000, 1500], [0, 0, 0, 0]);
    expect(xs(window)).toEqual([500, 1000, 1500]);
    window.append([5000], [1]);
    expect(xs(window)).toEqual([5000]);
  });

  it("slots a late point into place and lets a repeated timestamp replace the value", () => {
    const window = new SeriesWindow({ maxPoints: 10, spanMs: 60_000 });
    window.append([1000, 3000], [1, 3]);
    window.append([2000, 3000, 500], [2, 33, 0.5]);
    expect(window.points).toEqual([
      { x: 500, y: 0.5 },
      { x: 1000, y: 1 },
      { x: 2000, y: 2 },
      { x: 3000, y: 33 },
    ]);
  });

  it("mutates one array in place, so a chart holding it sees every change", () => {
    const window = new SeriesWindow({ maxPoints: 2, spanMs: 60_000 });
    const held = window.points;
    window.append([1, 2, 3], [1, 2, 3]);
    window.clear();
    expect(window.points).toBe(held);
    expect(held).toEqual([]);
    expect(window.latest).toBeUndefined();
  });
});
