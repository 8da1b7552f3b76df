/** Points of one accepted batch, resolved to the board's series ids. */
export interface StoredBatch {
  seriesIds: Uint32Array;
  ts: Float64Array;
  /** Any float64, NaN and ±Inf included; a staleness marker's value is NaN. */
  values: Float64Array;
  /** 1 where the point is a staleness marker; absent when the batch has none. */
  stale?: Uint8Array;
}

const HEADER_BYTES = 8;
/** Header flag: a u8 stale[count] column follows the ids. Blobs written before it have 0 there. */
const HAS_STALE = 1;

/**
 * Packs a batch into the log's blob: u32 count, u32 flags, f64 ts[count], f64 values[count], u32 ids[count], and
 * with flag HAS_STALE u8 stale[count]. Fixed-width columns keep both directions a few typed-array copies. Markers
 * are a flag, not a NaN payload: a NaN's bits need not survive being a JS number.
 */
export function encodeBatch(batch: StoredBatch): Uint8Array {
  const count = batch.ts.length;
  const stale = batch.stale?.includes(1) ? batch.stale : undefined;
  const buffer = new ArrayBuffer(HEADER_BYTES + count * 20 + (stale ? count : 0));
  new Uint32Array(buffer, 0, 2).set([count, stale ? HAS_STALE : 0]);
  new Float64Array(buffer, HEADER_BYTES, count).set(batch.ts);
  new Float64Array(buffer, HEADER_BYTES + count * 8, count).set(batch.values);
  new Uint32Array(buffer, HEADER_BYTES + count * 16, count).set(batch.seriesIds);
  if (stale) new Uint8Array(buffer, HEADER_BYTES + count * 20, count).set(stale);
  return new Uint8Array(buffer);
}

export function decodeBatch(blob: ArrayBuffer): StoredBatch {
  const [count, flags] = new Uint32Array(blob, 0, 2) as unknown as [number, number];
  const batch: StoredBatch = {
    ts: new Float64Array(blob, HEADER_BYTES, count),
    values: new Float64Array(blob, HEADER_BYTES + count * 8, count),
    seriesIds: new Uint32Array(blob, HEADER_BYTES + count * 16, count),
  };
  if (flags & HAS_STALE) batch.stale = new Uint8Array(blob, HEADER_BYTES + count * 20, count);
  return batch;
}
