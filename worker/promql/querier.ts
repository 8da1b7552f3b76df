/**
 * The one seam between the PromQL engine and storage. The engine never sees SQL, Durable Objects or env: it asks a
 * Querier for the samples of the series a selector matches, and storage answers from wherever it keeps them (the
 * shards' raw logs and rollups in production, an in-memory list in tests).
 */
import type { Aggregate } from "./ast.ts";

/** A series' PromQL labels, `__name__` included; no empty values (an empty value is the same as no label). */
export type LabelSet = Readonly<Record<string, string>>;

export type MatchType = "=" | "!=" | "=~" | "!~";

/** A label matcher as PromQL writes it; regular expressions are RE2 syntax, anchored at both ends. */
export interface LabelMatcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
}

/** One series' samples in ascending time order, times in ms since the epoch. */
export interface SeriesSamples {
  readonly labels: LabelSet;
  readonly timestamps: Float64Array;
  /** Any float64, NaN and ±Inf included. */
  readonly values: Float64Array;
  /** 1 where the sample is a staleness marker (its value is NaN); absent when the series has none. */
  readonly stale?: Uint8Array;
  /**
   * How many stored points each sample stands for, when storage answers from rollup buckets (one sample a bucket):
   * `count_over_time` adds them up and `avg_over_time` weighs by them. Absent: one each.
   */
  readonly counts?: Float64Array;
}

/** What the engine will do with a selection, so storage can choose a resolution (raw or a rollup). */
export interface SelectHints {
  /** The samples wanted, inclusive, in ms. */
  readonly start: number;
  readonly end: number;
  /** The query's step in ms (0 for an instant query). */
  readonly step: number;
  /** The range of a range selector in ms (0 for an instant selector). */
  readonly range: number;
  /** The function applied to a range selector, e.g. "rate", when there is one. */
  readonly func?: string;
}

/** The times a query evaluates at: start, start + step, … ≤ end; only start when step is 0 (an instant query). */
export interface Steps {
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

/** One group of a partial aggregation at every step; `present[k]` is 0 where the group has no value at step k. */
export interface PartialSeries {
  readonly labels: LabelSet;
  readonly values: Float64Array;
  readonly present: Uint8Array;
}

/** Storage as the engine sees it. */
export interface Querier {
  /** Every series matching all the matchers, with its samples in [hints.start, hints.end]. */
  select(matchers: readonly LabelMatcher[], hints: SelectHints): Promise<SeriesSamples[]>;
  /**
   * Optional: evaluates each of `parts` (aggregations of an expression that reads each series on its own, see
   * `pushdown.ts`) where the series are stored, each store over its own series only, every series in one store.
   * Answers each part's partial series from all stores, concatenated; the engine merges them.
   */
  aggregate?(parts: readonly Aggregate[], steps: Steps): Promise<PartialSeries[][]>;
}
