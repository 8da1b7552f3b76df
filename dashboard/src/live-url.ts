import { ALL_SERIES, formatPosition, type StreamPosition } from "../../worker/protocol/index.ts";

/** `/api/v1/boards/:board/<endpoint>` on the page's own origin. */
export function boardUrl(page: string | URL, board: string, endpoint: string): URL {
  return new URL(`/api/v1/boards/${encodeURIComponent(board)}/${endpoint}`, page);
}

/** Adds the subscription, and the position to resume from (`pos`) when there is one. */
function subscribe(url: URL, selectors: readonly string[], resume: StreamPosition | null): string {
  for (const selector of selectors) url.searchParams.append("series", selector);
  if (resume) url.searchParams.set("pos", formatPosition(resume));
  return url.toString();
}

/** The board's live socket URL on the page's own origin, asking to resume from `resume` when given. */
export function liveSocketUrl(
  page: string | URL,
  board: string,
  resume: StreamPosition | null,
  selectors: readonly string[] = [ALL_SERIES],
): string {
  const url = boardUrl(page, board, "live");
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return subscribe(url, selectors, resume);
}

/** The board's SSE URL: `EventSource` cannot send headers, so the credential is a ticket. */
export function eventStreamUrl(
  page: string | URL,
  board: string,
  ticket: string,
  resume: StreamPosition | null,
  selectors: readonly string[] = [ALL_SERIES],
): string {
  const url = boardUrl(page, board, "events");
  url.searchParams.set("ticket", ticket);
  return subscribe(url, selectors, resume);
}

/**
 * The board's long-poll URL, asking for what follows `after` (a snapshot when null); `waitMs` shortens how long the
 * board holds the poll when nothing is new.
 */
export function pollUrl(
  page: string | URL,
  board: string,
  after: StreamPosition | null,
  waitMs?: number,
  selectors: readonly string[] = [ALL_SERIES],
): string {
  const url = boardUrl(page, board, "poll");
  if (waitMs !== undefined) url.searchParams.set("wait", String(waitMs));
  return subscribe(url, selectors, after);
}
