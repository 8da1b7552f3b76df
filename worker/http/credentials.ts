import { type TokenClaims, type TokenKind, verifyToken } from "../auth/tokens.ts";
import type { Env } from "../env.ts";
import { TOKEN_SUBPROTOCOL_PREFIX } from "../protocol/index.ts";
import { ApiError } from "./errors.ts";

/** Tokens already verified in this isolate; devices repeat theirs on every post. Changing the secret redeploys. */
const verified = new Map<string, TokenClaims>();
const VERIFIED_CACHE_SIZE = 1024;

async function verifyCached(secret: string, token: string): Promise<TokenClaims | null> {
  const cached = verified.get(token);
  if (cached) return cached.exp === undefined || cached.exp * 1000 > Date.now() ? cached : null;
  const claims = await verifyToken(secret, token);
  if (claims) {
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, claims);
  }
  return claims;
}

/** The password of HTTP Basic credentials (agents such as Telegraf's InfluxDB v1 output send the token there). */
function basicPassword(credentials: string): string {
  try {
    const decoded = atob(credentials);
    return decoded.slice(decoded.indexOf(":") + 1);
  } catch {
    return "";
  }
}

/**
 * Where a request may carry its token: the Authorization header always (`Bearer`, InfluxDB's `Token`, or Basic
 * with the token as password); sockets and streams have more.
 */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  if (header) {
    const [, scheme, credentials] = /^(Bearer|Token|Basic)\s+(\S+)$/i.exec(header) ?? [];
    if (scheme?.toLowerCase() === "basic") return basicPassword(credentials!);
    return credentials ?? "";
  }
  const protocols = request.headers.get("sec-websocket-protocol");
  for (const protocol of protocols?.split(",") ?? []) {
    const trimmed = protocol.trim();
    if (trimmed.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return trimmed.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  return new URL(request.url).searchParams.get("ticket");
}

/**
 * Verifies the request's token and that it grants `kinds` on `board` (any board when omitted).
 * 401 when the token is missing or bad, 403 when it is good but not for this.
 */
export async function authorize(
  request: Request,
  env: Env,
  kinds: readonly TokenKind[],
  board?: string,
): Promise<TokenClaims> {
  const token = bearerToken(request);
  if (token === null) {
    throw new ApiError(401, "missing_token", "send a token as Authorization: Bearer <token>");
  }
  const claims = await verifyCached(env.EDGEPULSE_SECRET, token);
  if (!claims) throw new ApiError(401, "invalid_token", "token is malformed, badly signed or expired");
  if (!kinds.includes(claims.kind)) {
    throw new ApiError(
      403,
      "wrong_token_kind",
      `a ${claims.kind} token cannot do this; use a ${kinds[0]} token`,
    );
  }
  if (board !== undefined && claims.board !== board) {
    throw new ApiError(403, "wrong_board", `token is for board ${claims.board}, not ${board}`);
  }
  return claims;
}

/** Applies a rate limiting binding; 429 with Retry-After past the limit. */
export async function enforceRateLimit(limiter: RateLimit, key: string, what: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success)
    throw new ApiError(429, "rate_limited", `too many ${what}; retry later`, undefined, {
      "retry-after": "10",
    });
}
