import {
  type BoardStats,
  type DevicePresence,
  type HistoryResult,
  MAX_QUERY_SERIES,
  type SeriesHistory,
  seriesName,
  type ViewerCounts,
} from "../protocol/index.ts";
import { counterRates } from "../query/counter-rate.ts";
import { emptyCounters } from "../shard/checkpoint-row.ts";
import type { SeriesSummary, ShardHistory, ShardStats } from "../shard/shard-api.ts";

/**
 * Shards' answers merged into the board's. Each device's series live in one shard of a layout, but after the
 * layout changed a series can sit in an old and a new shard: its entries merge by name.
 */

type ShardSeries = ShardHistory["series"][number];

/** The min or max of two buckets' extremes, NaN only when both are: NaN is a bucket with no other value. */
const extreme = (pick: (a: number, b: number) => number) => (a: number, b: number) =>
  Number.isNaN(a) ? b : Number.isNaN(b) ? a : pick(a, b);
const minOf = extreme(Math.min);
const maxOf = extreme(Math.max);

/** Two shards' columns of one series: bucket by bucket, counts and sums add, the later last point wins. */
function mergeColumns(a: ShardSeries, b: ShardSeries): ShardSeries {
  const merged: ShardSeries = { ...a, ts: [], avg: [], min: [], max: [], count: [], last: [], lastTs: [] };
  let i = 0;
  let j = 0;
  const take = (from: ShardSeries, k: number) => {
    merged.ts.push(from.ts[k]!);
    merged.avg.push(from.avg[k]!);
    merged.min.push(from.min[k]!);
    merged.max.push(from.max[k]!);
    merged.count.push(from.count[k]!);
    merged.last.push(from.last[k]!);
    merged.lastTs.push(from.lastTs[k]!);
  };
  while (i < a.ts.length || j < b.ts.length) {
    if (j >= b.ts.length || (i < a.ts.length && a.ts[i]! < b.ts[j]!)) take(a, i++);
    else if (i >= a.ts.length || b.ts[j]! < a.ts[i]!) take(b, j++);
    else {
      const count = a.count[i]! + b.count[j]!;
      const laterB = b.lastTs[j]! >= a.lastTs[i]!;
      merged.ts.push(a.ts[i]!);
      merged.avg.push((a.avg[i]! * a.count[i]! + b.avg[j]! * b.count[j]!) / count);
      merged.min.push(minOf(a.min[i]!, b.min[j]!));
      merged.max.push(maxOf(a.max[i]!, b.max[j]!));
      merged.count.push(count);
      merged.last.push(laterB ? b.last[j]! : a.last[i]!);
      merged.lastTs.push(laterB ? b.lastTs[j]! : a.lastTs[i]!);
      i++;
      j++;
    }
  }
  return merged;
}

/** The board's history answer from its shards' (all asked the same request at the same `now`). */
export function mergeHistory(parts: ShardHistory[]): HistoryResult | { error: string } {
  const byName = new Map<string, ShardSeries>();
  for (const part of parts) {
    for (const series of part.series) {
      const name = seriesName(series);
      const known = byName.get(name);
      byName.set(name, known ? mergeColumns(known, series) : series);
    }
  }
  if (byName.size > MAX_QUERY_SERIES)
    return {
      error: `the selectors match ${byName.size} series; a query answers at most ${MAX_QUERY_SERIES}`,
    };
  const [first] = parts;
  return {
    positions: parts.map((part) => part.position).sort((a, b) => a.sid - b.sid),
    from: first?.from ?? 0,
    to: first?.to ?? 0,
    step: first?.step ?? 0,
    resolution: (first?.resolution ?? "raw") as HistoryResult["resolution"],
    series: [...byName.values()].map(
      ({ lastTs, ...series }): SeriesHistory =>
        series.kind === "counter" ? { ...series, rate: counterRates({ last: series.last, lastTs }) } : series,
    ),
  };
}

/** The board's series list: one entry per series name, its newest last value, its rates added. */
export function mergeSeries(parts: SeriesSummary[][]): SeriesSummary[] {
  const byName = new Map<string, SeriesSummary>();
  for (const summary of parts.flat()) {
    const name = seriesName(summary);
    const known = byName.get(name);
    if (!known) {
      byName.set(name, { ...summary });
      continue;
    }
    known.pointsLastMinute += summary.pointsLastMinute;
    known.online ||= summary.online;
    if (summary.last && (!known.last || summary.last.ts > known.last.ts)) known.last = summary.last;
  }
  return [...byName.values()];
}

/** A board's devices across shards: one entry each, its latest post deciding. */
function mergeDevices(parts: DevicePresence[][]): DevicePresence[] {
  const byDevice = new Map<string, DevicePresence>();
  for (const device of parts.flat()) {
    const known = byDevice.get(device.device);
    if (!known || device.lastSeen > known.lastSeen) byDevice.set(device.device, device);
  }
  return [...byDevice.values()];
}

/** The board's stats from its shards', its hub's (rows it wrote) and its viewers. */
export function mergeStats(
  board: string,
  shards: ShardStats[],
  hub: { current: number; seriesLimit: number; rowsWritten: number },
  viewers: ViewerCounts,
  liveQueries: BoardStats["liveQueries"],
): BoardStats {
  const counters = emptyCounters();
  counters.rowsWritten = hub.rowsWritten;
  for (const { counters: c } of shards) {
    counters.rowsWritten += c.rowsWritten;
    counters.rowsRead += c.rowsRead;
    counters.alarmsSet += c.alarmsSet;
    counters.checkpoints += c.checkpoints;
    counters.requests += c.requests;
    counters.points += c.points;
    for (const [code, count] of Object.entries(c.rejected))
      counters.rejected[code] = (counters.rejected[code] ?? 0) + count;
  }
  const devices = mergeDevices(shards.map((s) => s.devices));
  const oldestOf = (resolution: string) => {
    const values = shards
      .map((s) => s.oldest[resolution])
      .filter((t): t is number => t !== null && t !== undefined);
    return values.length > 0 ? Math.min(...values) : null;
  };
  return {
    board,
    createdAt: Math.min(...shards.map((s) => s.createdAt)),
    positions: shards.map((s) => s.position).sort((a, b) => a.sid - b.sid),
    shards: { current: hub.current, total: shards.length },
    rowsWritten: counters.rowsWritten,
    rowsRead: counters.rowsRead,
    alarmsSet: counters.alarmsSet,
    databaseBytes: shards.reduce((sum, s) => sum + s.databaseBytes, 0),
    series: { count: shards.reduce((sum, s) => sum + s.series, 0), limit: hub.seriesLimit },
    devices: { count: devices.length, online: devices.filter((d) => d.online).length },
    viewers,
    liveQueries,
    ingest: { requests: counters.requests, points: counters.points, rejected: counters.rejected },
    wakes: shards.reduce((sum, s) => sum + s.wakes, 0),
    checkpoints: counters.checkpoints,
    oldest: { raw: oldestOf("raw"), "1s": oldestOf("1s"), "1m": oldestOf("1m"), "1h": oldestOf("1h") },
  };
}
