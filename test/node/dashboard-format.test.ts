import { describe, expect, it } from "vitest";
import { formatAgo, formatTick, formatUnit } from "../../dashboard/src/format.ts";

describe("formatTick", () => {
  const at = new Date(2026, 10, 25, 14, 3, 9).getTime();

  it("shows seconds on a live axis, minutes over an hour, and the date over a day or more", () => {
    expect(formatTick(at, 5 * 60_000)).toBe("14:03:09");
    expect(formatTick(at, 3_600_000)).toBe("14:03");
    expect(formatTick(at, 86_400_000)).toBe("25 Nov 14:03");
    expect(formatTick(at, 7 * 86_400_000)).toBe("25 Nov 14:03");
  });
});

describe("formatAgo", () => {
  it("says how long ago, coarser as it grows", () => {
    expect([500, 12_400, 4 * 60_000 + 5, 3 * 3_600_000, 2 * 86_400_000, -50].map(formatAgo)).toEqual([
      "just now",
      "12 s ago",
      "4 min ago",
      "3 h ago",
      "2 d ago",
      "just now",
    ]);
  });
});

describe("formatUnit", () => {
  it("writes UCUM units as people do, and others as given", () => {
    expect(formatUnit("Cel")).toBe(" °C");
    expect(formatUnit("%")).toBe("%");
    expect(formatUnit("By")).toBe(" B");
    expect(formatUnit("ms")).toBe(" ms");
    expect(formatUnit("1")).toBe("");
    expect(formatUnit(undefined)).toBe("");
  });
});
