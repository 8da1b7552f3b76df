import { ApiError } from "../http/errors.ts";
import { parseDuration, parseTime } from "../http/time-params.ts";
import { INGEST_LIMITS } from "../ingest/limits.ts";
import {
  MAX_BUCKETS,
  MAX_QUERY_SERIES,
  MAX_SELECTORS_TEXT,
  parseSelector,
  selectorsFit,
  splitSelectors,
} from "../protocol/index.ts";
import type { HistoryRequest } from "../shard/history.ts";

/** Default bucket count when no step is given. */
const DEFAULT_BUCKETS = 500;
const DEFAULT_RANGE_MS = 3_600_000;

function invalid(code: string, message: string, path: string): ApiError {
  return new ApiError(400, code, message, path);
}

/**
 * Selectors given as `series=` (repeatable, each a comma-separated list; see `protocol/selectors.ts`), checked:
 * 400 `invalid_series` naming the first bad one, `too_many_series` past `max` (or, for a live connection, which
 * keeps them with its socket, past MAX_SELECTORS_TEXT chars in all).
 */
export function selectorParams(params: URLSearchParams, max: number, forConnection = false): string[] {
  const selectors = params.getAll("series").flatMap((list) => splitSelectors(list));
  if (selectors.length > max)
    throw invalid("too_many_series", `name at most ${max} series selectors`, "series");
  if (forConnection && !selectorsFit(selectors))
    throw invalid("too_many_series", `selectors may hold ${MAX_SELECTORS_TEXT} chars in all`, "series");
  for (const selector of selectors) {
    const parsed = parseSelector(selector);
    if ("error" in parsed) throw invalid("invalid_series", parsed.error.slice(0, 300), "series");
  }
  return selectors;
}

/** Series named by `series=` selectors or by `device=` with repeated `metric=`. */
function parseSeries(params: URLSearchParams): string[] {
  const selectors = selectorParams(params, MAX_QUERY_SERIES);
  const device = params.get("device");
  const metrics = params.getAll("metric");
  if (device !== null || metrics.length > 0) {
    if (device === null || metrics.length === 0)
      throw invalid("invalid_series", "device and metric go together", "metric");
    for (const metric of metrics) {
      const selector = `${device}:${metric}`;
      if ("error" in parseSelector(selector))
        throw invalid(
          "invalid_series",
          `device and metric must be names: ${selector.slice(0, 200)}`,
          "metric",
        );
      selectors.push(selector);
    }
  }
  if (selectors.length === 0)
    throw invalid("invalid_series", "name series with series=device:metric or device=&metric=", "series");
  if (selectors.length > MAX_QUERY_SERIES) {
    throw invalid("too_many_series", `a query may name at most ${MAX_QUERY_SERIES} series`, "series");
  }
  return selectors;
}

/** Reads and checks a history query's parameters. */
export function parseHistoryQuery(params: URLSearchParams, now: number): HistoryRequest {
  // By default the range ends at the latest timestamp a point may carry, so an answer holds every point of the
  // batches up to its seq and a live view spliced after it loses none.
  const to = params.has("to") ? parseTime(params.get("to")!, now, "to") : now + INGEST_LIMITS.maxFutureMs;
  const from = parseTime(params.get("from") ?? String(to - DEFAULT_RANGE_MS), now, "from");
  if (from >= to) throw invalid("invalid_range", "from must be before to", "from");
  const rawStep = params.get("step");
  const step = rawStep === null ? Math.ceil((to - from) / DEFAULT_BUCKETS) : parseDuration(rawStep, "step");
  const buckets = Math.ceil((to - from) / step);
  if (buckets > MAX_BUCKETS) {
    const minimum = Math.ceil((to - from) / MAX_BUCKETS);
    throw invalid(
      "too_many_buckets",
      `from..to at this step gives ${buckets} buckets; at most ${MAX_BUCKETS} (use step >= ${minimum}ms)`,
      "step",
    );
  }
  return { selectors: parseSeries(params), from, to, step, now };
}
