import { create, toBinary } from "@bufbuild/protobuf";
import { compress } from "snappyjs";
import { describe, expect, it } from "vitest";
import { WriteRequestSchema } from "../../worker/formats/gen/prometheus/remote_pb.ts";
import { ShardQuerier } from "../../worker/prometheus/shard-querier.ts";
import { PromQLError } from "../../worker/promql/index.ts";
import { answer, evictBoard, freshBoard, request, shardStub, token } from "./helpers.ts";

type Series = { labels: Record<string, string>; samples: Array<[value: number, ts: number]> };

/** Remote-writes series with a gateway token (the device comes from `instance`). */
async function write(board: string, series: Series[]): Promise<void> {
  const message = create(WriteRequestSchema, {
    timeseries: series.map((s) => ({
      labels: Object.entries(s.labels).map(([name, value]) => ({ name, value })),
      samples: s.samples.map(([value, timestamp]) => ({ value, timestamp: BigInt(timestamp) })),
    })),
  });
  const response = await request("/api/v1/write", {
    method: "POST",
    headers: {
      authorization: `Bearer ${await token("gateway", board, "prom")}`,
      "content-type": "application/x-protobuf",
      "content-encoding": "snappy",
    },
    body: compress(toBinary(WriteRequestSchema, message)),
  });
  expect(response.status).toBe(204);
}

/** A counter growing by `perStep` every 15 s over the last 20 minutes, aligned to 15 s. */
function counter(labels: Record<string, string>, end: number, perStep: number): Series {
  const samples: Array<[number, number]> = [];
  for (let i = 0; i <= 80; i++) samples.push([i * perStep, end - (80 - i) * 15_000]);
  return { labels, samples };
}

const END = Math.floor(Date.now() / 15_000) * 15_000 - 15_000;
const SECONDS = (ms: number) => String(ms / 1000);

/** A board with http_requests_total for two jobs and a gauge, remote-written as Prometheus sends them. */
async function seeded(): Promise<{ board: string; viewer: string }> {
  const board = freshBoard();
  await write(board, [
    counter({ __name__: "http_requests_total", instance: "10.0.0.7:9100", job: "api", code: "200" }, END, 3),
    counter(
      { __name__: "http_requests_total", instance: "10.0.0.8:9100", job: "api", code: "500" },
      END,
      1.5,
    ),
    counter({ __name__: "http_requests_total", instance: "10.0.0.9:9100", job: "web", code: "200" }, END, 6),
    { labels: { __name__: "temperature", instance: "sensor-1", room: "lab" }, samples: [[21.5, END]] },
  ]);
  return { board, viewer: await token("viewer", board) };
}

function api(board: string, path: string, credential: string, init: RequestInit = {}) {
  const headers = { authorization: `Bearer ${credential}`, ...(init.headers as Record<string, string>) };
  return answer(request(`/api/v1/boards/${board}/prometheus/api/v1/${path}`, { ...init, headers }));
}

function form(fields: Record<string, string | string[]>): RequestInit {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields))
    for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: body.toString(),
  };
}

/** A range query POSTed form-encoded, as Grafana sends it. */
function queryRange(board: string, viewer: string, fields: Record<string, string>) {
  return api(board, "query_range", viewer, form(fields));
}

describe("Prometheus API: queries", () => {
  it("answers an instant query with a vector, values as strings, times in seconds, the original instance kept", async () => {
    const { board, viewer } = await seeded();
    const q = encodeURIComponent('http_requests_total{code="200"}');
    const { status, body } = await api(board, `query?query=${q}&time=${SECONDS(END)}`, viewer);
    expect(status).toBe(200);
    expect(body.status).toBe("success");
    expect(body.data.resultType).toBe("vector");
    const byInstance = Object.fromEntries(
      body.data.result.map((r: { metric: Record<string, string>; value: [number, string] }) => [
        r.metric.instance,
        r,
      ]),
    );
    expect(byInstance["10.0.0.7:9100"]).toEqual({
      metric: { __name__: "http_requests_total", instance: "10.0.0.7:9100", job: "api", code: "200" },
      value: [END / 1000, "240"],
    });
    expect(byInstance["10.0.0.9:9100"].value).toEqual([END / 1000, "480"]);
  });

  it("evaluates sum by (job) (rate(...)) over a POSTed, form-encoded range query as a matrix", async () => {
    const { board, viewer } = await seeded();
    const { status, body } = await queryRange(board, viewer, {
      query: "sum by (job) (rate(http_requests_total[5m]))",
      start: SECONDS(END - 600_000),
      end: new Date(END).toISOString(),
      step: "60s",
    });
    expect(status).toBe(200);
    expect(body.data.resultType).toBe("matrix");
    const byJob = Object.fromEntries(
      body.data.result.map((r: { metric: { job: string }; values: Array<[number, string]> }) => [
        r.metric.job,
        r,
      ]),
    );
    expect(byJob.api.metric).toEqual({ job: "api" });
    expect(byJob.api.values).toHaveLength(11);
    expect(byJob.api.values[0][0]).toBe((END - 600_000) / 1000);
    expect(Number(byJob.api.values[0][1])).toBeCloseTo(0.3, 12);
    expect(byJob.web.values.at(-1)).toEqual([END / 1000, "0.4"]);
  });

  it("reaches a metric name PromQL cannot write bare with {__name__=...}", async () => {
    const board = freshBoard();
    await write(board, [
      { labels: { __name__: "system.cpu.utilization", instance: "h1" }, samples: [[0.25, END]] },
    ]);
    const viewer = await token("viewer", board);
    const q = encodeURIComponent('{__name__="system.cpu.utilization"}');
    const { body } = await api(board, `query?query=${q}&time=${SECONDS(END)}`, viewer);
    expect(body.data.result).toEqual([
      { metric: { __name__: "system.cpu.utilization", instance: "h1" }, value: [END / 1000, "0.25"] },
    ]);
  });

  it("states the rows read, bytes moved, samples, sources and time waiting for shards of a query in headers", async () => {
    const { board, viewer } = await seeded();
    const query = () =>
      request(
        `/api/v1/boards/${board}/prometheus/api/v1/query?query=http_requests_total&time=${SECONDS(END)}`,
        {
          headers: { authorization: `Bearer ${viewer}` },
        },
      );
    // Fresh points are still in the shard's memory; once it is evicted they come back from SQLite's rows.
    expect(Number((await query()).headers.get("x-edgepulse-rows-read"))).toBe(0);
    await evictBoard(board);
    const response = await query();
    expect(response.status).toBe(200);
    expect(Number(response.headers.get("x-edgepulse-rows-read"))).toBeGreaterThan(0);
    expect(Number(response.headers.get("x-edgepulse-bytes-moved"))).toBeGreaterThan(0);
    expect(Number(response.headers.get("x-edgepulse-samples"))).toBe(3 * 21);
    expect(response.headers.get("x-edgepulse-sources")).toBe("raw");
    expect(Number(response.headers.get("x-edgepulse-select-ms"))).toBeGreaterThanOrEqual(0);
  });

  it("computes histogram_quantile over OTLP explicit-bucket histograms stored as cumulative _bucket series", async () => {
    const board = freshBoard();
    const device = await token("device", board, "svc-1");
    const histogram = (ms: number, counts: string[], count: string) => ({
      timeUnixNano: `${ms}000000`,
      count,
      sum: 1,
      bucketCounts: counts,
      explicitBounds: [0.1, 0.5, 1],
    });
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: "rpc_duration",
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      histogram(END - 60_000, ["0", "0", "0", "0"], "0"),
                      histogram(END, ["10", "60", "20", "10"], "100"),
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const posted = await request("/v1/metrics", {
      method: "POST",
      headers: { authorization: `Bearer ${device}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(posted.status).toBe(200);
    const viewer = await token("viewer", board);
    const q = encodeURIComponent("histogram_quantile(0.5, sum by (le) (increase(rpc_duration_bucket[2m])))");
    const { body: result } = await api(board, `query?query=${q}&time=${SECONDS(END)}`, viewer);
    expect(result.data.result).toHaveLength(1);
    // 50 of 100 observations: the 40th of the 60 in (0.1, 0.5], so 0.1 + 0.4 * 40/60.
    expect(Number(result.data.result[0].value[1])).toBeCloseTo(0.1 + (0.4 * 40) / 60, 10);
  });
});

describe("Prometheus API: catalog, metadata and status", () => {
  it("lists series, label names and label values, filtered by match[]", async () => {
    const { board, viewer } = await seeded();
    const series = await api(board, `series?match[]=${encodeURIComponent('{job="api"}')}`, viewer);
    expect(series.body).toEqual({
      status: "success",
      data: [
        { __name__: "http_requests_total", code: "200", instance: "10.0.0.7:9100", job: "api" },
        { __name__: "http_requests_total", code: "500", instance: "10.0.0.8:9100", job: "api" },
      ],
    });
    expect((await api(board, "labels", viewer)).body.data).toEqual([
      "__name__",
      "code",
      "instance",
      "job",
      "room",
    ]);
    const labels = await api(
      board,
      "labels",
      viewer,
      form({ "match[]": "temperature", start: "0", end: SECONDS(END) }),
    );
    expect(labels.body.data).toEqual(["__name__", "instance", "room"]);
    const values = await api(
      board,
      `label/job/values?match[]=http_requests_total&start=${SECONDS(END - 1000)}`,
      viewer,
    );
    expect(values.body.data).toEqual(["api", "web"]);
    expect((await api(board, "label/__name__/values?limit=1", viewer)).body.data).toEqual([
      "http_requests_total",
    ]);
    expect((await api(board, `label/job/values?start=${SECONDS(END + 60_000)}`, viewer)).body.data).toEqual(
      [],
    );
  });

  it("answers metadata, buildinfo, exemplars, rules and alerts in Prometheus's shapes", async () => {
    const { board, viewer } = await seeded();
    const metadata = await api(board, "metadata", viewer);
    expect(metadata.body.data.http_requests_total).toEqual([{ type: "counter", help: "", unit: "" }]);
    const build = await api(board, "status/buildinfo", viewer);
    expect(build.body).toMatchObject({ status: "success", data: { version: "2.42.0" } });
    expect((await api(board, "query_exemplars?query=up", viewer)).body).toEqual({
      status: "success",
      data: [],
    });
    expect((await api(board, "rules", viewer)).body).toEqual({ status: "success", data: { groups: [] } });
    expect((await api(board, "alerts", viewer)).body).toEqual({ status: "success", data: { alerts: [] } });
  });

  it("shows the board's alert rules and firing alerts as a rule group and alerts", async () => {
    const { board, viewer } = await seeded();
    const admin = await token("admin", board);
    const rule = { name: "hot", series: "*:temperature", op: ">", threshold: 20 };
    const created = await request(`/api/v1/boards/${board}/alerts`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify(rule),
    });
    expect(created.status).toBe(201);
    await write(board, [
      { labels: { __name__: "temperature", instance: "sensor-1", room: "lab" }, samples: [[25, Date.now()]] },
    ]);
    const rules = await api(board, "rules", viewer);
    const [group] = rules.body.data.groups;
    expect(group.rules[0]).toMatchObject({
      name: "hot",
      query: '{__name__="temperature"} > 20',
      type: "alerting",
      health: "ok",
      state: "firing",
    });
    const alerts = await api(board, "alerts", admin);
    expect(alerts.body.data.alerts).toEqual([
      {
        labels: { alertname: "hot", __name__: "temperature", instance: "sensor-1", room: "lab" },
        annotations: {},
        state: "firing",
        activeAt: expect.stringMatching(/Z$/),
        value: "2.5e+01",
      },
    ]);
  });
});

describe("Prometheus API: credentials", () => {
  it("takes a viewer or admin token as Bearer or as the password of HTTP Basic", async () => {
    const { board, viewer } = await seeded();
    const admin = await token("admin", board);
    const path = `/api/v1/boards/${board}/prometheus/api/v1/query?query=up`;
    for (const authorization of [
      `Bearer ${admin}`,
      `Basic ${btoa(`promtool:${viewer}`)}`,
      `Basic ${btoa(`:${admin}`)}`,
    ])
      expect((await request(path, { headers: { authorization } })).status).toBe(200);
  });

  it("refuses missing, forged, device, gateway and other boards' tokens in Prometheus's error shape", async () => {
    const { board } = await seeded();
    const path = `/api/v1/boards/${board}/prometheus/api/v1/query?query=up`;
    const missing = await answer(request(path));
    expect(missing).toEqual({
      status: 401,
      body: { status: "error", errorType: "missing_token", error: expect.any(String) },
    });
    const refused = async (credential: string) =>
      (await answer(request(path, { headers: { authorization: `Bearer ${credential}` } }))).status;
    expect(await refused("ep1.forged.token")).toBe(401);
    expect(await refused(await token("device", board, "d"))).toBe(403);
    expect(await refused(await token("gateway", board, "g"))).toBe(403);
    expect(await refused(await token("viewer", freshBoard()))).toBe(403);
  });
});

describe("Prometheus API: errors and limits", () => {
  it("answers 400 bad_data for bad times, steps, expressions and label names, as Prometheus words them", async () => {
    const { board, viewer } = await seeded();
    const expectBadData = async (path: string, init?: RequestInit, error?: string | RegExp) => {
      const { status, body } = await api(board, path, viewer, init);
      expect(status).toBe(400);
      expect(body).toMatchObject({ status: "error", errorType: "bad_data" });
      if (error) expect(body.error).toMatch(error);
    };
    await expectBadData(
      "query?query=up&time=yesterday",
      undefined,
      'invalid parameter "time": cannot parse "yesterday" to a valid timestamp',
    );
    // Go's time.Parse refuses a day the month does not have (Date.parse would roll it into March).
    await expectBadData(
      "query?query=up&time=2026-02-30T00:00:00Z",
      undefined,
      /cannot parse .* valid timestamp/,
    );
    await expectBadData("query?query=sum(", undefined, /^invalid parameter "query": /);
    await expectBadData(
      "query_range?query=up&start=10&end=5&step=1",
      undefined,
      "end timestamp must not be before start time",
    );
    await expectBadData(
      "query_range?query=up&start=0&end=10&step=0",
      undefined,
      /zero or negative query resolution step/,
    );
    await expectBadData(
      "query_range?query=up&start=0&end=10&step=ten",
      undefined,
      'invalid parameter "step": cannot parse "ten" to a valid duration',
    );
    await expectBadData(
      "query_range?query=up&start=0&end=11001&step=1",
      undefined,
      /exceeded maximum resolution of 11,000 points/,
    );
    await expectBadData("series", undefined, "no match[] parameter provided");
    await expectBadData(`series?match[]=${encodeURIComponent("rate(x[5m])")}`);
    await expectBadData("label/not-a-name/values", undefined, 'invalid label name: "not-a-name"');
    await expectBadData("query", form({ query: `up${" + up".repeat(4000)}` }), /16384/);
    await expectBadData("query", form({ query: "up", pad: "x".repeat(300_000) }), /larger than 262144 bytes/);
  });

  it("answers 422 execution when evaluation fails, e.g. many-to-many vector matching", async () => {
    const { board, viewer } = await seeded();
    const q = encodeURIComponent("http_requests_total + ignoring(code, instance) http_requests_total");
    const { status, body } = await api(board, `query?query=${q}&time=${SECONDS(END)}`, viewer);
    expect(status).toBe(422);
    expect(body).toEqual({
      status: "error",
      errorType: "execution",
      error: expect.stringMatching(/many-to-many/),
    });
  });

  it("accepts steps and times in every form Prometheus does: float seconds, durations, RFC 3339 with offsets", async () => {
    const { board, viewer } = await seeded();
    const start = new Date(END - 3_600_000).toISOString().replace("Z", "+00:00");
    for (const step of ["15", "15.0", "15s", "1m", "1m30s"]) {
      const { status, body } = await api(
        board,
        `query_range?query=temperature&start=${encodeURIComponent(start)}&end=${SECONDS(END)}&step=${step}`,
        viewer,
      );
      expect(status).toBe(200);
      expect(body.data.result[0].values.at(-1)[1]).toBe("21.5");
    }
  });

  it("answers 503 timeout when a query runs past its timeout", async () => {
    const { board, viewer } = await seeded();
    const { status, body } = await queryRange(board, viewer, {
      query: "sum by (job) (rate(http_requests_total[5m])) * on() group_left count(http_requests_total)",
      start: SECONDS(END - 10_999_000),
      end: SECONDS(END),
      step: "1",
      timeout: "1ms",
    });
    expect(status).toBe(503);
    expect(body).toEqual({
      status: "error",
      errorType: "timeout",
      error: expect.stringMatching(/timed out/),
    });
  });

  it("refuses a selector past the series limit and a query past the samples limit with 422-shaped execution errors", async () => {
    const { board } = await seeded();
    const shard = shardStub(board);
    const queried = {
      sid: 0,
      promqlSelect: (r: Parameters<typeof shard.promqlSelect>[0]) => shard.promqlSelect(r),
      promqlAggregate: (r: Parameters<typeof shard.promqlAggregate>[0]) => shard.promqlAggregate(r),
    };
    const limits = (maxSeriesPerSelector: number, maxSamples: number) => ({
      maxSeriesPerSelector,
      maxSamples,
      timeoutMs: 10_000,
    });
    const hints = { start: END - 600_000, end: END, step: 0, range: 0 };
    const matchers = [{ name: "__name__", type: "=" as const, value: "http_requests_total" }];
    const fewSeries = new ShardQuerier([queried], Date.now(), limits(2, 1e6));
    await expect(fewSeries.select(matchers, hints)).rejects.toThrow(/matches more than 2 series/);
    const fewSamples = new ShardQuerier([queried], Date.now(), limits(10, 50));
    const refusal = await fewSamples.select(matchers, hints).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PromQLError);
    expect(refusal).toMatchObject({ errorType: "execution", message: /too many samples/ });
    const enough = new ShardQuerier([queried], Date.now(), limits(3, 200));
    expect(await enough.select(matchers, hints)).toHaveLength(3);
    expect(enough.cost).toMatchObject({ series: 3, samples: 3 * 41, sources: ["raw"] });
  });
});
