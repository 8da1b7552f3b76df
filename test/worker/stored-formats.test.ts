import { describe, expect, it } from "vitest";
import { decodeBatch, encodeBatch } from "../../worker/shard/batch-codec.ts";
import { foldIntoBucket, Segment } from "../../worker/shard/segment.ts";

/** A raw log blob as written before staleness markers: u32 count, u32 0, f64 ts[], f64 values[], u32 ids[]. */
function legacyBatch(ts: number[], values: number[], ids: number[]): ArrayBuffer {
  const count = ts.length;
  const buffer = new ArrayBuffer(8 + count * 20);
  new Uint32Array(buffer, 0, 1)[0] = count;
  new Float64Array(buffer, 8, count).set(ts);
  new Float64Array(buffer, 8 + count * 8, count).set(values);
  new Uint32Array(buffer, 8 + count * 16, count).set(ids);
  return buffer;
}

/** A rollup segment of one series and one bucket in layout version 1, as boards stored it before non-finite counts. */
function legacySegment(
  local: number,
  bucket: number,
  fields: number[],
  offsets: [number, number],
): Uint8Array {
  const buffer = new ArrayBuffer(8 + 8 + Math.ceil((6 * 8 + 2 * 4 + 1) / 8) * 8);
  new Uint16Array(buffer, 0, 2).set([1, 1]);
  new Uint16Array(buffer, 8, 2).set([local, 1]);
  new Float64Array(buffer, 16, 6).set(fields);
  new Uint32Array(buffer, 16 + 48, 2).set(offsets);
  new Uint8Array(buffer, 16 + 56, 1)[0] = bucket;
  return new Uint8Array(buffer);
}

describe("stored formats", () => {
  it("reads raw log blobs written before staleness markers, and writes a batch without markers in that same layout", () => {
    const blob = legacyBatch([1000, 2000], [1.5, -2], [3, 4]);
    const decoded = decodeBatch(blob);
    expect(decoded).not.toHaveProperty("stale");
    expect([...decoded.ts, ...decoded.values, ...decoded.seriesIds]).toEqual([1000, 2000, 1.5, -2, 3, 4]);
    const written = encodeBatch({ ...decoded, stale: new Uint8Array(2) });
    expect(written).toEqual(new Uint8Array(blob));
  });

  it("indexes runs of one series' points (as remote write sends them) next to the columns, markers still at the end", () => {
    const ids = new Uint32Array([7, 7, 7, 7, 2, 2, 2, 2, 2]);
    const batch = { seriesIds: ids, ts: Float64Array.from(ids, (_, i) => i), values: new Float64Array(9) };
    const blob = encodeBatch({ ...batch, stale: new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0, 0]) });
    expect(blob.byteLength).toBe(8 + 9 * 20 + 4 + 2 * 8 + 9);
    const decoded = decodeBatch(blob.slice().buffer);
    expect([...decoded.runs!.seriesIds]).toEqual([7, 2]);
    expect([...decoded.runs!.starts]).toEqual([0, 4]);
    expect([...decoded.stale!]).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0]);
    // Points of many series in turn (one per series, as agents send them) carry no index: it would not pay.
    const interleaved = new Uint32Array([1, 2, 3, 1, 2, 3, 1, 2, 3]);
    expect(
      decodeBatch(encodeBatch({ ...batch, seriesIds: interleaved }).slice().buffer).runs,
    ).toBeUndefined();
  });

  it("keeps staleness markers as a flag column, whatever the values' NaN bits", () => {
    const values = new Float64Array([Number.NaN, Number.NaN, 7]);
    const batch = { seriesIds: new Uint32Array([1, 1, 1]), ts: new Float64Array([1, 2, 3]), values };
    const blob = encodeBatch({ ...batch, stale: new Uint8Array([0, 1, 0]) });
    expect(blob.byteLength).toBe(8 + 3 * 21);
    const decoded = decodeBatch(blob.slice().buffer);
    expect([...decoded.stale!]).toEqual([0, 1, 0]);
    expect([...decoded.values]).toEqual([Number.NaN, Number.NaN, 7]);
  });

  it("reads rollup segments of layout 1, and writes finite-only buckets in that same layout", () => {
    const blob = legacySegment(5, 2, [2, 7, 3, 4, 3, 4], [100, 900]);
    const segment = Segment.decode(60_000, 1000, 60, blob.slice().buffer);
    expect(segment.nonFinite[5]).toBeUndefined();
    const rebuilt = new Segment(60_000, 1000, 60);
    foldIntoBucket(rebuilt.buckets(5), 2, 62_100, 3);
    foldIntoBucket(rebuilt.buckets(5), 2, 62_900, 4);
    expect(rebuilt.encode()).toEqual(blob);
    expect(segment.encode()).toEqual(blob);
  });

  it("stores a bucket's non-finite counts beside its finite sum, min and max, and reads them back", () => {
    const segment = new Segment(0, 1000, 60);
    for (const [ts, value] of [
      [0, 1],
      [10, Number.NaN],
      [20, Number.POSITIVE_INFINITY],
      [30, Number.NEGATIVE_INFINITY],
      [40, Number.NEGATIVE_INFINITY],
    ] as const) {
      foldIntoBucket(segment.buckets(3), 0, ts, value);
      if (!Number.isFinite(value)) segment.countNonFinite(3, 0, value);
    }
    const decoded = Segment.decode(0, 1000, 60, segment.encode().slice().buffer);
    // count, sum, min, max over the finite values, first and last as sent.
    expect([...decoded.series[3]!.subarray(0, 8)]).toEqual([5, 1, 1, 1, 0, 1, 40, Number.NEGATIVE_INFINITY]);
    expect([...decoded.nonFinite[3]!.subarray(0, 3)]).toEqual([1, 1, 2]);
  });
});
