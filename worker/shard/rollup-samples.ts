import { type BucketAggregate, emptyAggregate, ieeeMax, ieeeMin, ieeeSum } from "./columns.ts";
import { bucketsPerChunk, RESOLUTIONS } from "./resolutions.ts";
import { blockOf, localOf, type Rollups } from "./rollups.ts";
import {
  BUCKET_FIELDS,
  COUNT,
  LAST,
  LAST_TS,
  MAX,
  MIN,
  NAN,
  NEG_INF,
  NON_FINITE_FIELDS,
  POS_INF,
  type Segment,
  type StoredEntry,
  SUM,
  storedEntries,
} from "./segment.ts";

/** The aggregate of a bucket that becomes its sample's value (see `AGGREGATE_OF` in promql-select.ts). */
export type BucketField = "last" | "max" | "min" | "avg" | "sum";

/** One series' rollup buckets as PromQL samples: one per bucket, at its last point's time, ascending. */
export interface BucketSamples {
  timestamps: Float64Array;
  values: Float64Array;
  /** Points each bucket holds, when asked for. */
  counts?: Float64Array;
}

/** A series' buckets of one chunk: a stored entry's columns, or a held segment's dense array. */
type Piece =
  | { chunk: number; entry: StoredEntry }
  | { chunk: number; buckets: Float64Array; nonFinite: Uint32Array | undefined };

/** Writes one series' samples into typed columns sized for every bucket of its pieces. */
class SampleColumns {
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  readonly counts: Float64Array | undefined;
  length = 0;
  private readonly field: BucketField;
  /** The bucket being written, reused from bucket to bucket. */
  private readonly bucket: BucketAggregate = emptyAggregate();

  constructor(capacity: number, field: BucketField, withCounts: boolean) {
    this.timestamps = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.counts = withCounts ? new Float64Array(capacity) : undefined;
    this.field = field;
  }

  /** Sets the bucket's finite aggregates and non-finite counts before `push`. */
  set(count: number, sum: number, min: number, max: number, nan: number, posInf: number, negInf: number) {
    const b = this.bucket;
    b.count = count;
    b.sum = sum;
    b.min = min;
    b.max = max;
    b.nan = nan;
    b.posInf = posInf;
    b.negInf = negInf;
  }

  /** Appends the bucket `set` described, its last point at `ts` valued `last`. */
  push(ts: number, last: number): void {
    const b = this.bucket;
    const k = this.length++;
    this.timestamps[k] = ts;
    this.values[k] = this.valueOf(last);
    if (this.counts) this.counts[k] = b.count;
  }

  private valueOf(last: number): number {
    const b = this.bucket;
    switch (this.field) {
      case "last":
        return last;
      case "max":
        return ieeeMax(b);
      case "min":
        return ieeeMin(b);
      case "avg":
        return ieeeSum(b) / b.count;
      case "sum":
        return ieeeSum(b);
    }
  }

  /** The samples written. */
  finish(): BucketSamples {
    const samples: BucketSamples = {
      timestamps: this.timestamps.subarray(0, this.length),
      values: this.values.subarray(0, this.length),
    };
    if (this.counts) samples.counts = this.counts.subarray(0, this.length);
    return samples;
  }
}

/** Writes the buckets of a piece whose last point lies in [start, end]. */
function writePiece(out: SampleColumns, piece: Piece, ms: number, start: number, end: number): void {
  if ("entry" in piece) {
    const { count, sum, min, max, last, lastOffsets, indexes, nonFinite } = piece.entry;
    for (let k = 0; k < indexes.length; k++) {
      const ts = piece.chunk + indexes[k]! * ms + lastOffsets[k]!;
      if (ts < start || ts > end) continue;
      if (nonFinite)
        out.set(count[k]!, sum[k]!, min[k]!, max[k]!, nonFinite[0][k]!, nonFinite[1][k]!, nonFinite[2][k]!);
      else out.set(count[k]!, sum[k]!, min[k]!, max[k]!, 0, 0, 0);
      out.push(ts, last[k]!);
    }
    return;
  }
  const { buckets, nonFinite } = piece;
  for (let o = 0, c = 0; o < buckets.length; o += BUCKET_FIELDS, c += NON_FINITE_FIELDS) {
    const ts = buckets[o + LAST_TS]!;
    if (buckets[o + COUNT] === 0 || ts < start || ts > end) continue;
    out.set(
      buckets[o + COUNT]!,
      buckets[o + SUM]!,
      buckets[o + MIN]!,
      buckets[o + MAX]!,
      nonFinite?.[c + NAN] ?? 0,
      nonFinite?.[c + POS_INF] ?? 0,
      nonFinite?.[c + NEG_INF] ?? 0,
    );
    out.push(ts, buckets[o + LAST]!);
  }
}

/** A chunk of a block as a read sees it: a held segment, or the stored entries of the series wanted. */
type BlockChunk = { chunk: number; held: Segment } | { chunk: number; entries: Iterable<StoredEntry> };

/**
 * The chunks of `block` in `[fromChunk, toChunk]` at resolution `res` for the series `locals`: held segments where
 * held, else the stored rows' entries. With `cached`, through the rollups' read cache: rows are read only where it
 * does not know which exist or lacks copies of these series' entries, and it keeps copies of what was read.
 */
function blockChunks(
  rollups: Rollups,
  res: number,
  block: number,
  fromChunk: number,
  toChunk: number,
  locals: ReadonlySet<number>,
  cached: boolean,
): BlockChunk[] {
  if (!cached)
    return rollups
      .chunks(res, block, fromChunk, toChunk)
      .map((c) => ("held" in c ? c : { chunk: c.chunk, entries: storedEntries(c.body, locals) }));
  const cache = rollups.readCache;
  const held = rollups.heldChunks(res, block, fromChunk, toChunk);
  const read = new Map<number, ArrayBuffer>();
  for (const [from, to] of cache.unknown(res, block, fromChunk, toChunk)) {
    const rows = rollups.storedRows(res, block, from, to);
    cache.learn(
      res,
      block,
      from,
      to,
      rows.map((row) => row.chunk),
    );
    for (const row of rows) read.set(row.chunk, row.body);
  }
  const out: BlockChunk[] = [...held].map(([chunk, segment]) => ({ chunk, held: segment }));
  for (const chunk of cache.storedChunks(res, block, fromChunk, toChunk)) {
    if (held.has(chunk)) continue;
    let entries = cache.get(res, block, chunk, locals);
    if (!entries) {
      const body = read.get(chunk) ?? rollups.storedRow(res, block, chunk);
      entries = body ? cache.put(res, block, chunk, body, locals) : [];
    }
    out.push({ chunk, entries });
  }
  return out.sort((a, b) => a.chunk - b.chunk);
}

/**
 * The buckets of resolution `res` of each of `seriesIds` whose last point lies in [start, end], one sample each at
 * that point's time valued by `field`, with each bucket's count of points when `withCounts`. Stored chunks are read
 * straight from their blobs' columns into the samples, and only the wanted series' entries are looked at; at the
 * 1-minute and 1-hour resolutions a read small enough keeps copies of them for the next (see `RollupReadCache`).
 */
export function readBucketSamples(
  rollups: Rollups,
  res: number,
  seriesIds: readonly number[],
  start: number,
  end: number,
  field: BucketField,
  withCounts: boolean,
): BucketSamples[] {
  const resolution = RESOLUTIONS[res]!;
  const { ms, chunkMs } = resolution;
  const fromChunk = start - (start % chunkMs);
  const cached =
    resolution.name !== "1s" &&
    rollups.readCache.admits(
      seriesIds.length,
      Math.floor((end - fromChunk) / chunkMs) + 1,
      bucketsPerChunk(resolution),
    );
  const pieces: Piece[][] = seriesIds.map(() => []);
  const capacity = seriesIds.map(() => 0);
  const byBlock = new Map<number, Map<number, number>>();
  seriesIds.forEach((id, i) => {
    const wanted = byBlock.get(blockOf(id)) ?? new Map<number, number>();
    wanted.set(localOf(id), i);
    byBlock.set(blockOf(id), wanted);
  });
  for (const [block, wanted] of byBlock) {
    const locals = new Set(wanted.keys());
    for (const chunk of blockChunks(rollups, res, block, fromChunk, end, locals, cached)) {
      if ("held" in chunk) {
        for (const [local, i] of wanted) {
          const buckets = chunk.held.series[local];
          if (!buckets) continue;
          pieces[i]!.push({ chunk: chunk.chunk, buckets, nonFinite: chunk.held.nonFinite[local] });
          capacity[i]! += chunk.held.bucketCount;
        }
        continue;
      }
      for (const entry of chunk.entries) {
        const i = wanted.get(entry.local)!;
        pieces[i]!.push({ chunk: chunk.chunk, entry });
        capacity[i]! += entry.indexes.length;
      }
    }
  }
  return pieces.map((of, i) => {
    const out = new SampleColumns(capacity[i]!, field, withCounts);
    for (const piece of of) writePiece(out, piece, ms, start, end);
    return out.finish();
  });
}
