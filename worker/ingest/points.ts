import { DEVICE_PATTERN } from "../auth/tokens.ts";
import { ApiError } from "../http/errors.ts";
import { formatLabels, LABEL_LIMITS, type Labels, labelProblem, type SeriesKind } from "../protocol/index.ts";
import { INGEST_LIMITS, METRIC_PATTERN, UNIT_PATTERN } from "./limits.ts";

/** A series as a request names it; the board maps it to an id. */
export interface SeriesKey {
  device: string;
  metric: string;
  /** Canonical label text (`formatLabels`), "" when none. */
  labels: string;
  unit?: string;
  kind?: SeriesKind;
}

/**
 * A validated request in columns, whatever format it came in: point i is (series[seriesIndex[i]], ts[i], values[i]).
 * Typed arrays and a per-request series dictionary keep the hop to the board object a few memory copies.
 */
export interface PointColumns {
  series: SeriesKey[];
  seriesIndex: Uint16Array;
  ts: Float64Array;
  /** Any float64, NaN and ±Inf included (formats that can carry them); a staleness marker's value is NaN. */
  values: Float64Array;
  /** 1 where the point is a staleness marker (the series ends there); absent when the request has none. */
  stale?: Uint8Array;
}

/** Why a point is refused: an error code of the API and a message; formats add where it was. */
export class PointProblem extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Checks a timestamp (ms) against the accepted window around `now`. */
export function checkTs(ts: number, now: number): number {
  if (!Number.isSafeInteger(ts))
    throw new PointProblem("invalid_ts", "ts must be an integer number of milliseconds since the Unix epoch");
  if (ts < now - INGEST_LIMITS.maxPastMs || ts > now + INGEST_LIMITS.maxFutureMs)
    throw new PointProblem(
      "ts_out_of_range",
      "ts must be within 7 days before and 5 minutes after server time",
    );
  return ts;
}

/** A value of a format that has only finite numbers (JSON): any finite float64. */
export function checkValue(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new PointProblem("invalid_value", "value must be a finite number");
  return value;
}

export function checkMetric(metric: unknown): string {
  if (typeof metric !== "string" || !METRIC_PATTERN.test(metric))
    throw new PointProblem("invalid_metric", `metric must match ${METRIC_PATTERN.source}`);
  return metric;
}

export function checkUnit(unit: unknown): string {
  if (typeof unit !== "string" || !UNIT_PATTERN.test(unit))
    throw new PointProblem("invalid_unit", `unit must match ${UNIT_PATTERN.source}`);
  return unit;
}

export function checkDevice(device: unknown): string {
  if (typeof device !== "string" || !DEVICE_PATTERN.test(device))
    throw new PointProblem("invalid_device", `device must match ${DEVICE_PATTERN.source}`);
  return device;
}

/** Checks a label set and returns its canonical text. */
export function checkLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length > LABEL_LIMITS.maxLabels)
    throw new PointProblem("invalid_labels", `a series carries at most ${LABEL_LIMITS.maxLabels} labels`);
  for (const key of keys) {
    const problem = labelProblem(key, labels[key]);
    if (problem) throw new PointProblem("invalid_labels", `${problem} (label ${key.slice(0, 64)})`);
  }
  return formatLabels(labels);
}

/**
 * Names from other formats made to fit ours: characters outside the allowed set become `_`, and a leading digit
 * gets a `_` before it. Too long a result is refused, not cut (two names would become one).
 */
export function sanitizeName(name: string, allowed: RegExp): string {
  const replaced = name.replace(allowed, "_");
  return /^[0-9]/.test(replaced) ? `_${replaced}` : replaced;
}

export const sanitizeMetric = (name: string) => checkMetric(sanitizeName(name, /[^A-Za-z0-9_.:-]/g));
export const sanitizeLabelKey = (name: string) => sanitizeName(name, /[^A-Za-z0-9_]/g);
export const sanitizeDevice = (name: string) => checkDevice(name.replace(/[^A-Za-z0-9_.-]/g, "_"));

/** Builds point columns point by point, naming each distinct series once. */
export class PointsBuilder {
  private readonly series: SeriesKey[] = [];
  private readonly indexOf = new Map<string, number>();
  private seriesIndex = new Uint16Array(64);
  private ts = new Float64Array(64);
  private values = new Float64Array(64);
  /** Allocated with the first staleness marker. */
  private stale: Uint8Array | null = null;
  private length = 0;

  get size(): number {
    return this.length;
  }

  /** The index of a series, adding it the first time this request names it. */
  seriesOf(key: SeriesKey): number {
    const id = `${key.device}\u0000${key.metric}\u0000${key.labels}`;
    let index = this.indexOf.get(id);
    if (index === undefined) {
      index = this.series.push(key) - 1;
      this.indexOf.set(id, index);
    }
    return index;
  }

  /** Adds a point (a staleness marker with `stale`, its value NaN); 413 once the request carries more than the limit. */
  push(series: number, ts: number, value: number, stale = false): void {
    if (this.length === INGEST_LIMITS.maxPointsPerRequest) {
      const limit = INGEST_LIMITS.maxPointsPerRequest;
      throw new ApiError(413, "too_many_points", `a request may carry at most ${limit} points`, "points");
    }
    if (this.length === this.ts.length) this.grow();
    this.seriesIndex[this.length] = series;
    this.ts[this.length] = ts;
    if (stale) {
      this.stale ??= new Uint8Array(this.ts.length);
      this.stale[this.length] = 1;
    }
    this.values[this.length++] = stale ? Number.NaN : value;
  }

  private grow(): void {
    const capacity = Math.min(this.ts.length * 4, INGEST_LIMITS.maxPointsPerRequest);
    const grown = <T extends Uint8Array | Uint16Array | Float64Array>(array: T, next: T): T => {
      next.set(array);
      return next;
    };
    this.seriesIndex = grown(this.seriesIndex, new Uint16Array(capacity));
    this.ts = grown(this.ts, new Float64Array(capacity));
    this.values = grown(this.values, new Float64Array(capacity));
    if (this.stale) this.stale = grown(this.stale, new Uint8Array(capacity));
  }

  /** The columns; 400 `empty_batch` when no point was added. */
  build(): PointColumns {
    if (this.length === 0)
      throw new ApiError(400, "empty_batch", "a request must carry at least one point", "");
    return {
      series: this.series,
      seriesIndex: this.seriesIndex.slice(0, this.length),
      ts: this.ts.slice(0, this.length),
      values: this.values.slice(0, this.length),
      ...(this.stale ? { stale: this.stale.slice(0, this.length) } : {}),
    };
  }
}
