/** The PromQL engine's public API: queries over a Querier, Prometheus-shaped results and errors, matchers. */
import type { Expr } from "./ast.ts";
import { badData, PromQLError } from "./errors.ts";
import { parseExpr } from "./parse.ts";
import type { LabelMatcher } from "./querier.ts";

export type { Aggregate, Expr } from "./ast.ts";
export { instantQuery, partialAggregates, rangeQuery } from "./engine.ts";
export { PromQLError, type PromQLErrorType, type QueryParameter } from "./errors.ts";
export { formatFixed, formatValue, goExponent, type QueryData } from "./format.ts";
export { compareLabels, labelsKey, METRIC_NAME, matchesAll } from "./labels.ts";
export type { EngineOptions } from "./limits.ts";
export { MAX_DURATION_MS, parseDuration } from "./literals.ts";
export { parseExpr } from "./parse.ts";
export type {
  LabelMatcher,
  LabelSet,
  MatchType,
  PartialSeries,
  Querier,
  SelectHints,
  SeriesSamples,
  Steps,
} from "./querier.ts";

/** The matchers of a series selector (`up{job="a"}`, `{__name__=~"x.*"}`), as in match[]; bad_data otherwise. */
export function parseSeriesSelector(text: string): LabelMatcher[] {
  let e: Expr;
  try {
    e = parseExpr(text);
  } catch (error) {
    throw error instanceof PromQLError ? badData(error.message, "match[]") : error;
  }
  if (e.type !== "vectorSelector" || e.offset !== 0 || e.at !== undefined)
    throw badData(`${JSON.stringify(text)} is not a series selector`, "match[]");
  return [...e.matchers];
}
