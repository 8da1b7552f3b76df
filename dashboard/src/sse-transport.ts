import { fromBase64 } from "../../worker/protocol/index.ts";
import { fetchJson } from "./api.ts";
import { boardUrl, eventStreamUrl } from "./live-url.ts";
import type { Connector, TransportData } from "./reconnecting-socket.ts";
import { type StreamTarget, startAttempt } from "./transport-attempt.ts";

/** An SSE event as the live client wants it: `frame` events carry a base64 frame, the rest JSON text. */
export function sseData(type: string, data: string): TransportData {
  return type === "frame" ? fromBase64(data) : data;
}

/** Mints a ticket: a viewer credential that lives about a minute, fit for a URL. */
export async function mintTicket(
  target: Pick<StreamTarget, "page" | "board" | "token">,
  signal: AbortSignal,
): Promise<string> {
  const url = boardUrl(target.page, target.board, "tickets").toString();
  return (await fetchJson<{ ticket: string }>(url, target.token, { method: "POST", signal })).ticket;
}

/**
 * Opens the board's Server-Sent Events stream with a fresh ticket and the resume position in the URL. On any error
 * the stream is closed and the reconnect loop takes over: EventSource's own retry would resend `Last-Event-ID`, but
 * to the same URL, whose ticket expires after a minute.
 */
export function sseConnector(target: StreamTarget): Connector {
  return (handlers) => {
    let source: EventSource | null = null;
    const attempt = startAttempt(handlers, () => source?.close());
    const open = async () => {
      const ticket = await mintTicket(target, attempt.signal);
      if (attempt.ended) return;
      source = new EventSource(
        eventStreamUrl(target.page, target.board, ticket, target.resume(), target.selectors),
      );
      source.onopen = () => handlers.open();
      const deliver = (event: MessageEvent) => handlers.message(sseData(event.type, event.data as string));
      source.onmessage = deliver;
      // Named events are typed as plain Events; the browser dispatches a MessageEvent.
      source.addEventListener("frame", (event) => deliver(event as MessageEvent));
      source.onerror = () => attempt.end(1006, "event stream failed");
    };
    open().catch((error: Error) => attempt.end(1006, error.message));
    return attempt.socket;
  };
}
