/** The values the evaluator passes between nodes at one evaluation time. */
import type { LabelSet } from "./querier.ts";

export interface Sample {
  readonly labels: LabelSet;
  readonly value: number;
  /** The stored sample's own time, kept by selectors for `timestamp()`. */
  readonly t?: number;
}

/** Floats as storage hands them over (views of its arrays) or as the evaluator builds them. */
export type Floats = Float64Array | readonly number[];

/** Points in ascending time order. */
export interface Points {
  readonly t: Floats;
  readonly v: Floats;
  /** How many stored points each stands for (a rollup bucket's count, see `SeriesSamples.counts`); absent: one. */
  readonly n?: Floats;
}

export interface RangeSeries extends Points {
  readonly labels: LabelSet;
}

/** The points [from, to) of a series' columns: a window read in place, not copied. */
export interface WindowPoints extends Points {
  readonly from: number;
  readonly to: number;
}

export interface WindowSeries extends WindowPoints {
  readonly labels: LabelSet;
}

export type Value =
  | { readonly kind: "scalar"; readonly value: number }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "vector"; readonly samples: readonly Sample[] }
  | { readonly kind: "matrix"; readonly series: readonly RangeSeries[] };

export const scalar = (value: number): Value => ({ kind: "scalar", value });
export const vector = (samples: readonly Sample[]): Value => ({ kind: "vector", samples });

/** Collects points into series by label set, in first-seen order (a range query's result, a subquery's matrix). */
export class SeriesBuilder {
  private readonly byKey = new Map<string, { labels: LabelSet; t: number[]; v: number[] }>();

  add(key: string, labels: LabelSet, t: number, v: number): void {
    let series = this.byKey.get(key);
    if (!series) {
      series = { labels, t: [], v: [] };
      this.byKey.set(key, series);
    }
    series.t.push(t);
    series.v.push(v);
  }

  get points(): number {
    let n = 0;
    for (const s of this.byKey.values()) n += s.t.length;
    return n;
  }

  series(): RangeSeries[] {
    return [...this.byKey.values()];
  }
}
