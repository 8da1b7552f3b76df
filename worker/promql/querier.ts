/**
 * The one seam between the PromQL engine and storage. The engine never sees SQL, Durable Objects or env: it asks a
 * Querier for the samples of the series a selector matches, and storage answers from wherever it keeps them (the
 * shards' raw logs and rollups in production, an in-memory list in tests).
 */

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

/** Storage as the engine sees it. */
export interface Querier {
  /** Every series matching all the matchers, with its samples in [hints.start, hints.end]. */
  select(matchers: readonly LabelMatcher[], hints: SelectHints): Promise<SeriesSamples[]>;
}
