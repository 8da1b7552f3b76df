import { describe, expect, it } from "vitest";
import {
  absoluteText,
  describeRange,
  followsNow,
  parseTimePoint,
  refreshMs,
  resolveRange,
  shiftRange,
  zoomOut,
} from "../../dashboard/src/dashboards/time-expr.ts";

// A fixed local time: 2026-03-18 (a Wednesday) 14:37:25.500.
const NOW = new Date(2026, 2, 18, 14, 37, 25, 500).getTime();
const local = (...parts: [number, number, number, number?, number?, number?, number?]) =>
  new Date(...(parts as [number, number, number, number, number, number, number])).getTime();

describe("Grafana time points", () => {
  it("reads now, now-<n><unit> and now+<n><unit>, months and years by the calendar", () => {
    expect(parseTimePoint("now", NOW)).toBe(NOW);
    expect(parseTimePoint("now-5m", NOW)).toBe(NOW - 300_000);
    expect(parseTimePoint("now-6h", NOW)).toBe(NOW - 6 * 3_600_000);
    expect(parseTimePoint("now+1d", NOW)).toBe(NOW + 86_400_000);
    expect(parseTimePoint("now-2w", NOW)).toBe(NOW - 14 * 86_400_000);
    expect(parseTimePoint("now-1M", NOW)).toBe(local(2026, 1, 18, 14, 37, 25, 500));
    expect(parseTimePoint("now-1y", NOW)).toBe(local(2025, 2, 18, 14, 37, 25, 500));
  });

  it("rounds to the unit's start for a from and to its end for a to", () => {
    expect(parseTimePoint("now/d", NOW)).toBe(local(2026, 2, 18));
    expect(parseTimePoint("now/d", NOW, true)).toBe(local(2026, 2, 19) - 1);
    expect(parseTimePoint("now-1d/d", NOW)).toBe(local(2026, 2, 17));
    expect(parseTimePoint("now/h", NOW)).toBe(local(2026, 2, 18, 14));
    expect(parseTimePoint("now/w", NOW)).toBe(local(2026, 2, 15)); // the Sunday before
    expect(parseTimePoint("now/M", NOW)).toBe(local(2026, 2, 1));
    expect(parseTimePoint("now/y", NOW, true)).toBe(local(2027, 0, 1) - 1);
  });

  it("reads ISO 8601 times and epoch milliseconds (Grafana's absolute URLs), and nothing else", () => {
    expect(parseTimePoint("2026-03-18T10:00:00Z", NOW)).toBe(Date.UTC(2026, 2, 18, 10));
    expect(parseTimePoint("1773842400000", NOW)).toBe(1773842400000);
    for (const bad of ["now-", "now-5x", "yesterday", "", "now-1h/q"])
      expect(parseTimePoint(bad, NOW)).toBeNull();
  });

  it("resolves a range, falling back to the last hour when it is unreadable or empty", () => {
    expect(resolveRange({ from: "now-1h", to: "now" }, NOW)).toEqual({ from: NOW - 3_600_000, to: NOW });
    expect(resolveRange({ from: "now", to: "now-1h" }, NOW)).toEqual({ from: NOW - 3_600_000, to: NOW });
    expect(resolveRange({ from: "soon", to: "now" }, NOW)).toEqual({ from: NOW - 3_600_000, to: NOW });
    expect(followsNow({ from: "now-1h", to: "now" })).toBe(true);
    expect(followsNow({ from: "1", to: "2000000000000" })).toBe(false);
  });

  it("zooms out around the middle, shifts by a fraction, and writes absolute ranges as epoch ms", () => {
    expect(zoomOut({ from: 1000, to: 2000 })).toEqual({ from: 500, to: 2500 });
    expect(shiftRange({ from: 1000, to: 2000 }, -0.5)).toEqual({ from: 500, to: 1500 });
    expect(absoluteText({ from: 1000.4, to: 2000.6 })).toEqual({ from: "1000", to: "2001" });
  });

  it("names the picker's choices and spells out other ranges", () => {
    expect(describeRange({ from: "now-24h", to: "now" }, NOW)).toBe("Last 24 hours");
    expect(describeRange({ from: "now-2h", to: "now-1h" }, NOW)).toBe("now-2h to now-1h");
  });

  it("reads refresh intervals; off and nonsense are null", () => {
    expect(refreshMs("30s")).toBe(30_000);
    expect(refreshMs("1m")).toBe(60_000);
    expect(refreshMs("1h")).toBe(3_600_000);
    expect(refreshMs("")).toBeNull();
    expect(refreshMs("fast")).toBeNull();
  });
});
