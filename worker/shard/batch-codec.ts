/** Points of one accepted batch, resolved to the board's series ids. */
export interface StoredBatch {
  seriesIds: Uint32Array;
  ts: Float64Array;
  /** Any float64, NaN and ±Inf included; a staleness marker's value is NaN. */
  values: Float64Array;
  /** 1 where the point is a staleness marker; absent when the batch has none. */
  stale?: Uint8Array;
  /**
   * Where each run of consecutive points of one series starts (a remote write request carries whole series), so a
   * read of a few series skips the others' points; absent when runs are too short to be worth it.
   */
  runs?: { seriesIds: Uint32Array; starts: Uint32Array };
}

const HEADER_BYTES = 8;
/** Header flag: a u8 stale[count] column ends the blob. Blobs written before it have 0 there. */
const HAS_STALE = 1;
/** Header flag: the runs index follows the ids. */
const HAS_RUNS = 2;
/** Runs are indexed when they hold this many points on average, or more. */
const MIN_MEAN_RUN = 4;

/** The runs of equal consecutive series ids, when they are long enough to index. */
function runsOf(ids: Uint32Array): StoredBatch["runs"] {
  let count = 0;
  for (let p = 0; p < ids.length; p++) if (p === 0 || ids[p] !== ids[p - 1]) count++;
  if (count === 0 || count * MIN_MEAN_RUN > ids.length) return undefined;
  const runs = { seriesIds: new Uint32Array(count), starts: new Uint32Array(count) };
  for (let p = 0, r = 0; p < ids.length; p++) {
    if (p > 0 && ids[p] === ids[p - 1]) continue;
    runs.seriesIds[r] = ids[p]!;
    runs.starts[r++] = p;
  }
  return runs;
}

/**
 * Packs a batch into the log's blob: u32 count, u32 flags, f64 ts[count], f64 values[count], u32 ids[count]; with
 * flag HAS_RUNS u32 runCount, u32 runIds[runCount], u32 runStarts[runCount]; with flag HAS_STALE u8 stale[count].
 * Fixed-width columns keep both directions a few typed-array copies. Markers are a flag, not a NaN payload: a NaN's
 * bits need not survive being a JS number.
 */
export function encodeBatch(batch: StoredBatch): Uint8Array {
  const count = batch.ts.length;
  const stale = batch.stale?.includes(1) ? batch.stale : undefined;
  const runs = runsOf(batch.seriesIds);
  const runBytes = runs ? 4 + runs.starts.length * 8 : 0;
  const buffer = new ArrayBuffer(HEADER_BYTES + count * 20 + runBytes + (stale ? count : 0));
  new Uint32Array(buffer, 0, 2).set([count, (stale ? HAS_STALE : 0) | (runs ? HAS_RUNS : 0)]);
  new Float64Array(buffer, HEADER_BYTES, count).set(batch.ts);
  new Float64Array(buffer, HEADER_BYTES + count * 8, count).set(batch.values);
  new Uint32Array(buffer, HEADER_BYTES + count * 16, count).set(batch.seriesIds);
  const runsAt = HEADER_BYTES + count * 20;
  if (runs) {
    const n = runs.starts.length;
    new Uint32Array(buffer, runsAt, 1)[0] = n;
    new Uint32Array(buffer, runsAt + 4, n).set(runs.seriesIds);
    new Uint32Array(buffer, runsAt + 4 + n * 4, n).set(runs.starts);
  }
  if (stale) new Uint8Array(buffer, runsAt + runBytes, count).set(stale);
  return new Uint8Array(buffer);
}

export function decodeBatch(blob: ArrayBuffer): StoredBatch {
  const [count, flags] = new Uint32Array(blob, 0, 2) as unknown as [number, number];
  const batch: StoredBatch = {
    ts: new Float64Array(blob, HEADER_BYTES, count),
    values: new Float64Array(blob, HEADER_BYTES + count * 8, count),
    seriesIds: new Uint32Array(blob, HEADER_BYTES + count * 16, count),
  };
  let at = HEADER_BYTES + count * 20;
  if (flags & HAS_RUNS) {
    const n = new Uint32Array(blob, at, 1)[0]!;
    batch.runs = {
      seriesIds: new Uint32Array(blob, at + 4, n),
      starts: new Uint32Array(blob, at + 4 + n * 4, n),
    };
    at += 4 + n * 8;
  }
  if (flags & HAS_STALE) batch.stale = new Uint8Array(blob, at, count);
  return batch;
}
