import { ApiError } from "../http/errors.ts";
import { INGEST_LIMITS, METRIC_PATTERN } from "./limits.ts";

/** A validated ingest request in columns: point i is (metrics[i], ts[i], values[i]). */
export interface PointColumns {
  metrics: string[];
  ts: number[];
  values: number[];
}

function invalid(code: string, message: string, path: string): ApiError {
  return new ApiError(400, code, message, path);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks one timestamp (ms) against the accepted window around `now`. */
function checkTs(raw: unknown, now: number, path: string): number {
  if (raw === undefined) return now;
  if (typeof raw !== "number" || !Number.isSafeInteger(raw)) {
    throw invalid("invalid_ts", "ts must be an integer number of milliseconds since the Unix epoch", path);
  }
  if (raw < now - INGEST_LIMITS.maxPastMs || raw > now + INGEST_LIMITS.maxFutureMs) {
    throw invalid("ts_out_of_range", "ts must be within 7 days before and 5 minutes after server time", path);
  }
  return raw;
}

function checkMetric(raw: unknown, path: string): string {
  if (typeof raw !== "string" || !METRIC_PATTERN.test(raw)) {
    throw invalid("invalid_metric", `metric must match ${METRIC_PATTERN.source}`, path);
  }
  return raw;
}

function checkValue(raw: unknown, path: string): number {
  if (typeof raw !== "number" || !Number.isFinite(raw)) {
    throw invalid("invalid_value", "value must be a finite number", path);
  }
  return raw;
}

function checkCount(count: number, path: string): void {
  if (count === 0) throw invalid("empty_batch", "a request must carry at least one point", path);
  if (count > INGEST_LIMITS.maxPointsPerRequest) {
    throw new ApiError(
      413,
      "too_many_points",
      `a request may carry at most ${INGEST_LIMITS.maxPointsPerRequest} points`,
      path,
    );
  }
}

/**
 * Validates a parsed ingest body: `{"points":[{metric,value,ts?}]}` or the shorthand `{"metrics":{name:value},"ts"?}`.
 * Throws ApiError naming the first offending field.
 */
export function parseIngestBody(body: unknown, now: number): PointColumns {
  if (!isObject(body)) throw invalid("invalid_body", "body must be a JSON object", "");
  if (Array.isArray(body.points)) return parsePoints(body.points, now);
  if (isObject(body.metrics)) return parseShorthand(body.metrics, body.ts, now);
  throw invalid("invalid_body", "body must have a points array or a metrics object", "points");
}

function parsePoints(points: unknown[], now: number): PointColumns {
  checkCount(points.length, "points");
  const columns: PointColumns = { metrics: [], ts: [], values: [] };
  for (let i = 0; i < points.length; i++) {
    const point = points[i];
    const path = `points[${i}]`;
    if (!isObject(point)) throw invalid("invalid_point", "each point must be an object", path);
    columns.metrics.push(checkMetric(point.metric, `${path}.metric`));
    columns.values.push(checkValue(point.value, `${path}.value`));
    columns.ts.push(checkTs(point.ts, now, `${path}.ts`));
  }
  return columns;
}

function parseShorthand(metrics: Record<string, unknown>, rawTs: unknown, now: number): PointColumns {
  const names = Object.keys(metrics);
  checkCount(names.length, "metrics");
  const ts = checkTs(rawTs, now, "ts");
  const columns: PointColumns = { metrics: [], ts: [], values: [] };
  for (const name of names) {
    columns.metrics.push(checkMetric(name, `metrics.${name}`));
    columns.values.push(checkValue(metrics[name], `metrics.${name}`));
    columns.ts.push(ts);
  }
  return columns;
}

/** Reads a request body, refusing (413) anything larger than the limit, even when Content-Length is absent. */
export async function readBodyCapped(request: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new ApiError(413, "payload_too_large", `request body must be at most ${maxBytes} bytes`, "body");
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
