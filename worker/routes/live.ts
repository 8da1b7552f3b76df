import { type Context, Hono } from "hono";
import { signToken } from "../auth/tokens.ts";
import { hubStub } from "../board/stubs.ts";
import type { Env } from "../env.ts";
import { authorize, enforceRateLimit } from "../http/credentials.ts";
import { ApiError } from "../http/errors.ts";
import { methodNotAllowed } from "../http/methods.ts";
import { MAX_SELECTORS, parsePosition, SUBPROTOCOL } from "../protocol/index.ts";
import { selectorParams } from "../query/params.ts";
import { checkBoard } from "./board-param.ts";

/** Tickets let a browser open a socket or stream without putting its long-lived token in a URL. */
export const TICKET_TTL_SECONDS = 60;

/** Browsers send Origin on WebSocket upgrades; only the dashboard's own origin and configured ones may connect. */
function checkOrigin(request: Request, allowed: string): void {
  const origin = request.headers.get("origin");
  if (origin === null || origin === new URL(request.url).origin) return;
  const extra = allowed.split(",").map((entry) => entry.trim());
  if (!extra.includes(origin))
    throw new ApiError(403, "origin_not_allowed", `origin ${origin} may not open live sockets`);
}

function offeredProtocols(request: Request): string[] {
  return (request.headers.get("sec-websocket-protocol") ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
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

/** SSE and long polling: same credentials and subscriptions as the socket, answered by the board's hub. */
async function forwardViewerRequest(c: Context<{ Bindings: Env }>): Promise<Response> {
  const board = checkBoard(c.req.param("board") ?? "");
  await authorize(c.req.raw, c.env, ["viewer", "ticket"], board);
  selectorParams(new URL(c.req.url).searchParams, MAX_SELECTORS);
  checkPosition(c);
  return hubStub(c.env, board).fetch(c.req.raw);
}

/** `/boards/:board/live` (WebSocket), `/events` (SSE), `/poll` (long polling) and `/tickets`. */
export const liveRoutes = new Hono<{ Bindings: Env }>()
  .get("/boards/:board/live", async (c) => {
    const board = checkBoard(c.req.param("board"));
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(426, "upgrade_required", "this endpoint speaks WebSocket only", undefined, {
        upgrade: "websocket",
      });
    }
    checkOrigin(c.req.raw, c.env.ALLOWED_ORIGINS);
    await authorize(c.req.raw, c.env, ["viewer", "ticket"], board);
    selectorParams(new URL(c.req.url).searchParams, MAX_SELECTORS);
    checkPosition(c);
    const protocols = offeredProtocols(c.req.raw);
    if (protocols.length > 0 && !protocols.includes(SUBPROTOCOL)) {
      throw new ApiError(
        400,
        "unsupported_subprotocol",
        `offer the ${SUBPROTOCOL} subprotocol`,
        "sec-websocket-protocol",
      );
    }
    const address = c.req.header("cf-connecting-ip") ?? "local";
    await enforceRateLimit(c.env.UPGRADE_LIMITER, `${address}/${board}`, "connections from this address");
    const stub = hubStub(c.env, board);
    const upstream = await stub.fetch(c.req.raw);
    // The object has no view of what the client offered: answer a subprotocol only when one was asked for.
    const headers = protocols.length > 0 ? { "sec-websocket-protocol": SUBPROTOCOL } : undefined;
    return new Response(null, { status: upstream.status, webSocket: upstream.webSocket, headers });
  })
  .all("/boards/:board/live", methodNotAllowed("GET"))
  .get("/boards/:board/events", forwardViewerRequest)
  .all("/boards/:board/events", methodNotAllowed("GET"))
  .get("/boards/:board/poll", forwardViewerRequest)
  .all("/boards/:board/poll", methodNotAllowed("GET"))
  .post("/boards/:board/tickets", async (c) => {
    const board = checkBoard(c.req.param("board"));
    await authorize(c.req.raw, c.env, ["viewer"], board);
    const now = Math.floor(Date.now() / 1000);
    const exp = now + TICKET_TTL_SECONDS;
    const ticket = await signToken(c.env.EDGEPULSE_SECRET, { kind: "ticket", board, iat: now, exp });
    return c.json({ ticket, expiresAt: exp * 1000 }, 201);
  })
  .all("/boards/:board/tickets", methodNotAllowed("POST"));
