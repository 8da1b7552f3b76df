import { type LiveQueries, Watcher } from "./live-queries.ts";
import type { EncodedEvent } from "./live-query.ts";
import { SseSink } from "./sse-sink.ts";

/** What an SSE stream of live queries asks: its subscriptions, their step (ms), the first step of their history. */
export interface QueryStreamRequest {
  queries: Array<{ id: string; expr: string }>;
  stepMs: number;
  /** ms, a multiple of the step; null: the last 5 minutes. */
  start: number | null;
}

const KEEPALIVE_MS = 25_000;

/**
 * An SSE stream of live queries: `event: result` per history, steps or correction (data: the `query_range` data
 * shape with the subscription's `id`, `kind`, `start` and `end`), `event: query_error` for a failed expression.
 * Each event's `id:` is the last step every subscription of the stream has (seconds): `Last-Event-ID` resumes right
 * after it, no step missed or repeated.
 */
export function openQueryStream(
  live: LiveQueries,
  request: QueryStreamRequest,
  onClose: () => void,
  owner: string,
): Response {
  const watchers: Watcher[] = [];
  const delivered = new Map<Watcher, number>();
  const sink = new SseSink(() => {
    clearInterval(keepAlive);
    for (const watcher of watchers) live.unsubscribe(watcher);
    onClose();
  }, owner);
  const keepAlive = setInterval(() => sink.keepAlive(), KEEPALIVE_MS);
  const out = (watcher: Watcher, event: EncodedEvent) => {
    const head = `{"id":${JSON.stringify(watcher.id)},`;
    if (event.kind === "error") {
      delivered.delete(watcher);
      sink.sendEvent("query_error", head + event.tail);
      return;
    }
    if (event.kind !== "correction") delivered.set(watcher, event.end);
    const open = watchers.filter((w) => !w.ended);
    const all = open.every((w) => delivered.has(w));
    const through = all && open.length > 0 ? Math.min(...open.map((w) => delivered.get(w)!)) : null;
    sink.sendEvent("result", head + event.tail, through === null ? undefined : String(through / 1000));
  };
  for (const { id, expr } of request.queries) {
    const watcher = new Watcher(id, out);
    watchers.push(watcher);
    void live.subscribe(watcher, { expr, stepMs: request.stepMs, start: request.start });
  }
  return sink.response;
}
