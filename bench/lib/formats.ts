import { create, toBinary } from "@bufbuild/protobuf";
import { compress } from "snappyjs";
import { ExportMetricsServiceRequestSchema } from "../../worker/formats/gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts";
import { WriteRequestSchema } from "../../worker/formats/gen/prometheus/remote_pb.ts";
import { ingestBody, type Point } from "./points.ts";

/** The ingest formats the app takes, each as its agents send it. */
export const FORMATS = ["json", "line protocol", "otlp json", "otlp protobuf", "remote write"] as const;
export type FormatName = (typeof FORMATS)[number];

/** A request ready to send: where, with which headers (the credential added by the caller), and the body. */
export interface EncodedRequest {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

function byMetric(points: Point[]): Map<string, Point[]> {
  const groups = new Map<string, Point[]>();
  for (const point of points) {
    const group = groups.get(point.metric) ?? [];
    group.push(point);
    groups.set(point.metric, group);
  }
  return groups;
}

function otlpRequest(points: Point[]) {
  return create(ExportMetricsServiceRequestSchema, {
    resourceMetrics: [
      {
        scopeMetrics: [
          {
            metrics: [...byMetric(points)].map(([name, group]) => ({
              name,
              data: {
                case: "gauge" as const,
                value: {
                  dataPoints: group.map((p) => ({
                    timeUnixNano: BigInt(p.ts) * 1_000_000n,
                    value: { case: "asDouble" as const, value: p.value },
                  })),
                },
              },
            })),
          },
        ],
      },
    ],
  });
}

/** Encodes a batch of points in `format` for `board`. */
export function encode(format: FormatName, board: string, points: Point[]): EncodedRequest {
  switch (format) {
    case "json":
      return {
        path: "/api/v1/ingest",
        headers: { "content-type": "application/json" },
        body: ingestBody(points),
      };
    case "line protocol":
      return {
        path: `/api/v2/write?bucket=${board}&precision=ms`,
        headers: { "content-type": "text/plain; charset=utf-8" },
        body: Buffer.from(points.map((p) => `${p.metric} value=${p.value} ${p.ts}`).join("\n")),
      };
    case "otlp json": {
      const metrics = [...byMetric(points)].map(([name, group]) => ({
        name,
        gauge: { dataPoints: group.map((p) => ({ timeUnixNano: `${p.ts}000000`, asDouble: p.value })) },
      }));
      const body = Buffer.from(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics }] }] }));
      return { path: "/v1/metrics", headers: { "content-type": "application/json" }, body };
    }
    case "otlp protobuf":
      return {
        path: "/v1/metrics",
        headers: { "content-type": "application/x-protobuf" },
        body: Buffer.from(toBinary(ExportMetricsServiceRequestSchema, otlpRequest(points))),
      };
    case "remote write": {
      const request = create(WriteRequestSchema, {
        timeseries: [...byMetric(points)].map(([name, group]) => ({
          labels: [{ name: "__name__", value: name.replaceAll(".", "_") }],
          samples: group.map((p) => ({ value: p.value, timestamp: BigInt(p.ts) })),
        })),
      });
      return {
        path: "/api/v1/write",
        headers: { "content-type": "application/x-protobuf", "content-encoding": "snappy" },
        body: Buffer.from(compress(toBinary(WriteRequestSchema, request))),
      };
    }
  }
}
