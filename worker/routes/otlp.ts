import { create, toBinary, toJson } from "@bufbuild/protobuf";
import { type Context, Hono } from "hono";
import type { Env } from "../env.ts";
import { StatusSchema } from "../formats/gen/google/rpc/status_pb.ts";
import { ExportMetricsServiceResponseSchema } from "../formats/gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts";
import {
  DEVICE_ATTRIBUTES,
  decodeOtlp,
  type OtlpEncoding,
  otlpPoints,
  type Rejected,
} from "../formats/otlp.ts";
import { ApiError } from "../http/errors.ts";
import { methodNotAllowed } from "../http/methods.ts";
import { acceptIngest } from "../ingest/accept.ts";
import { deviceRule } from "../ingest/device.ts";

const CONTENT_TYPES: Record<string, OtlpEncoding> = {
  "application/json": "json",
  "application/x-protobuf": "protobuf",
};

/** The encoding a request's Content-Type names, or null for any other. */
function encodingOf(c: Context): OtlpEncoding | null {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  return CONTENT_TYPES[type] ?? null;
}

/** A message in the request's encoding (JSON for requests that named none we speak). */
function encoded(
  c: Context,
  status: number,
  json: unknown,
  binary: Uint8Array,
  headers: Record<string, string> = {},
) {
  if (encodingOf(c) === "protobuf") {
    return c.body(binary as Uint8Array<ArrayBuffer>, status as 200, {
      ...headers,
      "content-type": "application/x-protobuf",
    });
  }
  return c.json(json, status as 200, headers);
}

/** gRPC status codes for our HTTP statuses, as google.rpc.Status carries them. */
const GRPC_CODES: Partial<Record<number, number>> = {
  400: 3,
  401: 16,
  403: 7,
  404: 5,
  413: 3,
  415: 3,
  422: 3,
  429: 8,
};

/** Errors as OTLP/HTTP answers them: a google.rpc.Status in the request's encoding (429 keeps Retry-After). */
function otlpError(error: Error, c: Context): Response {
  let api = error;
  if (!(api instanceof ApiError)) {
    console.error(`worker ${c.req.method} ${c.req.path}: unhandled error`, error);
    api = new ApiError(500, "internal", "internal error");
  }
  const { status, message, headers } = api as ApiError;
  const statusMessage = create(StatusSchema, { code: GRPC_CODES[status] ?? 13, message });
  return encoded(
    c,
    status,
    toJson(StatusSchema, statusMessage),
    toBinary(StatusSchema, statusMessage),
    headers,
  );
}

function exportResponse(c: Context, rejected: Rejected | undefined): Response {
  const response = create(ExportMetricsServiceResponseSchema, {});
  if (rejected && rejected.count > 0) {
    response.partialSuccess = {
      $typeName: "opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess",
      rejectedDataPoints: BigInt(rejected.count),
      errorMessage: rejected.message,
    };
  }
  return encoded(
    c,
    200,
    toJson(ExportMetricsServiceResponseSchema, response),
    toBinary(ExportMetricsServiceResponseSchema, response),
  );
}

/** `POST /v1/metrics`: OTLP/HTTP metrics exports, JSON or protobuf, from OpenTelemetry SDKs and the Collector. */
export const otlpRoutes = new Hono<{ Bindings: Env }>()
  .post("/metrics", async (c) => {
    const { extra } = await acceptIngest(c, (bytes, claims, now) => {
      const encoding = encodingOf(c);
      if (!encoding) {
        const message = "send Content-Type: application/json or application/x-protobuf";
        throw new ApiError(415, "unsupported_media_type", message, "content-type");
      }
      const attribute = c.req.query("device_attribute");
      const rule = deviceRule(claims, attribute ?? DEVICE_ATTRIBUTES.join(" or "));
      const { points, rejected } = otlpPoints(decodeOtlp(bytes, encoding), rule, attribute, now);
      return { points, extra: rejected };
    });
    return exportResponse(c, extra);
  })
  .all("/metrics", methodNotAllowed("POST"))
  .onError(otlpError);
