import { describe, expect, it } from "vitest";
import {
  formatZoom,
  isStale,
  liveAxis,
  panAxis,
  parseZoom,
  STALE_AFTER_MS,
  zoomAxis,
} from "../../dashboard/src/time-axis.ts";

const points = (...xs: number[]) => xs.map((x) => ({ x, y: 1 }));

describe("the shared time axis", () => {
  it("ends at the newest point of any series and spans the range, or what the range holds so far", () => {
    expect(liveAxis([points(1000, 2000), points(1500, 9000), []], 60_000)).toEqual({ min: 1000, max: 9000 });
    expect(liveAxis([points(0, 100_000)], 60_000)).toEqual({ min: 40_000, max: 100_000 });
    expect(liveAxis([[], []], 60_000)).toBeNull();
  });

  it("marks a series stale once it is far behind the others for its own spacing", () => {
    const everySecond = points(0, 1000, 2000, 3000);
    expect(isStale(everySecond, 500, 3000 + STALE_AFTER_MS)).toBe(false);
    expect(isStale(everySecond, 500, 3001 + STALE_AFTER_MS)).toBe(true);
    // A series sampled every minute is not stale between its samples.
    const everyMinute = points(0, 60_000, 120_000);
    expect(isStale(everyMinute, 500, 120_000 + 200_000)).toBe(false);
    expect(isStale(everyMinute, 500, 120_000 + 300_000)).toBe(true);
    expect(isStale([], 500, 1e12)).toBe(false);
  });

  it("pans, zooms and round-trips through the URL", () => {
    expect(panAxis({ min: 100, max: 200 }, -0.5)).toEqual({ min: 50, max: 150 });
    expect(zoomAxis({ min: 100, max: 200 }, 2)).toEqual({ min: 50, max: 250 });
    expect(parseZoom(formatZoom({ min: 1764000000000, max: 1764000600000 }))).toEqual({
      min: 1764000000000,
      max: 1764000600000,
    });
    for (const bad of [null, "", "5-5", "9-1", "a-b", "1e3-2e3"]) expect(parseZoom(bad)).toBeNull();
  });
});
