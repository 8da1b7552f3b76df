/** Points of one accepted batch, resolved to the board's series ids. */
export interface StoredBatch {
  seriesIds: Uint32Array;
  ts: Float64Array;
  values: Float64Array;
}

const HEADER_BYTES = 8;

/**
 * Packs a batch into the log's blob: u32 count, u32 reserved, f64 ts[count], f64 values[count], u32 ids[count].
 * Fixed-width columns keep both directions a few typed-array copies.
 */
export function encodeBatch(batch: StoredBatch): Uint8Array {
  const count = batch.ts.length;
  const buffer = new ArrayBuffer(HEADER_BYTES + count * 20);
  new Uint32Array(buffer, 0, 1)[0] = count;
  new Float64Array(buffer, HEADER_BYTES, count).set(batch.ts);
  new Float64Array(buffer, HEADER_BYTES + count * 8, count).set(batch.values);
  new Uint32Array(buffer, HEADER_BYTES + count * 16, count).set(batch.seriesIds);
  return new Uint8Array(buffer);
}

export function decodeBatch(blob: ArrayBuffer): StoredBatch {
  const count = new Uint32Array(blob, 0, 1)[0]!;
  return {
    ts: new Float64Array(blob, HEADER_BYTES, count),
    values: new Float64Array(blob, HEADER_BYTES + count * 8, count),
    seriesIds: new Uint32Array(blob, HEADER_BYTES + count * 16, count),
  };
}
