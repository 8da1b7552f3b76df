import { ApiError } from "../http/errors.ts";
import { INGEST_LIMITS, METRIC_PATTERN } from "./limits.ts";

/**
 * A validated ingest request in columns: point i is (metrics[metricIndex[i]], ts[i], values[i]).
 * Typed arrays and a per-request metric dictionary keep the hop to the board object a few memory copies.
 */
export interface PointColumns {
  metrics: string[];
  metricIndex: Uint16Array;
  ts: Float64Array;
  values: Float64Array;
}

/** Builds columns point by point, naming each distinct metric once. */
class ColumnBuilder {
  readonly columns: PointColumns;
  private readonly indexOf = new Map<string, number>();
  private length = 0;

  constructor(count: number) {
    this.columns = {
      metrics: [],
      metricIndex: new Uint16Array(count),
      ts: new Float64Array(count),
      values: new Float64Array(count),
    };
  }

  /** The index of a metric name, checking the name only the first time this request uses it. */
  metric(raw: unknown, path: string): number {
    const known = typeof raw === "string" ? this.indexOf.get(raw) : undefined;
    if (known !== undefined) return known;
    const metric = checkMetric(raw, path);
    const index = this.columns.metrics.push(metric) - 1;
    this.indexOf.set(metric, index);
    return index;
  }

  push(metricIndex: number, ts: number, value: number): void {
    this.columns.metricIndex[this.length] = metricIndex;
    this.columns.ts[this.length] = ts;
    this.columns.values[this.length++] = value;
  }
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
  const builder = new ColumnBuilder(points.length);
  for (let i = 0; i < points.length; i++) {
    const point = points[i];
    if (!isObject(point)) throw invalid("invalid_point", "each point must be an object", `points[${i}]`);
    const metric = builder.metric(point.metric, `points[${i}].metric`);
    const value = checkValue(point.value, `points[${i}].value`);
    builder.push(metric, checkTs(point.ts, now, `points[${i}].ts`), value);
  }
  return builder.columns;
}

function parseShorthand(metrics: Record<string, unknown>, rawTs: unknown, now: number): PointColumns {
  const names = Object.keys(metrics);
  checkCount(names.length, "metrics");
  const ts = checkTs(rawTs, now, "ts");
  const builder = new ColumnBuilder(names.length);
  for (const name of names) {
    builder.push(builder.metric(name, `metrics.${name}`), ts, checkValue(metrics[name], `metrics.${name}`));
  }
  return builder.columns;
}

/**
 * Reads a request body as text, refusing (413) anything larger than the limit, even when Content-Length is absent.
 * A declared length is read in one go; the runtime never delivers more than it declares.
 */
export async function readBodyCapped(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () =>
    new ApiError(413, "payload_too_large", `request body must be at most ${maxBytes} bytes`, "body");
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    if (Number(declared) > maxBytes) throw tooLarge();
    return request.text();
  }
  if (!request.body) return "";
  const decoder = new TextDecoder();
  let text = "";
  let total = 0;
  for await (const chunk of request.body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge();
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}
