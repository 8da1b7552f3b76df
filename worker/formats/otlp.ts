import { fromBinary, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ApiError } from "../http/errors.ts";
import type { DeviceRule } from "../ingest/device.ts";
import {
  checkLabels,
  checkTs,
  checkUnit,
  type PointColumns,
  PointProblem,
  PointsBuilder,
  sanitizeLabelKey,
  sanitizeMetric,
} from "../ingest/points.ts";
import type { Labels, SeriesKind } from "../protocol/index.ts";
import {
  type ExportMetricsServiceRequest,
  ExportMetricsServiceRequestSchema,
} from "./gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.ts";
import type { AnyValue, KeyValue } from "./gen/opentelemetry/proto/common/v1/common_pb.ts";
import { AggregationTemporality, type Metric } from "./gen/opentelemetry/proto/metrics/v1/metrics_pb.ts";

/** Resource attributes that name a point's device, in order, unless `?device_attribute=` names another. */
export const DEVICE_ATTRIBUTES = ["service.instance.id", "host.name"];
/** The resource attribute kept as a label (`service`) on every series of the resource. */
const SERVICE_ATTRIBUTE = "service.name";
/** DataPointFlags.NO_RECORDED_VALUE: the point says its series stopped, as Prometheus's staleness marker does. */
const NO_RECORDED_VALUE = 1;

export type OtlpEncoding = "json" | "protobuf";

/** Decodes an ExportMetricsServiceRequest; 400 when the body is not one. */
export function decodeOtlp(body: Uint8Array, encoding: OtlpEncoding): ExportMetricsServiceRequest {
  try {
    if (encoding === "protobuf") return fromBinary(ExportMetricsServiceRequestSchema, body);
    const json = JSON.parse(new TextDecoder().decode(body)) as JsonValue;
    return fromJson(ExportMetricsServiceRequestSchema, json, { ignoreUnknownFields: true });
  } catch (error) {
    const message = `the body is not an OTLP ExportMetricsServiceRequest in ${encoding}: ${(error as Error).message}`;
    throw new ApiError(400, "invalid_otlp", message.slice(0, 300), "body");
  }
}

/** An attribute value as a label value: strings as they are, other scalars in their usual text, the rest as JSON. */
function attributeText(value: AnyValue | undefined): string {
  const { case: kind, value: inner } = value?.value ?? {};
  if (kind === undefined) return "";
  if (kind === "stringValue") return inner as string;
  if (kind === "boolValue" || kind === "intValue" || kind === "doubleValue") return String(inner);
  if (kind === "bytesValue") return btoa(String.fromCharCode(...(inner as Uint8Array)));
  return JSON.stringify(inner, (_key, v) => (typeof v === "bigint" ? String(v) : v));
}

function attributes(list: KeyValue[]): Map<string, string> {
  return new Map(list.map((kv) => [kv.key, attributeText(kv.value)]));
}

function nanosToMs(nanos: bigint): number {
  if (nanos === 0n) throw new PointProblem("invalid_ts", "a data point needs its timeUnixNano");
  return Number(nanos / 1_000_000n);
}

/** How a sum or a histogram's count and sum behave, from their temporality and monotonicity. */
function sumKind(temporality: AggregationTemporality, monotonic: boolean): SeriesKind {
  if (temporality === AggregationTemporality.DELTA) return "delta";
  return monotonic ? "counter" : "gauge";
}

/** The points of one OTLP data point, before they are added: a metric suffix, extra labels, value, kind. */
interface Derived {
  suffix: string;
  labels?: Labels;
  /** Any float64; undefined when a number data point carries none. */
  value: number | undefined;
  kind: SeriesKind;
}

/**
 * An explicit-bucket histogram's buckets as Prometheus's OTLP translation stores them: cumulative `_bucket` series
 * with an `le` label per upper bound, and `le="+Inf"` holding every observation.
 */
function cumulativeBuckets(bounds: number[], counts: bigint[], total: number, kind: SeriesKind): Derived[] {
  let cumulative = 0;
  const buckets = bounds.map((bound, i) => {
    cumulative += Number(counts[i] ?? 0n);
    return { suffix: "_bucket", labels: { le: String(bound) }, value: cumulative, kind };
  });
  return [...buckets, { suffix: "_bucket", labels: { le: "+Inf" }, value: total, kind }];
}

/** What each OTLP data point of a metric turns into (histograms and summaries become several series). */
function* dataPoints(
  metric: Metric,
): Generator<{ attributes: KeyValue[]; time: bigint; flags: number; points: Derived[] }> {
  const { case: type, value: data } = metric.data;
  switch (type) {
    case "gauge":
    case "sum": {
      const kind = type === "gauge" ? "gauge" : sumKind(data.aggregationTemporality, data.isMonotonic);
      for (const p of data.dataPoints) {
        const value = p.value.case === "asInt" ? Number(p.value.value) : p.value.value;
        yield {
          attributes: p.attributes,
          time: p.timeUnixNano,
          flags: p.flags,
          points: [{ suffix: "", value, kind }],
        };
      }
      return;
    }
    case "histogram":
    case "exponentialHistogram": {
      const kind = sumKind(data.aggregationTemporality, true);
      for (const p of data.dataPoints) {
        const points: Derived[] = [{ suffix: "_count", value: Number(p.count), kind }];
        if (p.sum !== undefined) points.push({ suffix: "_sum", value: p.sum, kind });
        if (p.min !== undefined) points.push({ suffix: "_min", value: p.min, kind: "gauge" });
        if (p.max !== undefined) points.push({ suffix: "_max", value: p.max, kind: "gauge" });
        if ("explicitBounds" in p)
          points.push(...cumulativeBuckets(p.explicitBounds, p.bucketCounts, Number(p.count), kind));
        yield { attributes: p.attributes, time: p.timeUnixNano, flags: p.flags, points };
      }
      return;
    }
    case "summary":
      for (const p of data.dataPoints) {
        const points: Derived[] = [
          { suffix: "_count", value: Number(p.count), kind: "counter" },
          { suffix: "_sum", value: p.sum, kind: "counter" },
          ...p.quantileValues.map((q) => ({
            suffix: "",
            labels: { quantile: String(q.quantile) },
            value: q.value,
            kind: "gauge" as const,
          })),
        ];
        yield { attributes: p.attributes, time: p.timeUnixNano, flags: p.flags, points };
      }
      return;
  }
}

/** A data point's value: any float64, NaN and ±Inf included; a number data point without one is refused. */
function recordedValue(value: number | undefined): number {
  if (value === undefined)
    throw new PointProblem("invalid_value", "a number data point needs asDouble or asInt");
  return value;
}

/** Points refused from a request, as OTLP's partial success reports them. */
export interface Rejected {
  count: number;
  message: string;
}

/**
 * Points of an OTLP metrics export. Data point attributes become labels (keys made to fit: `http.route` →
 * `http_route`); the resource's `service.name` becomes label `service`; the device comes from `deviceAttribute` or
 * the first of DEVICE_ATTRIBUTES the resource has. Units are kept as series metadata. A data point that cannot be
 * stored is counted in `rejected` (OTLP's partial success) and the others are stored.
 */
export function otlpPoints(
  request: ExportMetricsServiceRequest,
  rule: DeviceRule,
  deviceAttribute: string | undefined,
  now: number,
): { points: PointColumns | null; rejected: Rejected } {
  const builder = new PointsBuilder();
  const rejected: Rejected = { count: 0, message: "" };
  const reject = (what: string, error: unknown) => {
    if (!(error instanceof PointProblem)) throw error;
    rejected.count++;
    rejected.message ||= `${what}: ${error.message}`;
  };
  for (const resourceMetrics of request.resourceMetrics) {
    const resource = attributes(resourceMetrics.resource?.attributes ?? []);
    const keys = deviceAttribute ? [deviceAttribute] : DEVICE_ATTRIBUTES;
    const service = resource.get(SERVICE_ATTRIBUTE);
    let device: string;
    try {
      device = rule.resolve(keys.map((key) => resource.get(key)).find((value) => value));
    } catch (error) {
      // Without a device, none of the resource's points can be stored.
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          for (const _point of dataPoints(metric)) reject(`resource of ${metric.name.slice(0, 128)}`, error);
        }
      }
      continue;
    }
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        let unit: string | undefined;
        try {
          unit = metric.unit ? checkUnit(metric.unit) : undefined;
        } catch {
          unit = undefined; // A unit we cannot keep is dropped; the points are still stored.
        }
        for (const point of dataPoints(metric)) {
          // As Prometheus's OTLP translator does, such a point becomes a staleness marker on each of its series.
          const marker = (point.flags & NO_RECORDED_VALUE) !== 0;
          try {
            const ts = checkTs(nanosToMs(point.time), now);
            const base: Labels = service ? { service } : {};
            for (const [key, value] of attributes(point.attributes)) base[sanitizeLabelKey(key)] = value;
            const added = point.points.map((derived) => ({
              series: {
                device,
                metric: sanitizeMetric(`${metric.name}${derived.suffix}`),
                labels: checkLabels({ ...base, ...derived.labels }),
                kind: derived.kind,
                ...(unit && !/_(count|bucket)$/.test(derived.suffix) ? { unit } : {}),
              },
              value: marker ? Number.NaN : recordedValue(derived.value),
            }));
            for (const { series, value } of added) builder.push(builder.seriesOf(series), ts, value, marker);
          } catch (error) {
            reject(`metric ${metric.name.slice(0, 128)}`, error);
          }
        }
      }
    }
  }
  return { points: builder.size > 0 ? builder.build() : null, rejected };
}
