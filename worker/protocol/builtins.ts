import { type Scope, single } from "./interpolate.ts";

/**
 * Grafana's built-in variables for a panel's query: `$__interval` (the range over the points the panel can show,
 * rounded to a usual step, at least the scrape interval), `$__interval_ms`, `$__rate_interval` (Grafana's
 * max($__interval + scrape interval, 4 × scrape interval), so a rate always spans at least four scrapes) and
 * `$__range` (`$__range_s`, `$__range_ms`). Durations are written exactly (`1m30s`), where Grafana rounds down
 * to one unit. No runtime dependencies.
 */

/** Grafana's steps (rangeutil's roundInterval): below the first bound, the step after it. */
const ROUNDED: ReadonlyArray<readonly [below: number, step: number]> = [
  [10, 1],
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1500, 1000],
  [3500, 2000],
  [7500, 5000],
  [12500, 10_000],
  [17500, 15_000],
  [25000, 20_000],
  [45000, 30_000],
  [90000, 60_000],
  [210000, 120_000],
  [450000, 300_000],
  [750000, 600_000],
  [1050000, 900_000],
  [1500000, 1_200_000],
  [2700000, 1_800_000],
  [5400000, 3_600_000],
  [9000000, 7_200_000],
  [16200000, 10_800_000],
  [32400000, 21_600_000],
  [86400000, 43_200_000],
  [604800000, 86_400_000],
  [1814400000, 604_800_000],
  [3628800000, 2_592_000_000],
];
const YEAR_MS = 31_536_000_000;

/** An interval in ms rounded to Grafana's usual steps (1s, 2s, 5s, 10s, 15s, 20s, 30s, 1m, 2m, 5m, …). */
export function roundInterval(ms: number): number {
  return ROUNDED.find(([below]) => ms < below)?.[1] ?? YEAR_MS;
}

const UNITS: ReadonlyArray<readonly [unit: string, ms: number]> = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];

/** A duration in ms as PromQL writes it: `1d`, `1m30s`, `250ms`; `0s` for none. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms));
  let text = "";
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text || "0s";
}

export interface BuiltinOptions {
  /** The dashboard's range, ms since the epoch. */
  from: number;
  to: number;
  /** Points the panel can show (about its width in pixels). */
  maxDataPoints: number;
  /** How often the board's series are sampled (Grafana's data source "scrape interval"); the lowest interval. */
  scrapeIntervalMs: number;
}

/** The built-in variables for a panel's query (see above). */
export function builtinScope({ from, to, maxDataPoints, scrapeIntervalMs }: BuiltinOptions): Scope {
  const rangeMs = Math.max(0, to - from);
  const intervalMs = Math.max(roundInterval(rangeMs / Math.max(1, maxDataPoints)), scrapeIntervalMs);
  const rateMs = Math.max(intervalMs + scrapeIntervalMs, 4 * scrapeIntervalMs);
  const rangeS = Math.round(rangeMs / 1000);
  return {
    __interval: single(formatDuration(intervalMs)),
    __interval_ms: single(String(intervalMs)),
    __rate_interval: single(formatDuration(rateMs)),
    __range: single(`${rangeS}s`),
    __range_s: single(String(rangeS)),
    __range_ms: single(String(rangeMs)),
  };
}
