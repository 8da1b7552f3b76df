/** The engine's limits, errors and helpers as its callers (the Prometheus API, the hub) rely on them. */
import { describe, expect, it } from "vitest";
import {
  instantQuery,
  matchesAll,
  PromQLError,
  parseSeriesSelector,
  rangeQuery,
  type SelectHints,
} from "../../worker/promql/index.ts";
import { memoryQuerier, type StoredSeries } from "./promql/memory-querier.ts";

const series: StoredSeries[] = Array.from({ length: 10 }, (_, i) => ({
  labels: { __name__: "x", i: String(i) },
  samples: Array.from({ length: 100 }, (_, j) => ({ t: j * 15_000, v: j })),
}));

async function failure(p: Promise<unknown>): Promise<PromQLError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PromQLError);
  return error as PromQLError;
}

describe("PromQL engine limits", () => {
  it("refuses a query that would hold more samples than maxSamples, as Prometheus words it", async () => {
    const q = memoryQuerier(series);
    const e = await failure(rangeQuery(q, "x", 0, 1_000_000, 15_000, { maxSamples: 500 }));
    expect(e.errorType).toBe("execution");
    expect(e.message).toBe("query processing would load too many samples into memory in query execution");
    await expect(rangeQuery(q, "x", 0, 1_000_000, 15_000, { maxSamples: 1000 })).resolves.toBeDefined();
  });

  it("counts the samples range selectors load at a step", async () => {
    const e = await failure(
      instantQuery(memoryQuerier(series), "count_over_time(x[10m])", 1_000_000, { maxSamples: 300 }),
    );
    expect(e.errorType).toBe("execution");
  });

  it("refuses more than maxSteps points per series with Prometheus's bad_data message", async () => {
    const q = memoryQuerier(series);
    const e = await failure(rangeQuery(q, "x", 0, 11_001_000, 1000));
    expect(e.errorType).toBe("bad_data");
    expect(e.message).toBe(
      "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
    );
    await expect(rangeQuery(q, "x", 0, 11_000_000, 1000)).resolves.toBeDefined();
    expect((await failure(rangeQuery(q, "x", 0, 100, 1, { maxSteps: 99 }))).errorType).toBe("bad_data");
  });

  it("stops with a timeout error once the clock passes timeoutMs", async () => {
    let now = 0;
    const clock = () => (now += 10);
    const e = await failure(
      rangeQuery(memoryQuerier(series), "x", 0, 1_000_000, 15_000, { timeoutMs: 100, now: clock }),
    );
    expect(e.errorType).toBe("timeout");
    expect(e.message).toBe("query timed out in expression evaluation");
  });

  it("stops with a canceled error once its signal aborts", async () => {
    const controller = new AbortController();
    let steps = 0;
    const clock = () => {
      if (++steps === 5) controller.abort();
      return 0;
    };
    const e = await failure(
      rangeQuery(memoryQuerier(series), "x", 0, 1_000_000, 15_000, { now: clock, signal: controller.signal }),
    );
    expect(e.errorType).toBe("canceled");
  });

  it("refuses expressions longer than maxExpressionLength before parsing them", async () => {
    const e = await failure(
      instantQuery(memoryQuerier(series), `x + ${"1 + ".repeat(100)}1`, 0, { maxExpressionLength: 50 }),
    );
    expect(e.errorType).toBe("bad_data");
    expect(e.message).toContain("longer than 50");
  });

  it("refuses a negative or zero step and an end before the start", async () => {
    const q = memoryQuerier(series);
    expect((await failure(rangeQuery(q, "x", 0, 100, 0))).errorType).toBe("bad_data");
    expect((await failure(rangeQuery(q, "x", 100, 0, 10))).message).toBe(
      "end timestamp must not be before start time",
    );
  });

  it("honours lookbackDelta", async () => {
    const q = memoryQuerier(series);
    const late = 99 * 15_000 + 60_000;
    expect((await instantQuery(q, "x", late)).result).toHaveLength(10);
    expect((await instantQuery(q, "x", late, { lookbackDelta: 30_000 })).result).toHaveLength(0);
  });
});

describe("PromQL engine parse errors", () => {
  it("names the line and column of a syntax error", async () => {
    const e = await failure(instantQuery(memoryQuerier([]), "sum(rate(x[5m]) by", 0));
    expect(e.errorType).toBe("bad_data");
    expect(e.message).toMatch(/^1:\d+: parse error: /);
    expect((await failure(instantQuery(memoryQuerier([]), "x +\n  )", 0))).message).toMatch(
      /^2:3: parse error/,
    );
  });

  it("refuses functions and syntax that Prometheus 2.42 does not have", async () => {
    for (const expr of ["histogram_avg(x)", "x[5m+1m]", "limitk(1, x)", "x[5]"])
      expect((await failure(instantQuery(memoryQuerier([]), expr, 0))).errorType, expr).toBe("bad_data");
  });
});

describe("PromQL engine selection", () => {
  it("asks storage once per selector for exactly the window it reads (offset, range, lookback, @)", async () => {
    const seen: SelectHints[] = [];
    const q = memoryQuerier(series);
    const recording = {
      select: (m: Parameters<typeof q.select>[0], h: SelectHints) => {
        seen.push(h);
        return q.select(m, h);
      },
    };
    await rangeQuery(recording, "rate(x[5m] offset 1m) + x + x @ 100", 600_000, 1_200_000, 60_000);
    expect(seen).toEqual([
      { start: 600_000 - 360_000, end: 1_200_000 - 60_000, step: 60_000, range: 300_000, func: "rate" },
      { start: 600_000 - 300_000, end: 1_200_000, step: 60_000, range: 0 },
      { start: 100_000 - 300_000, end: 100_000, step: 60_000, range: 0 },
    ]);
  });
});

/** The PromQLError parseSeriesSelector throws for `text`. */
function selectorError(text: string): PromQLError {
  try {
    parseSeriesSelector(text);
  } catch (error) {
    if (error instanceof PromQLError) return error;
    throw error;
  }
  throw new Error(`${text} was accepted`);
}

describe("parseSeriesSelector and matchesAll", () => {
  it("reads match[] selectors, including names only reachable through __name__", () => {
    expect(parseSeriesSelector('up{job=~"a|b"}')).toEqual([
      { name: "__name__", type: "=", value: "up" },
      { name: "job", type: "=~", value: "a|b" },
    ]);
    expect(parseSeriesSelector('{__name__="system.cpu.utilization"}')).toEqual([
      { name: "__name__", type: "=", value: "system.cpu.utilization" },
    ]);
  });

  it("names match[] in the API message of a bad selector", () => {
    const e = selectorError("up{");
    expect(e.apiMessage).toMatch(/^invalid parameter "match\[\]": 1:\d+: parse error/);
  });

  it("refuses what is not a series selector with bad_data", () => {
    for (const text of ["rate(x[5m])", "x[5m]", "{", 'x{a=""}'.replace("x", ""), "x offset 5m"]) {
      expect(() => parseSeriesSelector(text), text).toThrow(PromQLError);
    }
  });

  it("anchors regular expressions at both ends and reads a missing label as empty", () => {
    const labels = { __name__: "up", job: "api-server" };
    expect(matchesAll(labels, [{ name: "job", type: "=~", value: "api" }])).toBe(false);
    expect(matchesAll(labels, [{ name: "job", type: "=~", value: "api.*" }])).toBe(true);
    expect(matchesAll(labels, [{ name: "job", type: "!~", value: "web|api-.*" }])).toBe(false);
    expect(matchesAll(labels, [{ name: "zone", type: "=", value: "" }])).toBe(true);
    expect(matchesAll(labels, [{ name: "job", type: "=~", value: "(?i)API-SERVER" }])).toBe(true);
  });

  it("refuses an invalid regular expression with bad_data", () => {
    const e = selectorError('up{job=~"("}');
    expect(e.errorType).toBe("bad_data");
  });

  it("refuses the regex syntax RE2 lacks (lookarounds, backreferences), as Prometheus does", () => {
    for (const value of ["a(?=b)", "(?!x)y", "(?<=a)b", "(a)\\1"])
      expect(() => parseSeriesSelector(`up{job=~${JSON.stringify(value)}}`), value).toThrow(PromQLError);
    expect(parseSeriesSelector('up{job=~"a\\\\.b"}')).toHaveLength(2);
  });
});
