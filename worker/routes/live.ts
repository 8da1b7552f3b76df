import { type Context, Hono } from "hono";
import { signToken } from "../auth/tokens.ts";
import { checkBoard } from "../board/name.ts";
import { hubStub } from "../board/stubs.ts";
import type { Env } from "../env.ts";
import { authorize, bearerToken, enforceRateLimit, VIEWER_KINDS } from "../http/credentials.ts";
import { ApiError } from "../http/errors.ts";
import { checkHandshake, checkOrigin, offeredProtocols, UNCOMPRESSED } from "../http/handshake.ts";
import { methodNotAllowed } from "../http/methods.ts";
import { knownParams } from "../http/params.ts";
import { jitteredRetryAfter, RefusalMemo } from "../http/refusal-memo.ts";
import { ClientCaps, STREAMS_PER_ADDRESS, STREAMS_PER_CREDENTIAL } from "../live/client-caps.ts";
import {
  MAX_SELECTORS,
  PACE_LIMITS,
  PACE_PARAM,
  parsePosition,
  SUBPROTOCOL,
  validPace,
} from "../protocol/index.ts";
import { selectorParams } from "../query/params.ts";

/** Tickets let a browser open a socket or stream without putting its long-lived token in a URL. */
export const TICKET_TTL_SECONDS = 60;

const capped = new RefusalMemo();

/** Arguments for a copy of an object's response whose headers the Worker may still change. */
function mutable(response: Response): [BodyInit | null, ResponseInit] {
  return [response.body, { status: response.status, headers: new Headers(response.headers) }];
}

/** A resume position (`pos=`, or SSE's `Last-Event-ID`) must parse: 400 naming it otherwise. */
function checkPosition(c: Context<{ Bindings: Env }>): void {
  const given = [
    ["pos", c.req.query("pos")],
    ["last-event-id", c.req.header("last-event-id")],
  ] as const;
  for (const [path, text] of given) {
    if (text !== undefined && parsePosition(text) === null) {
      const message = "a position is sid.epoch.seq per shard, joined by _ (as the server sent it)";
      throw new ApiError(400, "invalid_position", message, path);
    }
  }
}

/** A pace (`max_fps=`) must be a frame rate a viewer may ask for: 400 naming it otherwise. */
function checkPace(c: Context<{ Bindings: Env }>): void {
  const text = c.req.query(PACE_PARAM);
  if (text !== undefined && !(/^\d{1,3}(\.\d{1,3})?$/.test(text) && validPace(Number(text))))
    throw new ApiError(
      400,
      "invalid_parameter",
      `${PACE_PARAM} is a frame rate from ${PACE_LIMITS.minFps} to ${PACE_LIMITS.maxFps}`,
      PACE_PARAM,
    );
}

/** SSE and long polling: same credentials and subscriptions as the socket, answered by the board's hub. */
async function forwardViewerRequest(c: Context<{ Bindings: Env }>): Promise<Response> {
  const board = checkBoard(c.req.param("board") ?? "");
  const client = {
    credential: `${board}/${bearerToken(c.req.raw) ?? ""}`,
    address: c.req.header("cf-connecting-ip") ?? "local",
  };
  const poll = c.req.path.endsWith("/poll");
  // Hono runs GET handlers for HEAD: a HEAD never opens a stream or waits as a poll, so it is never capped either.
  const head = c.req.method === "HEAD";
  // A client the hub capped (until its Retry-After), or with as many polls waiting here as the hub takes, is refused
  // before anything else is checked: it got there with this very token, verified then. A client asking in a loop
  // then costs a map lookup per ask, and no call to the hub.
  if (!head) {
    try {
      capped.check(client.credential);
    } catch (error) {
      return refuseLater(error);
    }
    if (poll && waitingPolls.atCap(client, "poll")) return refuseLater(tooManyPolls());
  }
  await authorize(c.req.raw, c.env, VIEWER_KINDS, board);
  selectorParams(new URL(c.req.url).searchParams, MAX_SELECTORS, true);
  checkPosition(c);
  checkPace(c);
  const wait = c.req.query("wait");
  if (wait !== undefined && !/^\d{1,9}$/.test(wait))
    throw new ApiError(
      400,
      "invalid_wait",
      "wait is a whole number of milliseconds (at most 25000 are used)",
      "wait",
    );
  if (head) {
    const type = c.req.path.endsWith("/events") ? "text/event-stream" : "application/json";
    return c.body(null, 200, { "content-type": type });
  }
  // Polls that were checked side by side may both have found a slot free.
  const release = poll ? waitingPolls.admit(client, "poll") : null;
  if (poll && !release) return refuseLater(tooManyPolls());
  try {
    const upstream = await hubStub(c.env, board).fetch(c.req.raw);
    if (upstream.status === 429) {
      const { error } = (await upstream.clone().json()) as { error: { code: string; message: string } };
      capped.remember(
        client.credential,
        Number(upstream.headers.get("retry-after")),
        error.code,
        error.message,
      );
    }
    // A copy: the object's response has immutable headers, and the Worker's middleware adds some.
    return new Response(...mutable(upstream));
  } finally {
    // A poll's answer comes once it is over (a stream's at once: the hub caps those).
    release?.();
  }
}

/**
 * A refused poll or stream request is answered after 1 to 2 s: a client that ignores Retry-After in a loop then asks
 * about once a second per connection instead of as fast as the Worker answers, and the jitter spreads a storm's
 * loops out, so their asks stop arriving in one wave (each wave queues everyone else's requests behind it).
 */
async function refuseLater(error: unknown): Promise<never> {
  const now = Date.now();
  const due = now + REFUSAL_DELAY_MS + Math.random() * REFUSAL_JITTER_MS;
  await new Promise((resolve) =>
    setTimeout(resolve, Math.ceil(due / REFUSAL_SLOT_MS) * REFUSAL_SLOT_MS - now),
  );
  throw error;
}

const REFUSAL_SLOT_MS = 100;

const REFUSAL_DELAY_MS = 1000;
const REFUSAL_JITTER_MS = 1000;

/** Polls waiting on this isolate, per credential and address, capped as the hub caps them. */
const waitingPolls = new ClientCaps(STREAMS_PER_CREDENTIAL, STREAMS_PER_ADDRESS);

const tooManyPolls = () =>
  new ApiError(
    429,
    "too_many_polls",
    `at most ${STREAMS_PER_CREDENTIAL} polls at once per credential`,
    undefined,
    { "retry-after": jitteredRetryAfter(5) },
  );

/** `/boards/:board/live` (WebSocket), `/events` (SSE), `/poll` (long polling) and `/tickets`. */
export const liveRoutes = new Hono<{ Bindings: Env }>()
  .get("/boards/:board/live", knownParams("series", "pos", PACE_PARAM), async (c) => {
    const board = checkBoard(c.req.param("board"));
    const upgrades = `upgrades ${board}/${(bearerToken(c.req.raw) ?? "").slice(-22)}`;
    capped.check(upgrades);
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(426, "upgrade_required", "this endpoint speaks WebSocket only", undefined, {
        upgrade: "websocket",
      });
    }
    checkHandshake(c.req.raw);
    checkOrigin(c.req.raw, c.env.ALLOWED_ORIGINS);
    await authorize(c.req.raw, c.env, VIEWER_KINDS, board);
    selectorParams(new URL(c.req.url).searchParams, MAX_SELECTORS, true);
    checkPosition(c);
    checkPace(c);
    const protocols = offeredProtocols(c.req.raw);
    if (protocols.length > 0 && !protocols.includes(SUBPROTOCOL)) {
      throw new ApiError(
        400,
        "unsupported_subprotocol",
        `offer the ${SUBPROTOCOL} subprotocol`,
        "sec-websocket-protocol",
      );
    }
    // Keyed by credential, not address: a dashboard's ticket is its own, so a NAT full of dashboards reconnecting
    // after a deploy is not one client; a client reconnecting in a loop is, and is then refused here until its
    // Retry-After without asking the limiter again.
    try {
      await enforceRateLimit(c.env.UPGRADE_LIMITER, upgrades, "connections with this credential");
    } catch (error) {
      if (error instanceof ApiError && error.status === 429)
        capped.remember(upgrades, Number(error.headers["retry-after"]), error.code, error.message);
      throw error;
    }
    const stub = hubStub(c.env, board);
    const upstream = await stub.fetch(c.req.raw);
    if (!upstream.webSocket) return new Response(...mutable(upstream));
    // The object has no view of what the client offered: answer a subprotocol only when one was asked for.
    const headers =
      protocols.length > 0 ? { ...UNCOMPRESSED, "sec-websocket-protocol": SUBPROTOCOL } : UNCOMPRESSED;
    return new Response(null, { status: upstream.status, webSocket: upstream.webSocket, headers });
  })
  .all("/boards/:board/live", methodNotAllowed("GET"))
  .get("/boards/:board/events", knownParams("series", "pos", PACE_PARAM), forwardViewerRequest)
  .all("/boards/:board/events", methodNotAllowed("GET"))
  .get("/boards/:board/poll", knownParams("series", "pos", "wait"), forwardViewerRequest)
  .all("/boards/:board/poll", methodNotAllowed("GET"))
  .post("/boards/:board/tickets", knownParams(), async (c) => {
    const board = checkBoard(c.req.param("board"));
    await authorize(c.req.raw, c.env, ["viewer", "admin"], board);
    const now = Math.floor(Date.now() / 1000);
    const exp = now + TICKET_TTL_SECONDS;
    const ticket = await signToken(c.env.EDGEPULSE_SECRET, { kind: "ticket", board, iat: now, exp });
    return c.json({ ticket, expiresAt: exp * 1000 }, 201);
  })
  .all("/boards/:board/tickets", methodNotAllowed("POST"));
