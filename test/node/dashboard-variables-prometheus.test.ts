import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRealPrometheus } from "../../scripts/real-prometheus.ts";
import { DEV_HOST } from "../../scripts/tools.ts";
import type { Variable } from "../../worker/protocol/dashboards.ts";
import { interpolate } from "../../worker/protocol/interpolate.ts";
import {
  type VariableQuery,
  variableQueryRequest,
  variableQueryValues,
} from "../../worker/protocol/variable-query.ts";
import { resolveVariables } from "../../worker/protocol/variable-scope.ts";

/**
 * The variable module's requests, asked of a real Prometheus (Debian's, scraping itself as two jobs): what Grafana's
 * query syntax turns into must be what the Prometheus HTTP API answers, and interpolated selectors must match.
 */
let base = "";
let stop: () => Promise<void> = async () => {};

async function api(path: string, params: URLSearchParams): Promise<unknown> {
  const response = await fetch(`${base}/${path}?${params}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

const fetchValues = async (query: VariableQuery) => {
  const now = Date.now();
  const { path, params } = variableQueryRequest(query, { from: now - 3_600_000, to: now });
  return variableQueryValues(query, await api(path, params));
};

beforeAll(async () => {
  const prometheus = await startRealPrometheus({
    config: (port) => [
      "global: { scrape_interval: 1s }",
      "scrape_configs:",
      "  - job_name: prom",
      `    static_configs: [{ targets: ["${DEV_HOST}:${port}"] }]`,
      "  - job_name: prom-again",
      `    static_configs: [{ targets: ["localhost:${port}"] }]`,
    ],
  });
  stop = () => prometheus.stop();
  base = prometheus.url;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const answer = (await api("api/v1/query", new URLSearchParams({ query: "count(up == 1)" }))) as {
      data: { result: Array<{ value: [number, string] }> };
    };
    if (answer.data.result[0]?.value[1] === "2") return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("Prometheus did not scrape both jobs within 60 s");
}, 120_000);

afterAll(() => stop());

describe("variables against a real Prometheus", () => {
  const variables: Variable[] = [
    {
      name: "job",
      type: "query",
      query: "label_values(up, job)",
      multi: true,
      includeAll: true,
      current: { value: "$__all" },
    },
    {
      name: "host",
      type: "query",
      query: 'label_values(up{job=~"$job"}, instance)',
      regex: "/([^:]+):.*/",
      multi: true,
      includeAll: true,
      current: { value: ["$__all"] },
    },
    { name: "metric", type: "query", query: "metrics(^prometheus_build)", multi: false, includeAll: false },
    {
      name: "targets",
      type: "query",
      query: "query_result(count(up))",
      regex: "/\\{\\} (\\d+) \\d+/",
      multi: false,
      includeAll: false,
    },
  ];

  it("resolves label_values, metrics and query_result from the API's answers", async () => {
    const scope = await resolveVariables(variables, {}, fetchValues);
    expect(scope.job?.values).toEqual(["prom", "prom-again"]);
    expect(scope.host?.values).toEqual(["127.0.0.1", "localhost"]);
    expect(scope.metric?.values).toEqual(["prometheus_build_info"]);
    expect(scope.targets?.values).toEqual(["2"]);
  });

  it("narrows a chained variable to the jobs chosen in the URL", async () => {
    const scope = await resolveVariables(variables, { job: ["prom-again"] }, fetchValues);
    expect(scope.host?.values).toEqual(["localhost"]);
  });

  it("interpolates several values into a regex matcher that Prometheus matches, dots escaped", async () => {
    const scope = await resolveVariables(variables, { host: ["127.0.0.1", "localhost"] }, fetchValues);
    const expr = interpolate('up{instance=~"$host:.*"}', scope);
    expect(expr).toBe('up{instance=~"(127\\\\.0\\\\.0\\\\.1|localhost):.*"}');
    const answer = (await api("api/v1/query", new URLSearchParams({ query: expr }))) as {
      data: { result: Array<{ metric: { instance: string } }> };
    };
    expect(answer.data.result.map((s) => s.metric.instance.split(":")[0]).sort()).toEqual([
      "127.0.0.1",
      "localhost",
    ]);
  });
});
