import { matchesAll } from "../promql/index.ts";
import type { LabelMatcher, LabelSet } from "../promql/querier.ts";
import { promqlLabels, type SeriesDef } from "../protocol/index.ts";
import type { SeriesCatalog } from "./series-catalog.ts";

/** A catalog series with its PromQL labels. */
export interface LabelledSeries {
  def: SeriesDef;
  labels: LabelSet;
}

/** The series matching every matcher of at least one of `sets`. */
export function matchingSeries(
  catalog: SeriesCatalog,
  sets: readonly (readonly LabelMatcher[])[],
): LabelledSeries[] {
  const found: LabelledSeries[] = [];
  for (const def of catalog.all()) {
    const labels = promqlLabels(def);
    if (sets.some((matchers) => matchesAll(labels, matchers))) found.push({ def, labels });
  }
  return found;
}

/** A catalog question of the series, labels and label values endpoints. No matcher sets means every series. */
export interface CatalogQuery {
  matchers: LabelMatcher[][];
  /** Series whose newest point is older than this are left out (ms). */
  start: number;
  /** What to answer: the label sets, the label names, or the values of one label. */
  want: { series: true } | { names: true } | { values: string };
  /** The most entries an answer holds. */
  limit: number;
}

/** The answer to a catalog question: label sets, or sorted distinct names or values; `truncated` past the limit. */
export type CatalogAnswer =
  | { series: LabelSet[]; truncated: boolean }
  | { strings: string[]; truncated: boolean };

/** Answers a catalog question over this shard's series (see CatalogQuery). */
export function answerCatalog(catalog: SeriesCatalog, query: CatalogQuery): CatalogAnswer {
  const sets = query.matchers.length > 0 ? query.matchers : [[]];
  const found = matchingSeries(catalog, sets).filter(
    ({ def }) => (catalog.state(def).last?.ts ?? Number.NEGATIVE_INFINITY) >= query.start,
  );
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
