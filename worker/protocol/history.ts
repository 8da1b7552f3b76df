import type { SeriesDef } from "./messages.ts";
import type { StreamPosition } from "./positions.ts";

/** At most this many buckets per series in one history answer. */
export const MAX_BUCKETS = 2000;
/** At most this many series in one history answer. */
export const MAX_QUERY_SERIES = 100;

export type ResolutionName = "raw" | "1s" | "1m" | "1h";

/** Aggregated points in columns: bucket i covers [ts[i], ts[i] + step). Empty buckets are left out. */
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
