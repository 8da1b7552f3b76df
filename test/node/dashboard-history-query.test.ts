import { describe, expect, it } from "vitest";
import { historyQueryUrls } from "../../dashboard/src/history-query.ts";
import { RANGES, showsBand } from "../../dashboard/src/time-range.ts";
import { MAX_QUERY_SERIES } from "../../worker/protocol/index.ts";

const range = (id: string) => RANGES.find((r) => r.id === id)!;

describe("historyQueryUrls", () => {
  it("asks for the range back from now at its step, naming every series", () => {
    const series = [
      { id: 0, device: "sensor-1", metric: "temp_c" },
      { id: 1, device: "sensor-2", metric: "rh" },
    ];
    expect(historyQueryUrls("http://h/#board=b", "b", series, range("1h"))).toEqual([
      "http://h/api/v1/boards/b/query?series=sensor-1%3Atemp_c%2Csensor-2%3Arh&from=-1h&step=6000",
    ]);
  });

  it("splits more than 100 series over several requests", () => {
    const series = Array.from({ length: 2 * MAX_QUERY_SERIES + 1 }, (_, id) => ({
      id,
      device: `d${id}`,
      metric: "m",
    }));
    const urls = historyQueryUrls("http://h/", "b", series, range("24h"));
    expect(urls.map((url) => new URL(url).searchParams.get("series")!.split(",").length)).toEqual([
      100, 100, 1,
    ]);
    expect(new URL(urls[2]!).searchParams.get("series")).toBe("d200:m");
  });
});

describe("time ranges", () => {
  it("asks for about 600 buckets, never more than the board's 2000", () => {
    for (const { spanMs, stepMs } of RANGES) {
      expect(spanMs / stepMs).toBeGreaterThanOrEqual(500);
      expect(spanMs / stepMs).toBeLessThanOrEqual(800);
    }
  });

  it("draws a min/max band only for buckets coarser than a second", () => {
    expect(showsBand(500, "raw")).toBe(false);
    expect(showsBand(1_000, "1s")).toBe(false);
    expect(showsBand(6_000, "1s")).toBe(true);
    expect(showsBand(1_000, "1m")).toBe(true);
  });
});
