import { parseRfc3339 } from "../http/time-params.ts";
import { MAX_DURATION_MS, PromQLError, parseDuration as parseDurationText } from "../promql/index.ts";

/** Prometheus's own bounds for "no start" and "no end", as its clients send them; clamped to what a Date holds. */
const MIN_TIME_TEXT = "-292273086-05-16T16:47:06Z";
const MAX_TIME_TEXT = "292277025-08-18T07:12:54.999999999Z";
export const MIN_TIME = -8.64e15;
export const MAX_TIME = 8.64e15;

const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

const invalid = (name: string, reason: string) =>
  new PromQLError("bad_data", `invalid parameter ${JSON.stringify(name)}: ${reason}`);

/** A time as Prometheus's API takes it: unix seconds with decimals, or RFC 3339; ms since the epoch. */
export function parseTime(text: string, name: string): number {
  if (FLOAT.test(text)) {
    // Clients send Go's zero and far times for "unbounded" (-9223372036.854776): clamped, as they mean no bound.
    const ms = Math.round(Number(text) * 1000);
    if (Number.isFinite(ms)) return Math.min(MAX_TIME, Math.max(MIN_TIME, ms));
  }
  // Go's RFC 3339 has no space for `T` or a `+` decoded from a query string; finer digits than ms are cut, as
  // Prometheus's API rounds times to ms.
  const ms = text.includes(" ") ? null : parseRfc3339(text);
  if (ms !== null) return ms;
  if (text === MIN_TIME_TEXT) return MIN_TIME;
  if (text === MAX_TIME_TEXT) return MAX_TIME;
  throw invalid(name, `cannot parse ${JSON.stringify(text)} to a valid timestamp`);
}

/** A duration as Prometheus's API takes it: float seconds or `1h30m`-style; ms. */
export function parseDuration(text: string, name: string): number {
  if (FLOAT.test(text)) {
    const ms = Number(text) * 1000;
    if (Math.abs(ms) > MAX_DURATION_MS)
      throw invalid(name, `cannot parse ${JSON.stringify(text)} to a valid duration. It overflows int64`);
    return ms;
  }
  const ms = parseDurationText(text);
  if (ms !== undefined && ms <= MAX_DURATION_MS) return ms;
  throw invalid(name, `cannot parse ${JSON.stringify(text)} to a valid duration`);
}

/** An optional time parameter, or `fallback` when absent or empty. */
export function timeParam(params: URLSearchParams, name: string, fallback: number): number {
  const text = params.get(name);
  return text === null || text === "" ? fallback : parseTime(text, name);
}

/** `match[]` selectors, repeated. */
export function matchParams(params: URLSearchParams): string[] {
  return params.getAll("match[]");
}

/** A non-negative integer `limit`, 0 (or absent) for none. */
export function limitParam(params: URLSearchParams): number {
  const text = params.get("limit");
  if (text === null || text === "") return 0;
  if (!/^\d+$/.test(text))
    throw new PromQLError(
      "bad_data",
      `invalid limit ${JSON.stringify(text)}: must be a non-negative integer`,
    );
  return Number(text);
}
