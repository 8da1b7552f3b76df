import { MAX_TIME, MIN_TIME } from "../prometheus/params.ts";
import { METRIC_NAME, matchesAll } from "../promql/index.ts";
import type { LabelMatcher, LabelSet } from "../promql/querier.ts";
import { RESOLUTIONS } from "./resolutions.ts";
import type { Rollups } from "./rollups.ts";
import type { LabelledSeries, SeriesCatalog } from "./series-catalog.ts";

export type { LabelledSeries };

/** The metric a matcher set names with `__name__="…"`, if it does. */
const metricOf = (matchers: readonly LabelMatcher[]) =>
  matchers.find((m) => m.name === METRIC_NAME && m.type === "=")?.value;

/**
 * The series matching every matcher of at least one of `sets`, in id order. When every set names its metric, only
 * those metrics' series are looked at.
 */
export function matchingSeries(
  catalog: SeriesCatalog,
  sets: readonly (readonly LabelMatcher[])[],
): LabelledSeries[] {
  const metrics = sets.map(metricOf);
  const candidates = metrics.includes(undefined)
    ? catalog.labelled()
    : catalog.labelled(new Set(metrics as string[]));
  return candidates.filter(({ labels }) => sets.some((matchers) => matchesAll(labels, matchers)));
}

/** A catalog question of the series, labels and label values endpoints. No matcher sets means every series. */
export interface CatalogQuery {
  matchers: LabelMatcher[][];
  /** Only series with points in [start, end] count (ms; see `inRange`). */
  start: number;
  end: number;
  /** What to answer: the label sets, the label names, or the values of one label. */
  want: { series: true } | { names: true } | { values: string };
  /** The most entries an answer holds. */
  limit: number;
}

/** The answer to a catalog question: label sets, or sorted distinct names or values; `truncated` past the limit. */
export type CatalogAnswer =
  | { series: LabelSet[]; truncated: boolean }
  | { strings: string[]; truncated: boolean };

/** The 1 h rollup: kept a year, so it knows every series' points, an hour to a bucket. */
const HOURLY = RESOLUTIONS.findIndex((r) => r.name === "1h");

/**
 * The series with points in [start, end]: the newest at or after start (exact), and a point in an hour bucket that
 * starts at or before end, from the hour holding start on (so a series is judged to the hour on that side, as
 * Prometheus judges by chunks and blocks). An unbounded range keeps every series without reading anything.
 */
function inRange(
  found: LabelledSeries[],
  stores: CatalogStores,
  { start, end }: CatalogQuery,
): LabelledSeries[] {
  if (start <= MIN_TIME && end >= MAX_TIME) return found;
  const recent = found.filter(
    ({ def }) => (stores.catalog.state(def).last?.ts ?? Number.NEGATIVE_INFINITY) >= start,
  );
  const { ms } = RESOLUTIONS[HOURLY]!;
  const ids = recent.map(({ def }) => def.id);
  const has = stores.rollups.hasPoints(HOURLY, ids, Math.floor(start / ms) * ms, end + 1);
  return recent.filter((_, i) => has[i]);
}

export interface CatalogStores {
  catalog: SeriesCatalog;
  rollups: Rollups;
}

/** Answers a catalog question over this shard's series (see CatalogQuery). */
export function answerCatalog(stores: CatalogStores, query: CatalogQuery): CatalogAnswer {
  const sets = query.matchers.length > 0 ? query.matchers : [[]];
  const found = inRange(matchingSeries(stores.catalog, sets), stores, query);
  const { want, limit } = query;
  if ("series" in want)
    return { series: found.slice(0, limit).map((s) => s.labels), truncated: found.length > limit };
  const strings = new Set<string>();
  for (const { labels } of found) {
    if ("names" in want) for (const name of Object.keys(labels)) strings.add(name);
    else if (labels[want.values] !== undefined) strings.add(labels[want.values]!);
  }
  const sorted = [...strings].sort();
  return { strings: sorted.slice(0, limit), truncated: sorted.length > limit };
}
