/**
 * Real agents and client libraries, unchanged, against `wrangler dev`: the OpenTelemetry JS SDK with its OTLP HTTP
 * JSON and protobuf exporters, the InfluxDB JS client, and Debian's Prometheus server remote-writing what it
 * scrapes from itself. What they send must read back through the query API with the right names, labels and values.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InfluxDB, Point } from "@influxdata/influxdb-client";
import { OTLPMetricExporter as JsonExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtobufExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from "@opentelemetry/sdk-metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../../scripts/mint-token.ts";
import { findFreePorts, waitForHttp } from "../../scripts/net.ts";
import { type GroupProcess, startGroup } from "../../scripts/processes.ts";
import { startRealPrometheus } from "../../scripts/real-prometheus.ts";
import { DEV_HOST, wranglerDev } from "../../scripts/tools.ts";
import type { HistoryResult } from "../../worker/protocol/index.ts";

const secret = randomBytes(32).toString("hex");
const stateDir = mkdtempSync(join(tmpdir(), "edgepulse-agents-"));
const output: string[] = [];
let wrangler: GroupProcess | undefined;
let baseUrl = "";

interface Listed {
  device: string;
  metric: string;
  labels?: Record<string, string>;
  unit?: string;
  kind?: string;
  last: { ts: number; value: number };
}

async function viewerGet<T>(board: string, path: string): Promise<T> {
  const viewer = await mintToken(secret, { kind: "viewer", board });
  const response = await fetch(`${baseUrl}/api/v1/boards/${board}/${path}`, {
    headers: { authorization: `Bearer ${viewer}` },
  });
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const listed = async (board: string) => (await viewerGet<{ series: Listed[] }>(board, "series")).series;

async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  const [port, inspectorPort] = (await findFreePorts(DEV_HOST, 2)) as [number, number];
  baseUrl = `http://${DEV_HOST}:${port}`;
  const args = ["--inspector-port", String(inspectorPort), "--persist-to", stateDir];
  wrangler = startGroup(wranglerDev(port, [...args, "--var", `EDGEPULSE_SECRET:${secret}`]), {
    output: (line) => output.push(line),
  });
  await waitForHttp(`${baseUrl}/api/v1/ingest`, 60_000, wrangler.exited);
});

afterAll(async () => {
  await wrangler?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Records a counter, an up-down counter, a histogram and a gauge with an SDK and exports them once. */
async function exportWithSdk(exporter: PushMetricExporter): Promise<void> {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": "checkout", "service.instance.id": "pod-1" }),
    readers: [reader],
  });
  const meter = provider.getMeter("edgepulse-test");
  const requests = meter.createCounter("http.server.requests", { unit: "{request}" });
  requests.add(3, { "http.route": "/cart", "http.response.status_code": 200 });
  requests.add(1, { "http.route": "/pay", "http.response.status_code": 503 });
  meter.createUpDownCounter("queue.items").add(7);
  const duration = meter.createHistogram("http.server.duration", { unit: "ms" });
  for (const ms of [12, 30, 250]) duration.record(ms, { "http.route": "/cart" });
  meter
    .createObservableGauge("cpu.temperature", { unit: "Cel" })
    .addCallback((result) => result.observe(58.5));
  // Shutting down collects and exports once (a forceFlush before it would export a second sample of each).
  await provider.shutdown();
}

describe("real agents", () => {
  it.each([
    [
      "JSON",
      (url: string, token: string) =>
        new JsonExporter({ url, headers: { authorization: `Bearer ${token}` } }),
    ],
    [
      "protobuf",
      (url: string, token: string) =>
        new ProtobufExporter({ url, headers: { authorization: `Bearer ${token}` } }),
    ],
  ])("store what the OpenTelemetry SDK's OTLP %s exporter sends", async (_encoding, makeExporter) => {
    const board = `otel-${randomBytes(4).toString("hex")}`;
    const gateway = await mintToken(secret, { kind: "gateway", board, gateway: "otel" });
    await exportWithSdk(makeExporter(`${baseUrl}/v1/metrics`, gateway));
    const series = await listed(board);
    const named = (metric: string, labels?: Record<string, string>) =>
      series.find((s) => s.metric === metric && JSON.stringify(s.labels) === JSON.stringify(labels));
    const cart = { http_response_status_code: "200", http_route: "/cart", service: "checkout" };
    expect(named("http.server.requests", cart)).toMatchObject({
      device: "pod-1",
      unit: "{request}",
      kind: "counter",
      last: { value: 3 },
    });
    expect(
      named("http.server.requests", { ...cart, http_route: "/pay", http_response_status_code: "503" }),
    ).toMatchObject({ last: { value: 1 } });
    expect(named("queue.items", { service: "checkout" })).toMatchObject({
      kind: "gauge",
      last: { value: 7 },
    });
    const route = { http_route: "/cart", service: "checkout" };
    expect(named("http.server.duration_count", route)).toMatchObject({ kind: "counter", last: { value: 3 } });
    expect(named("http.server.duration_sum", route)).toMatchObject({ unit: "ms", last: { value: 292 } });
    expect(named("http.server.duration_min", route)?.last.value).toBe(12);
    expect(named("http.server.duration_max", route)?.last.value).toBe(250);
    expect(named("cpu.temperature", { service: "checkout" })).toMatchObject({
      unit: "Cel",
      last: { value: 58.5 },
    });
    const history = await viewerGet<HistoryResult>(
      board,
      "query?series=pod-1:http.server.requests&from=-10m&step=1m",
    );
    expect(history.series.map((s) => s.count.reduce((a, b) => a + b, 0))).toEqual([1, 1]);
  });

  it("store what the InfluxDB JS client writes, gzipped, with tags as labels", async () => {
    const board = `influx-${randomBytes(4).toString("hex")}`;
    const gateway = await mintToken(secret, { kind: "gateway", board, gateway: "influx" });
    const writeApi = new InfluxDB({ url: baseUrl, token: gateway }).getWriteApi("any-org", board, "ms", {
      batchSize: 500,
      gzipThreshold: 100,
      maxRetries: 0,
    });
    const now = Date.now();
    for (let i = 0; i < 60; i++) {
      writeApi.writePoint(
        new Point("cpu")
          .tag("host", `edge-${i % 3}`)
          .tag("cpu", `cpu${i % 2}`)
          .floatField("usage_user", i)
          .intField("threads", 100 + i)
          .booleanField("throttled", i % 2 === 0)
          .stringField("governor", "powersave")
          .timestamp(new Date(now - (60 - i) * 1000)),
      );
    }
    await writeApi.close();
    const series = await listed(board);
    expect(new Set(series.map((s) => s.device))).toEqual(new Set(["edge-0", "edge-1", "edge-2"]));
    expect(new Set(series.map((s) => s.metric))).toEqual(
      new Set(["cpu_usage_user", "cpu_threads", "cpu_throttled"]),
    );
    const last = series.find(
      (s) => s.device === "edge-2" && s.metric === "cpu_usage_user" && s.labels?.cpu === "cpu1",
    );
    expect(last?.last).toEqual({ ts: now - 1000, value: 59 });
  });

  it("store what a Prometheus server remote-writes from its own scrapes", async () => {
    const board = `prom-${randomBytes(4).toString("hex")}`;
    const gateway = await mintToken(secret, { kind: "gateway", board, gateway: "prometheus" });
    const prometheus = await startRealPrometheus({
      config: (promPort) => [
        "global: { scrape_interval: 1s }",
        "scrape_configs:",
        "  - job_name: prom",
        `    static_configs: [{ targets: ["${DEV_HOST}:${promPort}"] }]`,
        "remote_write:",
        `  - url: ${baseUrl}/api/v1/write`,
        `    authorization: { credentials: "${gateway}" }`,
        "    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s }",
        "    write_relabel_configs:",
        "      - { source_labels: [__name__], regex: 'up|prometheus_build_info|prometheus_http_requests_total', action: keep }",
      ],
    });
    const log = prometheus.log;
    try {
      const device = `${DEV_HOST}_${prometheus.port}`;
      const series = await eventually(
        () => listed(board),
        (found) =>
          ["up", "prometheus_build_info", "prometheus_http_requests_total"].every((m) =>
            found.some((s) => s.metric === m),
          ),
      );
      const up = series.find((s) => s.metric === "up");
      expect(up, log.join("").slice(-2000)).toMatchObject({
        device,
        labels: { job: "prom" },
        last: { value: 1 },
      });
      expect(series.find((s) => s.metric === "prometheus_build_info")?.labels).toMatchObject({
        job: "prom",
        version: expect.stringMatching(/^2\./),
      });
      expect(series.find((s) => s.metric === "prometheus_http_requests_total")).toMatchObject({
        kind: "counter",
      });
    } finally {
      await prometheus.stop();
    }
  });
});
