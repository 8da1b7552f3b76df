/// <reference path="../worker/formats/snappyjs.d.ts" />
/**
 * Remote write bodies as Prometheus sends them, for tests and benchmarks (no Node APIs: workerd tests use it too).
 * A JavaScript number may not keep a NaN's payload, so a staleness marker or Prometheus's own NaN is written with
 * a stand-in value and its exact bits are patched into the encoded message.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { compress } from "snappyjs";
import { WriteRequestSchema } from "../worker/formats/gen/prometheus/remote_pb.ts";

/** Prometheus's staleness marker and its ordinary NaN (`value.NormalNaN`), which is a value. */
export const STALE_BITS = 0x7ff0000000000002n;
export const NORMAL_NAN_BITS = 0x7ff8000000000001n;
/** Stand-ins a sample is given to go out with the bits above. */
export const STALE = 123456.125;
export const NORMAL_NAN = 654321.375;

/** A series as remote write carries it: labels with `__name__`, samples as [value, ms]. */
export interface WrittenSeries {
  labels: Record<string, string>;
  samples: Array<readonly [value: number, ts: number]>;
}

const PATCHED = new Map([
  [STALE, STALE_BITS],
  [NORMAL_NAN, NORMAL_NAN_BITS],
]);

/** A snappy-compressed WriteRequest, labels sorted by name as Prometheus sends them. */
export function remoteWriteBody(series: readonly WrittenSeries[]): Uint8Array<ArrayBuffer> {
  const message = create(WriteRequestSchema, {
    timeseries: series.map((s) => ({
      labels: Object.entries(s.labels)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, value]) => ({ name, value })),
      samples: s.samples.map(([value, timestamp]) => ({ value, timestamp: BigInt(timestamp) })),
    })),
  });
  const bytes = toBinary(WriteRequestSchema, message);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 1; at + 8 <= bytes.length; at++) {
    const bits = PATCHED.get(view.getFloat64(at, true));
    // 0x09: a Sample's `value` field (1, fixed64) precedes its 8 bytes.
    if (bits !== undefined && bytes[at - 1] === 0x09) view.setBigUint64(at, bits, true);
  }
  return new Uint8Array(compress(bytes));
}
