/** The opening handshake of a live socket (RFC 6455 §4): what the Worker checks, and the extensions it answers. */
import { ApiError, echo } from "./errors.ts";

/**
 * Headers of a 101 answer that refuse permessage-deflate, which workerd would otherwise apply once per socket,
 * undoing the one encode per subscription group (README, "No per-socket compression"). workerd takes this header as
 * the server's offer, so one naming no extension it supports agrees to none; an empty one, as its documentation
 * suggests, is dropped by `wrangler dev`'s front workers, which then agree to the client's deflate themselves.
 */
export const UNCOMPRESSED = { "sec-websocket-extensions": "none" } as const;

/** `ALLOWED_ORIGINS`: comma-separated origins, trimmed; an empty entry (an empty list parses to one) names none. */
export function allowedOrigins(list: string): string[] {
  return list
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

/**
 * Browsers send Origin on WebSocket upgrades; only the dashboard's own origin and configured ones may connect. A
 * present but empty Origin names no origin, so it matches none.
 */
export function checkOrigin(request: Request, allowed: string): void {
  const origin = request.headers.get("origin");
  if (origin === null) return;
  const named = origin.trim();
  if (named !== "" && (named === new URL(request.url).origin || allowedOrigins(allowed).includes(named)))
    return;
  throw new ApiError(403, "origin_not_allowed", `origin ${echo(origin)} may not open live sockets`, "origin");
}

/** A client's handshake key: base64 of 16 bytes (RFC 6455 §4.2.1). */
const WEBSOCKET_KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

/** The rest of a WebSocket opening handshake (RFC 6455 §4.2.1): Connection: Upgrade, version 13, a valid key. */
export function checkHandshake(request: Request): void {
  const connection = request.headers.get("connection") ?? "";
  if (!connection.split(",").some((token) => token.trim().toLowerCase() === "upgrade"))
    throw new ApiError(400, "invalid_handshake", "send Connection: Upgrade", "connection");
  if (request.headers.get("sec-websocket-version") !== "13")
    throw new ApiError(
      426,
      "unsupported_version",
      "this server speaks WebSocket version 13",
      "sec-websocket-version",
      {
        "sec-websocket-version": "13",
      },
    );
  if (!WEBSOCKET_KEY.test(request.headers.get("sec-websocket-key") ?? ""))
    throw new ApiError(
      400,
      "invalid_handshake",
      "Sec-WebSocket-Key must be 16 bytes in base64",
      "sec-websocket-key",
    );
}

/** The subprotocols a client offered, in its order. */
export function offeredProtocols(request: Request): string[] {
  return (request.headers.get("sec-websocket-protocol") ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
}
