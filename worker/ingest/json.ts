import { ApiError, echo } from "../http/errors.ts";
import type { Labels, SeriesKind } from "../protocol/index.ts";
import {
  checkLabels,
  checkMetric,
  checkTs,
  checkUnit,
  checkValue,
  type PointColumns,
  PointProblem,
  PointsBuilder,
} from "./points.ts";

const KINDS: readonly SeriesKind[] = ["gauge", "counter", "delta"];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Runs a check, turning its problem into a 400 naming the field. */
function at<T>(path: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof PointProblem) throw new ApiError(400, error.code, error.message, path);
    throw error;
  }
}

function labelsAt(raw: unknown, path: string): string {
  if (raw === undefined) return "";
  if (!isObject(raw)) throw new ApiError(400, "invalid_labels", "labels must be an object of strings", path);
  return at(path, () => checkLabels(raw as Labels));
}

function kindAt(raw: unknown, path: string): SeriesKind | undefined {
  if (raw === undefined) return undefined;
  if (!KINDS.includes(raw as SeriesKind))
    throw new ApiError(400, "invalid_kind", `kind must be one of ${KINDS.join(", ")}`, path);
  return raw as SeriesKind;
}

function tsAt(raw: unknown, now: number, path: string): number {
  if (raw === undefined) return now;
  if (typeof raw !== "number")
    throw new ApiError(
      400,
      "invalid_ts",
      "ts must be an integer number of milliseconds since the Unix epoch",
      path,
    );
  return at(path, () => checkTs(raw, now));
}

function checkCount(count: number, path: string): void {
  if (count === 0) throw new ApiError(400, "empty_batch", "a request must carry at least one point", path);
}

const BATCH_FIELDS = new Set(["device", "points"]);
const SHORTHAND_FIELDS = new Set(["device", "metrics", "ts", "labels"]);
const POINT_FIELDS = new Set(["metric", "value", "ts", "labels", "unit", "kind"]);

/** A field the format does not have is a mistake (`"tss"` would silently mean server time): 400 naming it. */
function onlyFields(object: Record<string, unknown>, known: Set<string>, prefix: string): void {
  for (const name in object) {
    if (!known.has(name))
      throw new ApiError(
        400,
        "unknown_field",
        `unknown field ${echo(name)}`,
        `${prefix}${name.slice(0, 64)}`,
      );
  }
}

/**
 * Validates a parsed JSON ingest body for `device`:
 * `{"points":[{"metric","value","ts"?,"labels"?,"unit"?,"kind"?}]}` or the shorthand
 * `{"metrics":{name:value},"ts"?,"labels"?}`. Throws ApiError naming the first offending field.
 */
export function parseJsonIngest(body: Record<string, unknown>, device: string, now: number): PointColumns {
  onlyFields(body, Array.isArray(body.points) ? BATCH_FIELDS : SHORTHAND_FIELDS, "");
  const builder = new PointsBuilder();
  // Each metric name is checked once per request (a batch repeats a few names many times).
  const checked = new Set<unknown>();
  const metricAt = (raw: unknown, path: string) => {
    if (!checked.has(raw)) checked.add(at(path, () => checkMetric(raw)));
    return raw as string;
  };
  if (Array.isArray(body.points)) {
    checkCount(body.points.length, "points");
    body.points.forEach((point, i) => {
      const path = `points[${i}]`;
      if (!isObject(point)) throw new ApiError(400, "invalid_point", "each point must be an object", path);
      onlyFields(point, POINT_FIELDS, `${path}.`);
      const series = builder.seriesOf({
        device,
        metric: metricAt(point.metric, `${path}.metric`),
        labels: labelsAt(point.labels, `${path}.labels`),
        ...(point.unit === undefined ? {} : { unit: at(`${path}.unit`, () => checkUnit(point.unit)) }),
        ...(point.kind === undefined ? {} : { kind: kindAt(point.kind, `${path}.kind`) }),
      });
      const value = at(`${path}.value`, () => checkValue(point.value));
      builder.push(series, tsAt(point.ts, now, `${path}.ts`), value);
    });
    return builder.build();
  }
  const metrics = body.metrics;
  if (isObject(metrics)) {
    const names = Object.keys(metrics);
    checkCount(names.length, "metrics");
    const ts = tsAt(body.ts, now, "ts");
    const labels = labelsAt(body.labels, "labels");
    for (const name of names) {
      const metric = at(`metrics.${name.slice(0, 128)}`, () => checkMetric(name));
      const value = at(`metrics.${metric}`, () => checkValue(metrics[name]));
      builder.push(builder.seriesOf({ device, metric, labels }), ts, value);
    }
    return builder.build();
  }
  throw new ApiError(400, "invalid_body", "body must have a points array or a metrics object", "points");
}
