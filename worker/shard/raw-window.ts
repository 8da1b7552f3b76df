import { INGEST_LIMITS } from "../ingest/limits.ts";
import type { BatchLog } from "./batch-log.ts";
import { type RawSamples, readRawSamples } from "./raw-samples.ts";
import { RESOLUTIONS, SERIES_PER_BLOCK } from "./resolutions.ts";
import { blockOf, type Rollups } from "./rollups.ts";
import { readSecondSamples, type SecondSamples } from "./second-samples.ts";
import type { SeriesCatalog } from "./series-catalog.ts";

/** The 1 s and 1 min resolutions' indexes in RESOLUTIONS. */
const SECONDS = 0;
const MINUTES = 1;
const MINUTE_MS = RESOLUTIONS[MINUTES]!.ms;
/** Bytes SQLite hands over per point: a raw-log point (f64 ts, f64 value, u32 series id); a stored 1 s bucket. */
const RAW_POINT_BYTES = 20;
const BUCKET_BYTES = 57;

/** The stores a raw-window selection reads. */
export interface WindowStores {
  catalog: SeriesCatalog;
  rollups: Rollups;
  log: BatchLog;
}

const earliestReceipt = (ts: number) => ts - INGEST_LIMITS.maxFutureMs;

/**
 * Whether the 1 s chunks of the blocks holding the selected series are fewer bytes to read than the raw log, which
 * holds every series' points: estimated alike for every series (as many points as buckets: one a second or
 * fewer), so it is whether those blocks hold under 20/57 of the shard's series. (The log's runs index, where a
 * batch has one, already spares looking at the other series' points in JS; SQLite still reads them.)
 */
function cheaperFromSeconds(seriesIds: readonly number[], shardSeries: number): boolean {
  let blockSeries = 0;
  for (const block of new Set(seriesIds.map(blockOf)))
    blockSeries += Math.min(SERIES_PER_BLOCK, shardSeries - block * SERIES_PER_BLOCK);
  return blockSeries * BUCKET_BYTES < shardSeries * RAW_POINT_BYTES;
}

/** How many of a series' samples (ascending) lie before `split`. */
function countBefore(timestamps: Float64Array, split: number): number {
  let low = 0;
  let high = timestamps.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (timestamps[middle]! < split) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A series' raw samples in `[from, split)` followed by the ones rebuilt from its buckets from `split` on. */
function joined(raw: RawSamples, seconds: SecondSamples, from: number, split: number): RawSamples {
  const first = countBefore(raw.timestamps, from);
  const n = countBefore(raw.timestamps, split) - first;
  const length = n + seconds.timestamps.length;
  const timestamps = new Float64Array(length);
  const values = new Float64Array(length);
  timestamps.set(raw.timestamps.subarray(first, first + n));
  timestamps.set(seconds.timestamps, n);
  values.set(raw.values.subarray(first, first + n));
  values.set(seconds.values, n);
  const samples: RawSamples = { seriesId: raw.seriesId, timestamps, values };
  const stale = raw.stale?.subarray(first, first + n);
  if (stale?.includes(1)) {
    samples.stale = new Uint8Array(length);
    samples.stale.set(stale);
  }
  return samples;
}

/**
 * How many points the series have in `[fromMinute, split)` (both on minute bounds), from their 1 min buckets, when
 * those hold them all and none of the series had a staleness marker there; else infinity (not known).
 */
function pointsBefore(stores: WindowStores, seriesIds: number[], fromMinute: number, split: number): number {
  const { catalog, rollups, log } = stores;
  const { chunkMs } = RESOLUTIONS[MINUTES]!;
  const known =
    rollups.completeFrom(MINUTES, log.newestReceivedAt) <= fromMinute - (fromMinute % chunkMs) &&
    catalog.markersKnownSince <= earliestReceipt(fromMinute) &&
    seriesIds.every((id) => (catalog.newestMarker(id) ?? Number.NEGATIVE_INFINITY) < fromMinute);
  return known ? rollups.pointsIn(MINUTES, seriesIds, fromMinute, split) : Number.POSITIVE_INFINITY;
}

/**
 * The raw-log samples of `seriesIds` in `[from, to]`, as `readRawSamples` answers them (bit-exact, markers flagged,
 * one entry per id in order; null when `take` stopped the read), read where it is cheaper. The 1 s rollups are a
 * by-series layout of the last hour, and a bucket of at most two points (every scrape-based agent) holds them
 * exactly, so from the first complete 1 s chunk on (`Rollups.completeFrom`) the series without a staleness marker
 * there (rollups leave markers out) are rebuilt from their buckets (`readSecondSamples`) when the blocks holding
 * them cost less to read than the whole log. The rest comes from one read of the raw log: the whole range for
 * series the buckets cannot tell, else just the part before the complete chunks, whose rows a time filter skips
 * and which stops once it has the points the 1 min buckets count there (`pointsBefore`).
 */
export function readWindowSamples(
  stores: WindowStores,
  seriesIds: readonly number[],
  from: number,
  to: number,
  take: (samples: number) => boolean,
): RawSamples[] | null {
  const { catalog, rollups, log } = stores;
  const split = Math.max(from, rollups.completeFrom(SECONDS, log.newestReceivedAt));
  if (
    split > to ||
    catalog.markersKnownSince > earliestReceipt(split) ||
    !cheaperFromSeconds(seriesIds, catalog.size)
  )
    return readRawSamples(log, seriesIds, from, to, earliestReceipt, take);
  const unmarked = seriesIds.filter((id) => (catalog.newestMarker(id) ?? Number.NEGATIVE_INFINITY) < split);
  const fromSeconds = new Map<number, SecondSamples>();
  readSecondSamples(rollups, unmarked, split, to).forEach((samples, k) => {
    if (samples) fromSeconds.set(unmarked[k]!, samples);
  });
  let rebuilt = 0;
  for (const samples of fromSeconds.values()) rebuilt += samples.timestamps.length;
  if (!take(rebuilt)) return null;
  const wholly = seriesIds.filter((id) => !fromSeconds.has(id));
  let raw: RawSamples[] | null = [];
  if (wholly.length > 0)
    raw = readRawSamples(log, from < split ? seriesIds : wholly, from, to, earliestReceipt, take);
  else if (from < split) {
    // Only the part before the complete chunks, whose points the 1 min buckets count: the read stops at the last.
    const fromMinute = from - (from % MINUTE_MS);
    const points = pointsBefore(stores, [...seriesIds], fromMinute, split);
    raw = readRawSamples(log, seriesIds, fromMinute, split - 1, earliestReceipt, take, points);
  }
  if (!raw) return null;
  const rawOf = new Map(raw.map((samples) => [samples.seriesId, samples]));
  return seriesIds.map((seriesId) => {
    const seconds = fromSeconds.get(seriesId);
    const before = rawOf.get(seriesId);
    if (!seconds) return before!;
    if (!before) return { seriesId, ...seconds };
    return joined(before, seconds, from, split);
  });
}
