// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana's ${var} references are what these tests are about.
import { describe, expect, it } from "vitest";
import { builtinScope, formatDuration, roundInterval } from "../../worker/protocol/builtins.ts";
import type { Variable } from "../../worker/protocol/dashboards.ts";
import { interpolate, type Scope, single } from "../../worker/protocol/interpolate.ts";
import {
  filterVariableValues,
  listOptions,
  parseVariableQuery,
  type VariableQuery,
  variableQueryRequest,
  variableQueryValues,
} from "../../worker/protocol/variable-query.ts";
import {
  chooseValue,
  resolveVariables,
  selectionFromParams,
  selectionToParams,
  VariableError,
} from "../../worker/protocol/variable-scope.ts";

const RANGE = { from: Date.UTC(2026, 11, 3, 11), to: Date.UTC(2026, 11, 3, 12) };

describe("query variables in Grafana's syntax", () => {
  it.each([
    ["label_values(instance)", { kind: "label_values", label: "instance" }],
    [
      "label_values(node_uname_info, instance)",
      { kind: "label_values", label: "instance", match: "node_uname_info" },
    ],
    [
      'label_values(up{job="a,b", env=~"p.*"},  instance )',
      { kind: "label_values", label: "instance", match: 'up{job="a,b", env=~"p.*"}' },
    ],
    [
      "query_result(topk(5, rate(http_requests_total[5m])))",
      { kind: "query_result", expr: "topk(5, rate(http_requests_total[5m]))" },
    ],
    ["metrics(^node_cpu.*)", { kind: "metrics", regex: "^node_cpu.*" }],
  ])("reads %s", (query, parsed) => {
    expect(parseVariableQuery(query)).toEqual(parsed);
  });

  it.each(["up", "label_values()", "label_values(up, 1abc)", "metrics([)", "labels(up)"])(
    "refuses %s",
    (query) => {
      expect(parseVariableQuery(query)).toHaveProperty("error");
    },
  );

  it("asks the Prometheus API for label values matching the selector over the range", () => {
    const request = variableQueryRequest(
      parseVariableQuery('label_values(up{job="node"}, instance)') as VariableQuery,
      RANGE,
    );
    expect(request.path).toBe("api/v1/label/instance/values");
    expect([...request.params]).toEqual([
      ["match[]", 'up{job="node"}'],
      ["start", String(RANGE.from / 1000)],
      ["end", String(RANGE.to / 1000)],
    ]);
  });

  it("asks api/v1/query at the range's end for query_result, api/v1/label/__name__/values for metrics", () => {
    const result = variableQueryRequest({ kind: "query_result", expr: "up" }, RANGE);
    expect([result.path, result.params.toString()]).toEqual([
      "api/v1/query",
      `query=up&time=${RANGE.to / 1000}`,
    ]);
    expect(variableQueryRequest({ kind: "metrics", regex: "node_" }, RANGE).path).toBe(
      "api/v1/label/__name__/values",
    );
  });

  it("reads values from the API's answers: label values as they are, metrics the regex finds, samples as Grafana shows them", () => {
    const names = { status: "success", data: ["go_goroutines", "node_cpu_seconds_total", "node_load1"] };
    expect(variableQueryValues({ kind: "label_values", label: "__name__" }, names)).toEqual(names.data);
    expect(variableQueryValues({ kind: "metrics", regex: "^node_" }, names)).toEqual([
      "node_cpu_seconds_total",
      "node_load1",
    ]);
    const vector = {
      status: "success",
      data: {
        resultType: "vector",
        result: [{ metric: { __name__: "up", job: "node", instance: "a:9100" }, value: [1764763200, "1"] }],
      },
    };
    expect(variableQueryValues({ kind: "query_result", expr: "up" }, vector)).toEqual([
      'up{job="node",instance="a:9100"} 1 1764763200000',
    ]);
    expect(
      variableQueryValues(
        { kind: "query_result", expr: "1" },
        { data: { resultType: "scalar", result: [1, "1"] } },
      ),
    ).toEqual(["1"]);
    expect(variableQueryValues({ kind: "label_values", label: "job" }, { status: "error" })).toEqual([]);
  });

  it("keeps the values a /regex/ matches, taking its first capture group, without repeats", () => {
    const instances = ["a:9100", "b:9100", "a:9200", "c"];
    expect(filterVariableValues(instances, "/([^:]+):.*/")).toEqual(["a", "b"]);
    expect(filterVariableValues(instances, "/^A/i")).toEqual(["a:9100", "a:9200"]);
    expect(filterVariableValues(instances, "a:.*")).toEqual(["a:9100", "a:9200"]);
    expect(filterVariableValues(instances, undefined)).toEqual(instances);
    expect(filterVariableValues(instances, "/(/")).toHaveProperty("error");
  });

  it("splits custom and interval lists at commas, \\, being a comma inside a value", () => {
    expect(listOptions("eth0, eth1 ,wlan0")).toEqual(["eth0", "eth1", "wlan0"]);
    expect(listOptions("a\\,b,c,")).toEqual(["a,b", "c"]);
  });
});

describe("interpolation", () => {
  const scope: Scope = {
    job: single("node"),
    host: { values: ["a.example:9100", "b.example:9100"], multi: true },
    one: { values: ["web-1"], multi: true },
    everything: { values: ["a", "b"], multi: true, allValue: ".+" },
    quote: single("it's"),
  };

  it("replaces $var, ${var} and [[var]], and leaves unknown variables as written", () => {
    expect(interpolate('up{job="$job"} + ${job} + [[job]] + $unknown + ${jobs}', scope)).toBe(
      'up{job="node"} + node + node + $unknown + ${jobs}',
    );
  });

  it("writes several values as a regex group escaped for a PromQL string, as Grafana's Prometheus source does", () => {
    expect(interpolate('up{instance=~"$host"}', scope)).toBe(
      'up{instance=~"(a\\\\.example:9100|b\\\\.example:9100)"}',
    );
    expect(interpolate('up{instance=~"$one"}', scope)).toBe('up{instance=~"web-1"}');
  });

  it("inserts All's allValue as written, whatever the format", () => {
    expect(interpolate('up{instance=~"$everything"} ${everything:csv}', scope)).toBe('up{instance=~".+"} .+');
  });

  it("escapes only backslashes and quotes of a single-value variable", () => {
    expect(interpolate("$quote", scope)).toBe("it\\\\'s");
  });

  it.each([
    ["${host:regex}", "(a\\.example:9100|b\\.example:9100)"],
    ["${host:pipe}", "a.example:9100|b.example:9100"],
    ["${host:csv}", "a.example:9100,b.example:9100"],
    ["${host:raw}", "a.example:9100,b.example:9100"],
    ["${host:glob}", "{a.example:9100,b.example:9100}"],
    ["${host:json}", '["a.example:9100","b.example:9100"]'],
    ["${host:lucene}", "{a.example:9100,b.example:9100}"],
    ["${job:regex}", "node"],
  ])("formats %s as %s", (text, expected) => {
    expect(interpolate(text, scope)).toBe(expected);
  });
});

describe("built-in variables", () => {
  it("rounds intervals to Grafana's steps", () => {
    expect(
      [1, 12, 1400, 4000, 14_000, 40_000, 100_000, 3_000_000, 100_000_000, 4e10].map(roundInterval),
    ).toEqual([1, 10, 1000, 5000, 15_000, 30_000, 120_000, 3_600_000, 86_400_000, 31_536_000_000]);
  });

  it("writes durations as PromQL does", () => {
    expect([0, 250, 15_000, 90_000, 3_600_000, 90_061_001].map(formatDuration)).toEqual([
      "0s",
      "250ms",
      "15s",
      "1m30s",
      "1h",
      "1d1h1m1s1ms",
    ]);
  });

  it("gives $__interval as the range over the points, at least the scrape interval, and $__rate_interval by Grafana's formula", () => {
    // One hour over 1,000 points is 3.6 s, rounded to 5 s; under a 15 s scrape interval, 15 s.
    const hour = builtinScope({ ...RANGE, maxDataPoints: 1000, scrapeIntervalMs: 15_000 });
    expect(hour.__interval?.values).toEqual(["15s"]);
    expect(hour.__interval_ms?.values).toEqual(["15000"]);
    expect(hour.__rate_interval?.values).toEqual(["1m"]);
    expect(hour.__range?.values).toEqual(["3600s"]);
    expect([hour.__range_s?.values, hour.__range_ms?.values]).toEqual([["3600"], ["3600000"]]);
    // A day over 500 points is 172.8 s, rounded to 2 m: the rate interval is 2 m + 15 s.
    const day = builtinScope({ from: 0, to: 86_400_000, maxDataPoints: 500, scrapeIntervalMs: 15_000 });
    expect([day.__interval?.values, day.__rate_interval?.values]).toEqual([["2m"], ["2m15s"]]);
    expect(interpolate("rate(x[$__rate_interval])", day)).toBe("rate(x[2m15s])");
  });
});

describe("choosing values", () => {
  const options = ["a", "b", "c"];

  it("keeps a single variable's selection when offered, else takes the first option", () => {
    expect(chooseValue({ multi: false, includeAll: false }, options, ["b"]).values).toEqual(["b"]);
    expect(chooseValue({ multi: false, includeAll: false }, options, ["b", "c"]).values).toEqual(["b"]);
    expect(chooseValue({ multi: false, includeAll: false }, options, ["gone"]).values).toEqual(["a"]);
    expect(chooseValue({ multi: false, includeAll: false }, [], ["a"]).values).toEqual([]);
  });

  it("keeps every offered value of a multi variable, and All as every option or the allValue", () => {
    expect(chooseValue({ multi: true, includeAll: false }, options, ["c", "gone", "a"])).toEqual({
      values: ["c", "a"],
      multi: true,
    });
    expect(chooseValue({ multi: true, includeAll: true }, options, ["$__all"])).toEqual({
      values: options,
      multi: true,
    });
    expect(chooseValue({ multi: false, includeAll: true, allValue: ".*" }, options, [])).toEqual({
      values: options,
      multi: true,
      allValue: ".*",
    });
  });

  it("carries selections in the URL as var-name=value, repeated for several", () => {
    const params = selectionToParams({ job: ["node"], instance: ["a", "b"] });
    expect(params.toString()).toBe("var-job=node&var-instance=a&var-instance=b");
    expect(selectionFromParams(new URLSearchParams(`${params}&from=now-1h`))).toEqual({
      job: ["node"],
      instance: ["a", "b"],
    });
  });
});

describe("resolving a dashboard's variables", () => {
  const variables: Variable[] = [
    { name: "job", type: "query", query: "label_values(up, job)", multi: false, includeAll: false },
    {
      name: "instance",
      type: "query",
      query: 'label_values(up{job="$job"}, instance)',
      regex: "/([^:]+):.*/",
      multi: true,
      includeAll: true,
      current: { value: ["$__all"] },
    },
    {
      name: "nic",
      type: "custom",
      query: "eth0,eth1",
      multi: false,
      includeAll: false,
      current: { value: "eth1" },
    },
    { name: "step", type: "interval", query: "1m,5m", current: { value: "5m" } },
    { name: "site", type: "constant", query: "eu-west" },
  ];
  const up = [
    { job: "node", instance: "a:9100" },
    { job: "node", instance: "b:9100" },
    { job: "db", instance: "c:9187" },
  ];
  /** Answers label_values from the series above, as the Prometheus API would for `match[]=up{job="…"}`. */
  const asked: VariableQuery[] = [];
  const fetchValues = async (query: VariableQuery) => {
    asked.push(query);
    if (query.kind !== "label_values") return [];
    const job = /job="([^"]*)"/.exec(query.match ?? "")?.[1];
    const values = up
      .filter((s) => job === undefined || s.job === job)
      .map((s) => s[query.label as "job" | "instance"]);
    return [...new Set(values)].sort();
  };

  it("resolves each variable in order, a query interpolated with the ones before it, the URL's selection first", async () => {
    asked.length = 0;
    const scope = await resolveVariables(variables, { job: ["node"] }, fetchValues);
    expect(asked[1]).toEqual({ kind: "label_values", label: "instance", match: 'up{job="node"}' });
    expect(scope.job).toEqual({ values: ["node"], multi: false });
    expect(scope.instance).toEqual({ values: ["a", "b"], multi: true });
    expect([scope.nic?.values, scope.step?.values, scope.site?.values]).toEqual([
      ["eth1"],
      ["5m"],
      ["eu-west"],
    ]);
    expect(interpolate('rate(x{job="$job",instance=~"$instance:.*"}[$step])', scope)).toBe(
      'rate(x{job="node",instance=~"(a|b):.*"}[5m])',
    );
  });

  it("hands each variable's options to a variables bar, as the variables before it narrowed them", async () => {
    const offered = new Map<string, string[]>();
    await resolveVariables(variables, { job: ["db"] }, fetchValues, {}, offered);
    expect(Object.fromEntries(offered)).toMatchObject({
      job: ["db", "node"],
      instance: ["c"],
      nic: ["eth0", "eth1"],
      step: ["1m", "5m"],
      site: ["eu-west"],
    });
  });

  it("throws a VariableError naming a variable whose query is not one of Grafana's forms", async () => {
    const broken: Variable[] = [{ name: "bad", type: "query", query: "up", multi: false, includeAll: false }];
    await expect(resolveVariables(broken, {}, fetchValues)).rejects.toThrow(VariableError);
  });
});
