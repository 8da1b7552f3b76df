import { fromBinary } from "@bufbuild/protobuf";
import { uncompress } from "snappyjs";
import { ApiError } from "../http/errors.ts";
import { tooLarge } from "../ingest/body.ts";
import type { DeviceRule } from "../ingest/device.ts";
import { INGEST_LIMITS } from "../ingest/limits.ts";
import {
  checkLabels,
  checkMetric,
  checkTs,
  checkUnit,
  type PointColumns,
  PointProblem,
  PointsBuilder,
} from "../ingest/points.ts";
import type { Labels, SeriesKind } from "../protocol/index.ts";
import {
  MetricMetadata_MetricType,
  type WriteRequest,
  WriteRequestSchema,
} from "./gen/prometheus/remote_pb.ts";
import { findStaleMarkers, type StaleMarkers } from "./stale-markers.ts";

/** The label naming a sample's device, unless `?device_label=` names another. */
export const DEVICE_LABEL = "instance";
const NAME_LABEL = "__name__";

const KINDS: Partial<Record<MetricMetadata_MetricType, SeriesKind>> = {
  [MetricMetadata_MetricType.COUNTER]: "counter",
  [MetricMetadata_MetricType.GAUGE]: "gauge",
};
/** Without metadata, OpenMetrics' suffixes tell a counter. */
const COUNTER_SUFFIXES = /_(total|count|sum|bucket)$/;

/** A decoded remote write request and which of its samples are staleness markers. */
export interface RemoteWrite {
  request: WriteRequest;
  stale: StaleMarkers;
}

/** Undoes the snappy block compression and decodes the WriteRequest; 400 or 413 when it cannot. */
export function decodeRemoteWrite(body: Uint8Array): RemoteWrite {
  let decoded: Uint8Array;
  try {
    decoded = uncompress(body, INGEST_LIMITS.maxDecodedBytes);
  } catch (error) {
    if (/too big/.test((error as Error).message))
      throw tooLarge("the decompressed body", INGEST_LIMITS.maxDecodedBytes);
    throw new ApiError(400, "invalid_encoding", "the body is not snappy-compressed (block format)", "body");
  }
  try {
    const request = fromBinary(WriteRequestSchema, decoded);
    // Only a NaN can be a marker: the bytes are read again only when some sample is one.
    const hasNaN = request.timeseries.some((series) => series.samples.some((s) => Number.isNaN(s.value)));
    return { request, stale: hasNaN ? findStaleMarkers(decoded) : [] };
  } catch {
    throw new ApiError(400, "invalid_protobuf", "the body is not a Prometheus WriteRequest", "body");
  }
}

/**
 * Points of a remote write request: `__name__` is the metric, the device label (`instance` unless `deviceLabel`)
 * names the device, the other labels are labels. Every float64 is a value (NaN and ±Inf too), and staleness
 * markers are kept as markers; a sample that cannot be stored refuses the whole request (Prometheus drops a 400
 * and does not retry it, so nothing is half stored). Null when no sample was left.
 */
export function remoteWritePoints(
  { request, stale }: RemoteWrite,
  rule: DeviceRule,
  now: number,
): PointColumns | null {
  const metadata = new Map(request.metadata.map((m) => [m.metricFamilyName, m]));
  const builder = new PointsBuilder();
  for (const [s, series] of request.timeseries.entries()) {
    let name = "";
    try {
      const labels: Labels = {};
      let deviceLabel: string | undefined;
      for (const { name: key, value } of series.labels) {
        if (key === NAME_LABEL) name = value;
        else if (key === rule.key) deviceLabel = value;
        else labels[key] = value;
      }
      const metric = checkMetric(name);
      const meta = metadata.get(metric);
      const kind = (meta && KINDS[meta.type]) ?? (COUNTER_SUFFIXES.test(metric) ? "counter" : undefined);
      const device = rule.resolve(deviceLabel);
      // A device label the device id cannot spell (`10.0.0.7:9100`) stays a label, so PromQL answers it unchanged.
      if (deviceLabel !== undefined && deviceLabel !== device) labels[rule.key] = deviceLabel;
      const key = {
        device,
        metric,
        labels: checkLabels(labels),
        ...(kind ? { kind } : {}),
        ...(meta?.unit ? { unit: checkUnit(meta.unit) } : {}),
      };
      const index = builder.seriesOf(key);
      for (const [i, sample] of series.samples.entries()) {
        const marker = stale[s]?.has(i) === true;
        builder.push(index, checkTs(Number(sample.timestamp), now), sample.value, marker);
      }
    } catch (error) {
      if (!(error instanceof PointProblem)) throw error;
      throw new ApiError(
        400,
        error.code,
        `series ${name.slice(0, 128) || "without __name__"}: ${error.message}`,
      );
    }
  }
  return builder.size > 0 ? builder.build() : null;
}
