import type { ColumnsWithLastTs } from "./shard-api.ts";

/** One bucket's aggregate, whether folded from raw points or merged from rollup buckets. */
export interface BucketAggregate {
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  lastTs: number;
}

export function emptyColumns(): ColumnsWithLastTs {
  return { ts: [], avg: [], min: [], max: [], count: [], last: [], lastTs: [] };
}

/** Appends the bucket that starts at `start`. */
export function pushBucket(columns: ColumnsWithLastTs, start: number, agg: BucketAggregate): void {
  columns.ts.push(start);
  columns.avg.push(agg.sum / agg.count);
  columns.min.push(agg.min);
  columns.max.push(agg.max);
  columns.count.push(agg.count);
  columns.last.push(agg.last);
  columns.lastTs.push(agg.lastTs);
}
