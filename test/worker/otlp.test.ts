import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { StatusSchema } from "../../worker/formats/gen/google/rpc/status_pb.ts";
import {
  ExportMetricsServiceRequestSchema,
  ExportMetricsServiceResponseSchema,
} from "../../worker/formats/gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts";
import { answer, freshBoard, request, token } from "./helpers.ts";

const nanos = (ms: number) => `${ms}000000`;
const attribute = (key: string, value: string) => ({ key, value: { stringValue: value } });

function exportRequest(metrics: unknown[], resource: unknown[] = [attribute("service.name", "checkout")]) {
  return {
    resourceMetrics: [
      { resource: { attributes: resource }, scopeMetrics: [{ scope: { name: "test" }, metrics }] },
    ],
  };
}

function post(credential: string, body: BodyInit, type = "application/json") {
  return request("/v1/metrics", {
    method: "POST",
    headers: { authorization: `Bearer ${credential}`, "content-type": type },
    body,
  });
}

async function stored(board: string) {
  const viewer = await token("viewer", board);
  const { body } = await answer(
    request(`/api/v1/boards/${board}/series`, { headers: { authorization: `Bearer ${viewer}` } }),
  );
  return body.series as Array<Record<string, unknown> & { last: { value: number } }>;
}

describe("OTLP/HTTP metrics", () => {
  it("maps gauges, sums, histograms (with cumulative le buckets), exponential histograms and summaries to series with labels, units and kinds", async () => {
    const board = freshBoard();
    const device = await token("device", board, "svc-1");
    const t = nanos(Date.now() - 1000);
    const point = { attributes: [attribute("http.route", "/a")], timeUnixNano: t };
    const body = exportRequest([
      { name: "queue.depth", unit: "{item}", gauge: { dataPoints: [{ ...point, asDouble: 4.5 }] } },
      {
        name: "http.requests",
        unit: "{request}",
        sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ ...point, asInt: "12" }] },
      },
      {
        name: "bytes.sent",
        sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ ...point, asInt: 3 }] },
      },
      {
        name: "workers",
        sum: { aggregationTemporality: 2, isMonotonic: false, dataPoints: [{ ...point, asInt: 7 }] },
      },
      {
        name: "http.duration",
        unit: "ms",
        histogram: {
          aggregationTemporality: 2,
          dataPoints: [
            { ...point, count: "4", sum: 10, min: 1, max: 5, bucketCounts: ["1", "3"], explicitBounds: [2] },
          ],
        },
      },
      {
        name: "payload.size",
        exponentialHistogram: {
          aggregationTemporality: 1,
          dataPoints: [{ ...point, count: "2", sum: 300, scale: 2 }],
        },
      },
      {
        name: "gc.pause",
        summary: {
          dataPoints: [
            {
              ...point,
              count: "5",
              sum: 2.5,
              quantileValues: [
                { quantile: 0.5, value: 0.4 },
                { quantile: 0.99, value: 0.9 },
              ],
            },
          ],
        },
      },
    ]);
    const response = await answer(post(device, JSON.stringify(body)));
    expect(response).toEqual({ status: 200, body: {} });
    const labels = { service: "checkout", http_route: "/a" };
    expect(
      (await stored(board)).map(({ metric, labels, unit, kind, last }) => [
        metric,
        labels,
        unit,
        kind,
        last.value,
      ]),
    ).toEqual([
      ["queue.depth", labels, "{item}", "gauge", 4.5],
      ["http.requests", labels, "{request}", "counter", 12],
      ["bytes.sent", labels, undefined, "delta", 3],
      ["workers", labels, undefined, "gauge", 7],
      ["http.duration_count", labels, undefined, "counter", 4],
      ["http.duration_sum", labels, "ms", "counter", 10],
      ["http.duration_min", labels, "ms", "gauge", 1],
      ["http.duration_max", labels, "ms", "gauge", 5],
      ["http.duration_bucket", { ...labels, le: "2" }, undefined, "counter", 1],
      ["http.duration_bucket", { ...labels, le: "+Inf" }, undefined, "counter", 4],
      ["payload.size_count", labels, undefined, "delta", 2],
      ["payload.size_sum", labels, undefined, "delta", 300],
      ["gc.pause_count", labels, undefined, "counter", 5],
      ["gc.pause_sum", labels, undefined, "counter", 2.5],
      ["gc.pause", { ...labels, quantile: "0.5" }, undefined, "gauge", 0.4],
      ["gc.pause", { ...labels, quantile: "0.99" }, undefined, "gauge", 0.9],
    ]);
  });

  it("stores what it can and reports the rest as partial success", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const now = Date.now();
    const tooMany = Array.from({ length: 17 }, (_, i) => attribute(`a${i}`, "x"));
    const body = exportRequest([
      {
        name: "ok",
        gauge: {
          dataPoints: [
            { timeUnixNano: nanos(now), asDouble: 1 },
            { timeUnixNano: nanos(now), asDouble: 2, attributes: tooMany },
            { timeUnixNano: nanos(now - 30 * 86_400_000), asDouble: 3 },
            { timeUnixNano: nanos(now), flags: 1 },
          ],
        },
      },
    ]);
    const { status, body: result } = await answer(post(device, JSON.stringify(body)));
    expect(status).toBe(200);
    expect(result.partialSuccess).toEqual({
      rejectedDataPoints: "2",
      errorMessage: expect.stringContaining("metric ok: a series carries at most 16 labels"),
    });
    // The NoRecordedValue point is a staleness marker, later in the request than the value at the same time.
    expect((await stored(board)).map((s) => s.last)).toEqual([{ ts: now, value: "NaN", stale: true }]);
  });

  it("answers a protobuf request in protobuf, and takes the device from service.instance.id for a gateway", async () => {
    const board = freshBoard();
    const gateway = await token("gateway", board, "collector");
    const message = create(ExportMetricsServiceRequestSchema, {
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: "service.instance.id", value: { value: { case: "stringValue", value: "pod-7" } } },
            ],
          },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: "up",
                  data: {
                    case: "gauge",
                    value: {
                      dataPoints: [
                        {
                          timeUnixNano: BigInt(Date.now()) * 1_000_000n,
                          value: { case: "asDouble", value: 1 },
                        },
                      ],
                    },
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const response = await post(
      gateway,
      toBinary(ExportMetricsServiceRequestSchema, message),
      "application/x-protobuf",
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-protobuf");
    const decoded = fromBinary(
      ExportMetricsServiceResponseSchema,
      new Uint8Array(await response.arrayBuffer()),
    );
    expect(decoded.partialSuccess).toBeUndefined();
    expect((await stored(board)).map((s) => s.device)).toEqual(["pod-7"]);
  });

  it("rejects a gateway's points whose resource names no device, as partial success", async () => {
    const board = freshBoard();
    const gateway = await token("gateway", board, "collector");
    const body = exportRequest([
      { name: "up", gauge: { dataPoints: [{ timeUnixNano: nanos(Date.now()), asDouble: 1 }] } },
    ]);
    const { body: result } = await answer(post(gateway, JSON.stringify(body)));
    expect(result.partialSuccess).toMatchObject({ rejectedDataPoints: "1" });
    expect(result.partialSuccess.errorMessage).toContain("service.instance.id");
  });

  it("answers 400 with a google.rpc.Status, in the request's encoding, to a body that is not OTLP", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    const json = await answer(post(device, "{not json"));
    expect(json.status).toBe(400);
    expect(json.body).toEqual({
      code: 3,
      message: expect.stringContaining("not an OTLP ExportMetricsServiceRequest"),
    });
    const binary = await post(device, new Uint8Array([0xff, 0xff, 0xff]), "application/x-protobuf");
    expect(binary.status).toBe(400);
    expect(fromBinary(StatusSchema, new Uint8Array(await binary.arrayBuffer())).code).toBe(3);
  });

  it("answers 415 to another content type and 401 to a bad token, as Status", async () => {
    const board = freshBoard();
    const device = await token("device", board, "d");
    expect(await answer(post(device, "x", "text/plain"))).toMatchObject({ status: 415, body: { code: 3 } });
    expect(await answer(post("nope", "{}"))).toMatchObject({ status: 401, body: { code: 16 } });
  });
});
