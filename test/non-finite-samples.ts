import { create, toBinary } from "@bufbuild/protobuf";
import { compress } from "snappyjs";
import { WriteRequestSchema } from "../worker/formats/gen/prometheus/remote_pb.ts";

/** Prometheus's staleness marker and its ordinary NaN (`value.NormalNaN`), which is a value. */
export const STALE_BITS = 0x7ff0000000000002n;
export const NORMAL_NAN_BITS = 0x7ff8000000000001n;
/** Stand-ins a body is built with, sent with the bits above instead (see `remoteWriteBody`). */
export const STALE = 123456.125;
export const NORMAL_NAN = 654321.375;

/**
 * A remote write body (snappy) of one series `metric` with `samples` as [ts, value]; STALE and NORMAL_NAN go out
 * with the exact bits Prometheus sends, so a marker's bytes are on the wire whatever JavaScript does with NaN payloads.
 */
export function remoteWriteBody(metric: string, samples: Array<readonly [number, number]>): Uint8Array {
  const message = create(WriteRequestSchema, {
    timeseries: [
      {
        labels: [{ name: "__name__", value: metric }],
        samples: samples.map(([ts, value]) => ({ value, timestamp: BigInt(ts) })),
      },
    ],
  });
  const bytes = toBinary(WriteRequestSchema, message);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bits = new Map([
    [STALE, STALE_BITS],
    [NORMAL_NAN, NORMAL_NAN_BITS],
  ]);
  for (let at = 1; at + 8 <= bytes.length; at++) {
    const replaced = bits.get(view.getFloat64(at, true));
    // 0x09: a Sample's `value` field (1, fixed64) precedes its 8 bytes.
    if (replaced !== undefined && bytes[at - 1] === 0x09) view.setBigUint64(at, replaced, true);
  }
  return compress(bytes);
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
