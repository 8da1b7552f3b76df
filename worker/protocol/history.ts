import type { SeriesDef } from "./messages.ts";
import type { StreamPosition } from "./positions.ts";
import { type JsonValue, toJsonValue } from "./sample-value.ts";

/** At most this many buckets per series in one history answer. */
export const MAX_BUCKETS = 2000;
/** At most this many series in one history answer. */
export const MAX_QUERY_SERIES = 100;

export type ResolutionName = "raw" | "1s" | "1m" | "1h";

/**
 * Aggregated points in columns: bucket i covers [ts[i], ts[i] + step). Empty buckets are left out. `avg`, `min`
 * and `max` follow Prometheus's `avg_over_time`, `min_over_time` and `max_over_time` over the bucket's values (a
 * NaN makes its bucket's avg NaN; min and max are NaN only when every value is); staleness markers are no values.
 */
export interface HistoryColumns {
  ts: number[];
  avg: number[];
  min: number[];
  max: number[];
  count: number[];
  last: number[];
}

/** One series of a history answer: its name (labels, unit and kind when known) and its buckets. */
export interface SeriesHistory extends HistoryColumns, Omit<SeriesDef, "id"> {
  /**
   * Counters only: the increase per second since the previous bucket (null for the first), a drop read as a reset.
   * Computed by the board, so every client draws the same rate.
   */
  rate?: Array<number | null>;
}

/**
 * Answer of `GET /boards/:board/query`. It holds exactly each shard's batches up to its `seq` in `positions`: live
 * frames up to there are in it, later ones are not, so a client splices the two without gap or duplicate.
 */
export interface HistoryResult {
  positions: StreamPosition;
  from: number;
  to: number;
  /** The bucket width used: the requested step rounded up to a multiple of the resolution. */
  step: number;
  resolution: ResolutionName;
  series: SeriesHistory[];
}

/** The columns JSON carries as sample values: NaN and ±Inf as text (see `sample-value.ts`). */
type ValueColumn = "avg" | "min" | "max" | "last";

/** A history answer as JSON carries it. */
export interface JsonHistoryResult extends Omit<HistoryResult, "series"> {
  series: Array<Omit<SeriesHistory, ValueColumn> & Record<ValueColumn, JsonValue[]>>;
}

/** A history answer ready for JSON, which has no NaN or ±Inf. */
export function jsonHistory(result: HistoryResult): JsonHistoryResult {
  const values = (column: number[]) => column.map(toJsonValue);
  return {
    ...result,
    series: result.series.map((series) => ({
      ...series,
      avg: values(series.avg),
      min: values(series.min),
      max: values(series.max),
      last: values(series.last),
    })),
  };
}
