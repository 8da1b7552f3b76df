import { PromQLError } from "../promql/index.ts";
import { LIVE_QUERY_LIMITS } from "../protocol/live-query.ts";
import { parseDuration, parseTime } from "./params.ts";

/** A live PromQL stream's request, checked: subscriptions by id, their step, and the first step of history (ms). */
export interface LiveStreamParams {
  queries: Array<{ id: string; expr: string }>;
  stepMs: number;
  /** A multiple of the step; null for the last 5 minutes. */
  start: number | null;
}

const bad = (message: string) => new PromQLError("bad_data", message);

/**
 * `query` (repeatable), `id` (optional; when given, one per query, distinct; else "0", "1", …), `step` (a Prometheus
 * duration, default 1s), `start` (a Prometheus time); `lastEventId` (SSE's resume: the last step the client holds,
 * seconds) starts right after it. Expressions themselves are checked by the evaluation: their errors come on the
 * subscription.
 */
export function liveStreamParams(params: URLSearchParams, lastEventId: string | null): LiveStreamParams {
  const { perViewer, maxExpressionLength, maxIdLength, minStepMs, maxStepMs } = LIVE_QUERY_LIMITS;
  const exprs = params.getAll("query");
  if (exprs.length === 0) throw bad("no query parameter provided");
  if (exprs.length > perViewer) throw bad(`at most ${perViewer} queries per stream`);
  if (exprs.some((e) => e.length === 0 || e.length > maxExpressionLength))
    throw bad(`a query is a PromQL expression of 1 to ${maxExpressionLength} characters`);
  const given = params.getAll("id");
  if (given.length > 0 && given.length !== exprs.length) throw bad("give one id per query, or none");
  if (given.some((id) => id.length === 0 || id.length > maxIdLength))
    throw bad(`an id is 1 to ${maxIdLength} characters`);
  if (new Set(given).size !== given.length) throw bad("ids must differ");
  const ids = given.length > 0 ? given : exprs.map((_, i) => String(i));
  const stepMs = parseDuration(params.get("step") ?? "1s", "step");
  if (!Number.isInteger(stepMs) || stepMs < minStepMs || stepMs > maxStepMs)
    throw bad(
      `invalid parameter "step": a live query's step is whole ms from ${minStepMs / 1000}s to ${maxStepMs / 1000}s`,
    );
  const align = (ms: number) => Math.ceil(ms / stepMs) * stepMs;
  let start: number | null = null;
  const startText = params.get("start");
  if (startText !== null && startText !== "") start = align(parseTime(startText, "start"));
  if (lastEventId !== null && lastEventId !== "")
    start = align(parseTime(lastEventId, "Last-Event-ID") + stepMs);
  return { queries: exprs.map((expr, i) => ({ id: ids[i]!, expr })), stepMs, start };
}

/** The request a hub serves the stream from: the checked parameters, steps and times in ms. */
export function hubQueryStreamUrl(base: string, path: string, checked: LiveStreamParams): string {
  const url = new URL(path, base);
  for (const { id, expr } of checked.queries) {
    url.searchParams.append("query", expr);
    url.searchParams.append("id", id);
  }
  url.searchParams.set("step", String(checked.stepMs));
  if (checked.start !== null) url.searchParams.set("start", String(checked.start));
  return url.toString();
}
