import { remoteWriteBody as encode, STALE } from "../scripts/remote-write-body.ts";

export { NORMAL_NAN, NORMAL_NAN_BITS, STALE, STALE_BITS } from "../scripts/remote-write-body.ts";

/** A remote write body of one series `metric` with `samples` as [ts, value] (STALE and NORMAL_NAN as their bits). */
export function remoteWriteBody(metric: string, samples: Array<readonly [number, number]>): Uint8Array {
  return encode([
    { labels: { __name__: metric }, samples: samples.map(([ts, value]) => [value, ts] as const) },
  ]);
}

const inf = Number.POSITIVE_INFINITY;

/**
 * Points (ms after a whole minute) in five 1 s buckets: 1, NaN, 3 · +Inf, 2 · +Inf, -Inf · NaN · 4 and a
 * staleness marker.
 */
export const BUCKETED_POINTS: ReadonlyArray<readonly [number, number]> = [
  [0, 1],
  [100, Number.NaN],
  [200, 3],
  [1000, inf],
  [1100, 2],
  [2000, inf],
  [2100, -inf],
  [3000, Number.NaN],
  [4000, 4],
  [4100, STALE],
];

/**
 * What each of those buckets holds, as Prometheus's `count_over_time`, `avg_over_time`, `min_over_time`,
 * `max_over_time` and `last_over_time` over it answer (values as its API writes them); a board's history answers
 * the same. `test/node/prometheus-non-finite.test.ts` checks this against Debian's Prometheus.
 */
export const PER_SECOND = {
  count: [3, 2, 2, 1, 1],
  avg: ["NaN", "+Inf", "NaN", "NaN", 4],
  min: [1, 2, "-Inf", "NaN", 4],
  max: [3, "+Inf", "+Inf", "NaN", 4],
  last: [3, 2, "-Inf", "NaN", 4],
} as const;
