/** How JSON carries the sample values it cannot hold as numbers: as Prometheus's HTTP API writes them. */
export type SampleText = "NaN" | "+Inf" | "-Inf";

/** A sample value in a JSON message: a finite number as it is, NaN and ±Inf as text. */
export type JsonValue = number | SampleText;

/** A series' newest point as JSON messages carry it; `stale` when it is a staleness marker (the series ended). */
export interface LastPoint {
  ts: number;
  value: JsonValue;
  stale?: true;
}

/** `value` as JSON can carry it. */
export function toJsonValue(value: number): JsonValue {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return "NaN";
  return value > 0 ? "+Inf" : "-Inf";
}

/** The number a JSON sample value stands for. */
export function fromJsonValue(value: JsonValue): number {
  if (typeof value === "number") return value;
  if (value === "NaN") return Number.NaN;
  return value === "+Inf" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/** A newest point for a JSON message. */
export function lastPoint(ts: number, value: number, stale: boolean): LastPoint {
  return stale ? { ts, value: "NaN", stale: true } : { ts, value: toJsonValue(value) };
}
