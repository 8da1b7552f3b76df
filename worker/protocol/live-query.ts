/**
 * Live PromQL: a viewer subscribes to an expression and receives its `query_range` result step by step, as the
 * steps become final (see the README, "Live PromQL"). Shared by the Worker and the dashboard; no runtime dependencies.
 */

/** Bounds of live query subscriptions; the README's "Live PromQL" section lists the same numbers. */
export const LIVE_QUERY_LIMITS = {
  /** Subscriptions one socket, or one SSE stream, holds at once. */
  perViewer: 10,
  /** Characters of all the expressions one socket holds: they travel in its attachment (16 KiB, with its selectors). */
  expressionCharsPerViewer: 8192,
  /** Distinct (expression, step) evaluations one hub or relay runs at once. */
  perObject: 64,
  /** Subscriptions one hub or relay serves at once (each costs a send per step). */
  subscriptionsPerObject: 4000,
  minStepMs: 1000,
  maxStepMs: 3_600_000,
  /** Characters of an expression. */
  maxExpressionLength: 4096,
  /** Characters of a subscription id. */
  maxIdLength: 64,
  /** History sent first when the subscription names no start: the last 5 minutes. */
  defaultHistoryMs: 300_000,
  /** A step is final this long after its end (by the evaluating object's clock): the grace for points in flight. */
  graceMs: 50,
  /** Points arriving this long after their step was final still correct the steps they change. */
  correctionHorizonMs: 60_000,
  /** Steps this recent are corrected from the evaluation's memory; older ones within the horizon re-read storage. */
  memoryHorizonMs: 5_000,
  /** Samples one evaluation keeps in memory (its selectors' windows over the memory horizon). */
  maxSamplesPerQuery: 500_000,
  /** Samples all of an object's evaluations keep. */
  maxSamplesPerObject: 2_000_000,
} as const;

/**
 * What an event covers: `history` (the steps from the subscription's start through the last final one), `steps`
 * (steps that became final since the last event) or `correction` (points arrived late: every step from `start` to
 * `end` is replaced by what this event holds, a series absent from it has no point there).
 */
export type LiveResultKind = "history" | "steps" | "correction";

/** One `[seconds, "value"]` series of a matrix, as `query_range` answers. */
export interface LiveSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** A result event: the `query_range` data shape for the steps `start`…`end` (seconds, multiples of the step). */
export interface LiveResult {
  id: string;
  kind: LiveResultKind;
  start: number;
  end: number;
  resultType: "matrix";
  result: LiveSeries[];
}

/** An expression's error, worded and typed as `query_range` answers it; it ends that subscription only. */
export interface LiveQueryError {
  id: string;
  status: "error";
  errorType: string;
  error: string;
}

/**
 * Whether a text message from the server is a live query's answer (`result` or `query_error`): what a client counts
 * for `ack`'s `results`. The server writes `type` first.
 */
export function isLiveQueryAnswer(text: string): boolean {
  return text.startsWith('{"type":"result"') || text.startsWith('{"type":"query_error"');
}

/** The socket's client messages for live queries (see `parseClientMessage`). */
export type LiveQueryMessage =
  /**
   * `step` in ms; `after` (seconds): the last step the client holds, to resume right after it; else `start`
   * (seconds): the first step of its history.
   */
  | { type: "query"; id: string; expr: string; step: number; after?: number; start?: number }
  | { type: "unquery"; id: string };

/** Why a subscription's parameters cannot be served, or null when they can. */
export function liveQueryProblem(id: unknown, expr: unknown, stepMs: unknown): string | null {
  const { maxIdLength, maxExpressionLength, minStepMs, maxStepMs } = LIVE_QUERY_LIMITS;
  if (typeof id !== "string" || id.length === 0 || id.length > maxIdLength)
    return `id must be a string of 1 to ${maxIdLength} chars`;
  if (typeof expr !== "string" || expr.length === 0 || expr.length > maxExpressionLength)
    return `expr must be a PromQL expression of 1 to ${maxExpressionLength} chars`;
  if (typeof stepMs !== "number" || !Number.isInteger(stepMs) || stepMs < minStepMs || stepMs > maxStepMs)
    return `step must be a whole number of ms from ${minStepMs} to ${maxStepMs}`;
  return null;
}

/** Parses a `query` or `unquery` message's fields (its type checked by the caller). */
export function parseLiveQueryMessage(raw: Record<string, unknown>): LiveQueryMessage | { error: string } {
  const { type, id, expr, step, after, start } = raw;
  if (type === "unquery") {
    return typeof id === "string" && id.length > 0 && id.length <= LIVE_QUERY_LIMITS.maxIdLength
      ? { type, id }
      : { error: `id must be a string of 1 to ${LIVE_QUERY_LIMITS.maxIdLength} chars` };
  }
  const problem = liveQueryProblem(id, expr, step);
  if (problem) return { error: problem };
  for (const [name, value] of [
    ["after", after],
    ["start", start],
  ] as const)
    if (value !== undefined && !(typeof value === "number" && Number.isFinite(value)))
      return { error: `${name} is a time in seconds` };
  const message: LiveQueryMessage = {
    type: "query",
    id: id as string,
    expr: expr as string,
    step: step as number,
  };
  if (typeof after === "number") message.after = after;
  if (typeof start === "number") message.start = start;
  return message;
}
