import { describe, expect, it } from "vitest";
import { ApiError } from "../../worker/http/errors.ts";
import { parseTime } from "../../worker/http/time-params.ts";

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);

function refusal(raw: string): { code: string; path: string | undefined } {
  try {
    parseTime(raw, NOW, "from");
  } catch (error) {
    if (error instanceof ApiError) return { code: error.code, path: error.path };
    throw error;
  }
  throw new Error(`${raw} was taken`);
}

describe("parseTime", () => {
  it("takes now, a time relative to now, and ms since the epoch", () => {
    expect(parseTime("now", NOW, "from")).toBe(NOW);
    expect(parseTime("-10m", NOW, "from")).toBe(NOW - 600_000);
    expect(parseTime("-1500", NOW, "from")).toBe(NOW - 1500);
    expect(parseTime("0", NOW, "from")).toBe(0);
    expect(parseTime(String(NOW - 5), NOW, "from")).toBe(NOW - 5);
  });

  it("takes RFC 3339 date-times in UTC or with an offset, to the ms", () => {
    expect(parseTime("2026-12-03T12:00:00Z", NOW, "from")).toBe(NOW);
    expect(parseTime("2026-12-03t12:00:00z", NOW, "from")).toBe(NOW);
    expect(parseTime("2026-12-03 12:00:00Z", NOW, "from")).toBe(NOW);
    expect(parseTime("2026-12-03T13:30:00+01:30", NOW, "from")).toBe(NOW);
    expect(parseTime("2026-12-03T07:00:00-05:00", NOW, "from")).toBe(NOW);
    expect(parseTime("2026-12-03T12:00:00.25Z", NOW, "from")).toBe(NOW + 250);
    expect(parseTime("2026-12-03T12:00:00.123999999Z", NOW, "from")).toBe(NOW + 123);
    expect(parseTime("2024-02-29T00:00:00Z", NOW, "from")).toBe(Date.UTC(2024, 1, 29));
  });

  it("reads a space before the offset as the + a query string decoded", () => {
    const decoded = new URLSearchParams("from=2026-12-03T13:00:00+01:00").get("from")!;
    expect(decoded).toBe("2026-12-03T13:00:00 01:00");
    expect(parseTime(decoded, NOW, "from")).toBe(NOW);
  });

  it.each([
    "yesterday",
    "",
    "2026-12-03",
    "2026-12-03T12:00Z",
    "2026-12-03T12:00:00",
    "2026-02-29T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-12-32T00:00:00Z",
    "2026-12-03T24:00:00Z",
    "2026-12-03T12:60:00Z",
    "2026-12-03T12:00:60Z",
    "2026-12-03T12:00:00+24:00",
    "2026-12-03T12:00:00+01:60",
    "1969-12-31T23:59:59Z",
    "1e12",
    "9".repeat(17),
    "+1h",
  ])("refuses %j with invalid_time naming the parameter", (raw) => {
    expect(refusal(raw)).toEqual({ code: "invalid_time", path: "from" });
  });

  it("refuses a relative time that is not a duration", () => {
    expect(refusal("-soon")).toEqual({ code: "invalid_duration", path: "from" });
    expect(refusal("-401d")).toEqual({ code: "invalid_duration", path: "from" });
  });
});
