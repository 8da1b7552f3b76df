import { bearerToken } from "../http/credentials.ts";
import { jitteredRetryAfter } from "../http/refusal-memo.ts";
import {
  ALL_SERIES,
  MAX_CLIENT_MESSAGE,
  PACE_PARAM,
  paceIntervalMs,
  parseClientMessage,
  parsePosition,
  type StreamPosition,
  splitSelectors,
} from "../protocol/index.ts";
import { STREAMS_PER_CREDENTIAL, type ViewerClient } from "./client-caps.ts";
import type { LiveQueries } from "./live-queries.ts";
import {
  CLOSE_POLICY_VIOLATION,
  MessageBudget,
  SUBSCRIPTION_COST,
  VIEWER_MESSAGE_BURST,
  VIEWER_MESSAGES_PER_SECOND,
} from "./message-budget.ts";
import { POLL_ANSWER_GAP_MS, PollSpacing } from "./poll-spacing.ts";
import { openQueryStream } from "./query-stream.ts";
import type { SocketQueries } from "./socket-queries.ts";
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
  const selectors = url.searchParams.getAll("series").flatMap((list) => splitSelectors(list));
  const subscription = selectors.length > 0 ? selectors : [ALL_SERIES];
  const transport = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
  const maxFps = url.searchParams.get(PACE_PARAM);
  const paceMs = paceIntervalMs(maxFps === null ? null : Number(maxFps));
  const client = viewerClient(request);
  if (transport === "poll") {
    const release = viewers.clients.admit(client, "poll");
    if (!release)
      return tooMany("too_many_polls", `at most ${STREAMS_PER_CREDENTIAL} polls at once per credential`);
    try {
      const wait = Math.min(MAX_POLL_WAIT_MS, Number(url.searchParams.get("wait") ?? MAX_POLL_WAIT_MS) || 0);
      await pollSpacing.turn(client.credential);
      return Response.json(await viewers.poll(subscription, positionOf(url.searchParams.get("pos")), wait));
    } finally {
      release();
    }
  }
  if (transport === "events") {
    const release = await admitStream(viewers, client);
    if (!release)
      return tooMany("too_many_streams", `at most ${STREAMS_PER_CREDENTIAL} streams per credential`);
    const resume = positionOf(request.headers.get("last-event-id") ?? url.searchParams.get("pos"));
    return viewers.openStream(subscription, resume, release, paceMs, client.credential);
  }
  const pair = new WebSocketPair();
  // The greeting may read shards' logs: the handshake completes meanwhile, and messages follow in order.
  void viewers.connect(pair[1], subscription, positionOf(url.searchParams.get("pos")), paceMs).then(() => {
    viewers.queuePresence([]);
  });
  return new Response(null, { status: 101, webSocket: pair[0] });
}

function viewerClient(request: Request): ViewerClient {
  return {
    address: request.headers.get("cf-connecting-ip") ?? "local",
    credential: bearerToken(request) ?? "",
  };
}

/** The path the Worker forwards live PromQL streams to a hub with (see `routes/prometheus-live.ts`). */
export const QUERY_STREAM_PATH = "/prometheus/live";

/**
 * A live PromQL SSE stream the Worker checked: `query` and `id` repeated (as many of each), `step` and `start` in
 * ms. It counts against its credential's streams like an `/events` stream.
 */
export async function serveQueryStream(
  request: Request,
  viewers: Viewers,
  live: LiveQueries,
): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const ids = params.getAll("id");
  const queries = params.getAll("query").map((expr, i) => ({ id: ids[i]!, expr }));
  const start = params.get("start");
  const release = await admitStream(viewers, viewerClient(request));
  if (!release)
    return tooMany("too_many_streams", `at most ${STREAMS_PER_CREDENTIAL} streams per credential`);
  const stepMs = Number(params.get("step"));
  const asked = { queries, stepMs, start: start === null ? null : Number(start) };
  return openQueryStream(live, asked, release, bearerToken(request) ?? "");
}

const pollSpacing = new PollSpacing(POLL_ANSWER_GAP_MS);

/** How long a stream request at its credential's cap waits for one of that credential's streams to turn out dead. */
const STREAM_PROBE_MS = 500;

/**
 * A stream slot for `client`. At the cap, its streams are probed first: a dashboard reloading behind a flaky link
 * comes back before its old connections are known to be gone, and a write finds out (see `probeStreams`).
 */
async function admitStream(viewers: Viewers, client: ViewerClient): Promise<(() => void) | null> {
  const release = viewers.clients.admit(client, "stream");
  if (release) return release;
  viewers.probeStreams(client.credential);
  for (let waited = 0; waited < STREAM_PROBE_MS; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const freed = viewers.clients.admit(client, "stream");
    if (freed) return freed;
  }
  return null;
}

/** A 429 in the API's error shape, for a viewer past one of its limits. */
export function tooMany(code: string, message: string, retryAfterSeconds = 5): Response {
  const headers = { "retry-after": jitteredRetryAfter(retryAfterSeconds) };
  return Response.json({ error: { code, message } }, { status: 429, headers });
}

const budget = new MessageBudget(VIEWER_MESSAGES_PER_SECOND, VIEWER_MESSAGE_BURST);

/** A Close code for a message larger than the endpoint takes (RFC 6455 §7.4.1). */
const CLOSE_MESSAGE_TOO_BIG = 1009;

/**
 * A viewer socket's message: JSON control messages only, within the socket's message budget. One longer than any
 * control message closes the socket at once: each costs the object a copy and a decode while others wait.
 */
export function viewerMessage(
  viewers: Viewers,
  socket: WebSocket,
  message: string | ArrayBuffer,
  queries?: SocketQueries,
): void {
  if ((typeof message === "string" ? message.length : message.byteLength) > MAX_CLIENT_MESSAGE) {
    viewers.close(socket, CLOSE_MESSAGE_TOO_BIG, `messages are at most ${MAX_CLIENT_MESSAGE} chars`);
    return;
  }
  if (!budget.take(socket, 1)) {
    overBudget(viewers, socket);
    return;
  }
  if (typeof message !== "string") {
    viewers.sendTo(socket, { type: "error", code: "binary_not_accepted", message: "send JSON text" });
    return;
  }
  const parsed = parseClientMessage(message);
  if ("error" in parsed) {
    viewers.sendTo(socket, { type: "error", code: "bad_message", message: parsed.error });
    return;
  }
  // A subscription change answers with a snapshot: it costs more than an ack.
  if (parsed.type !== "ack" && !budget.take(socket, SUBSCRIPTION_COST - 1)) {
    overBudget(viewers, socket);
    return;
  }
  if (parsed.type === "query" || parsed.type === "unquery") {
    if (queries) queries.handle(socket, parsed);
    else
      viewers.sendTo(socket, {
        type: "error",
        code: "bad_message",
        message: "live queries are not served here",
      });
    return;
  }
  viewers.handle(socket, parsed);
}

function overBudget(viewers: Viewers, socket: WebSocket): void {
  const reason = `too many messages: at most ${VIEWER_MESSAGES_PER_SECOND} a second, subscriptions ${VIEWER_MESSAGES_PER_SECOND / SUBSCRIPTION_COST}`;
  viewers.close(socket, CLOSE_POLICY_VIOLATION, reason);
}
