import {
  compareLabels,
  type EngineOptions,
  instantQuery,
  labelsKey,
  PromQLError,
  type PromQLErrorType,
  type QueryData,
  rangeQuery,
} from "../promql/index.ts";
import type { CatalogAnswer } from "../shard/promql-labels.ts";
import { PROMQL_LIMITS } from "./limits.ts";
import { type QueriedShard, type QueryCost, type SelectTap, ShardQuerier } from "./shard-querier.ts";

/** A query the Worker checked: an instant one at `time`, or a range one; times in ms. */
export type PromqlRequest = { expr: string; timeoutMs: number } & (
  | { time: number }
  | { start: number; end: number; step: number }
);

export type PromqlAnswer =
  | { data: QueryData; cost: QueryCost }
  | { error: { errorType: PromQLErrorType; error: string }; cost: QueryCost };

/** The engine's limits for a board's query: the Prometheus API's, with the query's own timeout if it asks less. */
export function engineOptions(timeoutMs: number = PROMQL_LIMITS.timeoutMs): EngineOptions {
  return {
    maxSamples: PROMQL_LIMITS.maxSamples,
    maxSteps: PROMQL_LIMITS.maxSteps,
    maxExpressionLength: PROMQL_LIMITS.maxExpressionLength,
    timeoutMs: Math.min(timeoutMs, PROMQL_LIMITS.timeoutMs),
  };
}

/**
 * Runs a query with the engine over the board's shards (see ShardQuerier); PromQL errors become answers. `tap` sees
 * every selection's samples.
 */
export async function runPromql(
  shards: QueriedShard[],
  request: PromqlRequest,
  now: number,
  tap?: SelectTap,
): Promise<PromqlAnswer> {
  const querier = new ShardQuerier(shards, now, PROMQL_LIMITS, tap);
  const options = engineOptions(request.timeoutMs);
  try {
    const data =
      "time" in request
        ? await instantQuery(querier, request.expr, request.time, options)
        : await rangeQuery(querier, request.expr, request.start, request.end, request.step, options);
    return { data, cost: querier.cost };
  } catch (error) {
    if (!(error instanceof PromQLError)) throw error;
    return { error: { errorType: error.errorType, error: error.apiMessage }, cost: querier.cost };
  }
}

/** The board's catalog answer from its shards': distinct entries, sorted, at most `limit`. */
export function mergeCatalog(parts: CatalogAnswer[], limit: number): CatalogAnswer {
  const truncated = parts.some((part) => part.truncated);
  if (parts.every((part) => "strings" in part)) {
    const strings = [...new Set(parts.flatMap((part) => part.strings))].sort();
    return { strings: strings.slice(0, limit), truncated: truncated || strings.length > limit };
  }
  const byKey = new Map<string, Record<string, string>>();
  for (const part of parts) {
    if (!("series" in part)) continue;
    for (const labels of part.series) byKey.set(labelsKey(labels), labels);
  }
  const series = [...byKey.values()].sort(compareLabels);
  return { series: series.slice(0, limit), truncated: truncated || series.length > limit };
}
