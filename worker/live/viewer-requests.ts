import { ALL_SERIES, parseClientMessage, parsePosition, type StreamPosition } from "../protocol/index.ts";
import type { Viewers } from "./viewers.ts";

/** A long poll with nothing to say answers after at most this long. */
export const MAX_POLL_WAIT_MS = 25_000;

/** A position a client sends (`?pos=`, `Last-Event-ID`); the Worker has checked its form. */
function positionOf(text: string | null): StreamPosition | null {
  return text === null ? null : parsePosition(text);
}

/**
 * Serves a viewer's request the Worker has checked (credential, selectors, position): a WebSocket upgrade (`/live`),
 * an SSE stream (`/events`) or a long poll (`/poll`), with a hub's or a relay's viewers.
 */
export async function serveViewer(request: Request, viewers: Viewers): Promise<Response> {
  const url = new URL(request.url);
  const selectors = url.searchParams.getAll("series");
  const subscription = selectors.length > 0 ? selectors : [ALL_SERIES];
  const transport = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
  if (transport === "poll") {
    const wait = Math.min(MAX_POLL_WAIT_MS, Number(url.searchParams.get("wait") ?? MAX_POLL_WAIT_MS) || 0);
    return Response.json(await viewers.poll(subscription, positionOf(url.searchParams.get("pos")), wait));
  }
  if (transport === "events") {
    const resume = positionOf(request.headers.get("last-event-id") ?? url.searchParams.get("pos"));
    return viewers.openStream(subscription, resume);
  }
  const pair = new WebSocketPair();
  // The greeting may read shards' logs: the handshake completes meanwhile, and messages follow in order.
  void viewers.connect(pair[1], subscription, positionOf(url.searchParams.get("pos"))).then(() => {
    viewers.queuePresence([]);
  });
  return new Response(null, { status: 101, webSocket: pair[0] });
}

/** A viewer socket's message: JSON control messages only. */
export function viewerMessage(viewers: Viewers, socket: WebSocket, message: string | ArrayBuffer): void {
  if (typeof message !== "string") {
    viewers.sendTo(socket, { type: "error", code: "binary_not_accepted", message: "send JSON text" });
    return;
  }
  const parsed = parseClientMessage(message);
  if ("error" in parsed)
    viewers.sendTo(socket, { type: "error", code: "bad_message", message: parsed.error });
  else viewers.handle(socket, parsed);
}
