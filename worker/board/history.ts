import type { HistoryColumns, HistoryResult, SeriesHistory } from "../protocol/index.ts";
import type { BatchLog } from "./batch-log.ts";
import { RESOLUTIONS } from "./resolutions.ts";
import type { Rollups } from "./rollups.ts";

export interface HistoryRequest {
  series: Array<{ device: string; metric: string }>;
  from: number;
  to: number;
  step: number;
}

/** What `queryHistory` computes; the board adds the stream position. */
export type HistoryBuckets = Omit<HistoryResult, "epoch" | "seq">;

/** Aggregate of the raw points in one bucket of a sub-second query. */
interface Aggregate {
  count: number;
  sum: number;
  min: number;
  max: number;
  lastTs: number;
  last: number;
}

/** Folds a point into an aggregate; on equal timestamps the later arrival becomes last. */
function foldPoint(agg: Aggregate, ts: number, value: number): void {
  agg.count++;
  agg.sum += value;
  if (value < agg.min) agg.min = value;
  if (value > agg.max) agg.max = value;
  if (ts >= agg.lastTs) {
    agg.lastTs = ts;
    agg.last = value;
  }
}

/**
 * Where a query reads from: the raw log (-1) for steps under 1 s, else the coarsest rollup resolution no wider than
 * the step whose retention still covers `from`. The step is rounded up to a multiple of the resolution.
 */
export function chooseResolution(
  step: number,
  from: number,
  now: number,
): { resolution: number; step: number } {
  if (step < RESOLUTIONS[0]!.ms) return { resolution: -1, step: Math.max(1, Math.ceil(step)) };
  const usable = RESOLUTIONS.map((_, r) => r).filter((r) => RESOLUTIONS[r]!.ms <= step);
  const covering = usable.filter((r) => from >= now - RESOLUTIONS[r]!.retentionMs);
  const resolution = (covering.length > 0 ? covering : usable).at(-1)!;
  const width = RESOLUTIONS[resolution]!.ms;
  return { resolution, step: Math.ceil(step / width) * width };
}

type Buckets = Map<number, Aggregate>;

function emptyColumns(): HistoryColumns {
  return { ts: [], avg: [], min: [], max: [], count: [], last: [] };
}

function toHistory(device: string, metric: string, buckets: Buckets): SeriesHistory {
  const columns = emptyColumns();
  for (const [ts, agg] of [...buckets].sort((a, b) => a[0] - b[0])) {
    columns.ts.push(ts);
    columns.avg.push(agg.sum / agg.count);
    columns.min.push(agg.min);
    columns.max.push(agg.max);
    columns.count.push(agg.count);
    columns.last.push(agg.last);
  }
  return { device, metric, ...columns };
}

/**
 * Answers a history query from rollups (step >= 1 s) or the raw log (finer steps, within raw retention).
 * `seriesIds[i]` is the id of `request.series[i]`, or undefined for a series the board does not have.
 */
export function queryHistory(
  request: HistoryRequest,
  seriesIds: Array<number | undefined>,
  rollups: Rollups,
  log: BatchLog,
  earliestReceipt: (ts: number) => number,
  now: number,
): HistoryBuckets {
  const { resolution, step } = chooseResolution(request.step, request.from, now);
  const from = request.from - (request.from % step);
  if (resolution >= 0) {
    const known = seriesIds.filter((id) => id !== undefined);
    const columns = rollups.aggregate(resolution, known, from, request.to, step);
    return {
      from,
      to: request.to,
      step,
      resolution: RESOLUTIONS[resolution]!.name,
      series: request.series.map(({ device, metric }, i) => {
        const id = seriesIds[i];
        return { device, metric, ...(id === undefined ? emptyColumns() : columns[known.indexOf(id)]!) };
      }),
    };
  }
  const buckets: Buckets[] = seriesIds.map(() => new Map());
  const wanted = new Map<number, Buckets>();
  seriesIds.forEach((id, i) => {
    if (id !== undefined) wanted.set(id, buckets[i]!);
  });
  for (const { batch } of log.readReceivedSince(earliestReceipt(from), from, request.to)) {
    for (let p = 0; p < batch.seriesIds.length; p++) {
      const target = wanted.get(batch.seriesIds[p]!);
      const ts = batch.ts[p]!;
      if (!target || ts < from || ts >= request.to) continue;
      const start = ts - (ts % step);
      const agg = target.get(start);
      const value = batch.values[p]!;
      if (agg) foldPoint(agg, ts, value);
      else target.set(start, { count: 1, sum: value, min: value, max: value, lastTs: ts, last: value });
    }
  }
  return {
    from,
    to: request.to,
    step,
    resolution: "raw",
    series: request.series.map(({ device, metric }, i) => toHistory(device, metric, buckets[i]!)),
  };
}
