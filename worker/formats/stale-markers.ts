import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/** Prometheus's staleness marker: the NaN with exactly these bits (`value.StaleNaN` in prometheus/model). */
export const STALE_NAN_BITS = 0x7ff0000000000002n;

/** Which samples of a remote write request are staleness markers: `[series][sample]`, by their order in the body. */
export type StaleMarkers = ReadonlyArray<ReadonlySet<number> | undefined>;

/** Field numbers of prometheus/prompb: WriteRequest.timeseries, TimeSeries.samples, Sample.value. */
const TIMESERIES = 1;
const SAMPLES = 2;
const VALUE = 1;

/** Calls `each(bytes)` for every length-delimited field `field` of the message in `bytes`, skipping the others. */
function forEachMessage(
  bytes: Uint8Array,
  field: number,
  each: (bytes: Uint8Array, index: number) => void,
): void {
  const reader = new BinaryReader(bytes);
  let index = 0;
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (number === field && wireType === WireType.LengthDelimited) each(reader.bytes(), index++);
    else reader.skip(wireType, number);
  }
}

/**
 * Finds the staleness markers of a decoded (uncompressed) WriteRequest from the value's raw bytes, not from the
 * number a protobuf decoder made of them: V8 keeps a NaN's payload through plain copies but not through arithmetic,
 * and nothing promises even the copies. As in protobuf, the last `value` of a sample counts.
 */
export function findStaleMarkers(decoded: Uint8Array): StaleMarkers {
  const markers: Array<Set<number> | undefined> = [];
  forEachMessage(decoded, TIMESERIES, (series, s) => {
    forEachMessage(series, SAMPLES, (sample, i) => {
      const reader = new BinaryReader(sample);
      let stale = false;
      while (reader.pos < reader.len) {
        const [number, wireType] = reader.tag();
        if (number === VALUE && wireType === WireType.Bit64)
          stale = BigInt(reader.fixed64()) === STALE_NAN_BITS;
        else reader.skip(wireType, number);
      }
      if (!stale) return;
      markers[s] ??= new Set();
      markers[s].add(i);
    });
  });
  return markers;
}
