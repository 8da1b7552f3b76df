import type { ColumnsWithLastTs } from "./shard-api.ts";

/**
 * One bucket's aggregate, whether folded from raw points or merged from rollup buckets. `count` counts every value;
 * `sum`, `min` and `max` only the finite ones (0, +Inf, -Inf when there are none), and the non-finite values are
 * counted beside them, so the columns can follow IEEE (and Prometheus) rules without a NaN spreading further.
 */
export interface BucketAggregate {
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  lastTs: number;
  nan: number;
  posInf: number;
  negInf: number;
}

/** An aggregate of no points yet. */
export function emptyAggregate(): BucketAggregate {
  const infinity = Number.POSITIVE_INFINITY;
  return {
    count: 0,
    sum: 0,
    min: infinity,
    max: -infinity,
    last: 0,
    lastTs: 0,
    nan: 0,
    posInf: 0,
    negInf: 0,
  };
}

/** Folds a point into an aggregate; on equal timestamps the later arrival becomes last. */
export function foldPoint(agg: BucketAggregate, ts: number, value: number): void {
  agg.count++;
  if (Number.isFinite(value)) {
    agg.sum += value;
    if (value < agg.min) agg.min = value;
    if (value > agg.max) agg.max = value;
  } else if (Number.isNaN(value)) agg.nan++;
  else if (value > 0) agg.posInf++;
  else agg.negInf++;
  if (ts >= agg.lastTs) {
    agg.lastTs = ts;
    agg.last = value;
  }
}

/** The sum of every value by IEEE rules: NaN with a NaN or both infinities, else an infinity, else the finite sum. */
export function ieeeSum(agg: BucketAggregate): number {
  if (agg.nan > 0 || (agg.posInf > 0 && agg.negInf > 0)) return Number.NaN;
  if (agg.posInf > 0) return Number.POSITIVE_INFINITY;
  return agg.negInf > 0 ? Number.NEGATIVE_INFINITY : agg.sum;
}

/** The least value as Prometheus's `min_over_time` has it: NaN only when every value is NaN. */
export function ieeeMin(agg: BucketAggregate): number {
  if (agg.negInf > 0) return Number.NEGATIVE_INFINITY;
  if (agg.count > agg.nan + agg.posInf) return agg.min;
  return agg.posInf > 0 ? Number.POSITIVE_INFINITY : Number.NaN;
}

/** The greatest value as Prometheus's `max_over_time` has it: NaN only when every value is NaN. */
export function ieeeMax(agg: BucketAggregate): number {
  if (agg.posInf > 0) return Number.POSITIVE_INFINITY;
  if (agg.count > agg.nan + agg.negInf) return agg.max;
  return agg.negInf > 0 ? Number.NEGATIVE_INFINITY : Number.NaN;
}

export function emptyColumns(): ColumnsWithLastTs {
  return { ts: [], avg: [], min: [], max: [], count: [], last: [], lastTs: [] };
}

/** Appends the bucket that starts at `start`: avg, min and max over all its values, as Prometheus's `*_over_time`. */
export function pushBucket(columns: ColumnsWithLastTs, start: number, agg: BucketAggregate): void {
  columns.ts.push(start);
  columns.avg.push(ieeeSum(agg) / agg.count);
  columns.min.push(ieeeMin(agg));
  columns.max.push(ieeeMax(agg));
  columns.count.push(agg.count);
  columns.last.push(agg.last);
  columns.lastTs.push(agg.lastTs);
}
