import type { DeviceRule } from "../ingest/device.ts";
import {
  checkLabels,
  checkTs,
  checkValue,
  type PointColumns,
  PointProblem,
  PointsBuilder,
  sanitizeLabelKey,
  sanitizeMetric,
} from "../ingest/points.ts";
import type { Labels } from "../protocol/index.ts";
import { type Line, LineProtocolError, parseLineProtocol } from "./line-protocol.ts";

/** Timestamp precisions: v2's names, and v1's (`n`, `u`, `m`, `h`) too. Values: nanoseconds per unit. */
const PRECISION_NS: Record<string, bigint> = {
  ns: 1n,
  n: 1n,
  us: 1_000n,
  u: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

export function isPrecision(precision: string): boolean {
  return precision in PRECISION_NS;
}

/** A timestamp in `precision` units as whole ms (rounded down). */
function timestampMs(digits: string, precision: string): number {
  const ns = BigInt(digits) * PRECISION_NS[precision]!;
  const ms = ns / 1_000_000n - (ns < 0n && ns % 1_000_000n !== 0n ? 1n : 0n);
  return Number(ms);
}

/**
 * The metric a field becomes: `value` names the measurement itself, any other field `<measurement>_<field>`,
 * made to fit metric names (see `sanitizeName`).
 */
export function fieldMetric(measurement: string, field: string): string {
  return sanitizeMetric(field === "value" ? measurement : `${measurement}_${field}`);
}

function addLine(builder: PointsBuilder, line: Line, precision: string, rule: DeviceRule, now: number): void {
  const labels: Labels = {};
  let deviceTag: string | undefined;
  for (const [key, value] of line.tags) {
    if (key === rule.key) deviceTag = value;
    else labels[sanitizeLabelKey(key)] = value;
  }
  const device = rule.resolve(deviceTag);
  const labelText = checkLabels(labels);
  const ts = line.timestamp === null ? now : checkTs(timestampMs(line.timestamp, precision), now);
  for (const [field, raw] of line.fields) {
    // Strings are not numbers: a string field is skipped (the line's other fields are kept).
    if (typeof raw === "string") continue;
    const value = checkValue(typeof raw === "boolean" ? Number(raw) : raw);
    builder.push(
      builder.seriesOf({ device, metric: fieldMetric(line.measurement, field), labels: labelText }),
      ts,
      value,
    );
  }
}

/**
 * Points of a line protocol body; tags become labels, except `rule.key` (default `host`) which names the device.
 * The body is atomic: a bad line throws LineProtocolError naming it. Null when no line had a numeric field.
 */
export function influxPoints(
  body: string,
  precision: string,
  rule: DeviceRule,
  now: number,
): PointColumns | null {
  const builder = new PointsBuilder();
  for (const line of parseLineProtocol(body)) {
    try {
      addLine(builder, line, precision, rule, now);
    } catch (error) {
      if (error instanceof PointProblem) throw new LineProtocolError(line.number, error.message);
      throw error;
    }
  }
  return builder.size > 0 ? builder.build() : null;
}
